# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What both schedulers share (Nova's `nova/scheduler/driver.py` held the base class of the
FilterScheduler): the filters, weighers and random source of a request (`Scheduler`), and
the four restrictions a request spec puts on its hosts before any filter runs (`restrict`,
Nova's `host_manager.get_filtered_hosts`): `requested_destination`, `ignore_hosts`,
`force_hosts`, `force_nodes`."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import random

from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters import FILTERS
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.trace import active_weighers
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.weighers import WEIGHERS

# Placement's part: forcing a host skips the filters, never the resource check (Nova still
# asks placement for candidates on the forced host).
PLACEMENT_FILTER = 'ResourceFilter'
FORCED = 'forced host or node: only %s runs' % PLACEMENT_FILTER

# What a restriction reads of a host state. Names never change within a request, so a
# scheduler may read them once per load (the engine does) instead of host by host.
HOST_KEYS = {
    'host': lambda state: state.host,
    'lowered_host': lambda state: state.host.lower(),
    'nodename': lambda state: state.nodename,
    'host_and_node': lambda state: (state.host, state.nodename),
}


def restrict(spec, split):
    """Apply the request's restrictions, in Nova's order, through `split(name, key, keep,
    why)`: the caller removes from its candidates every host for which
    `keep(HOST_KEYS[key](host_state))` is false, records the trace step `name` with the
    reason `why`, and returns how many candidates remain.

    Returns (go_on, skipped): go_on is False when ignore_hosts left no host (Nova returns
    at once, recording no further step); skipped is FORCED when force_hosts or force_nodes
    make the filters other than PLACEMENT_FILTER skip, else None."""
    destination = spec.get('requested_destination') or {}
    if destination.get('host'):
        host, node = destination['host'], destination.get('node')
        why = 'not the requested destination %s' % (host + (':%s' % node if node else ''))
        if node:
            split('requested_destination', 'host_and_node', lambda value: value == (host, node), why)
        else:
            split('requested_destination', 'host', lambda value: value == host, why)
    ignore = spec.get('ignore_hosts') or []
    force_hosts = spec.get('force_hosts') or []
    force_nodes = spec.get('force_nodes') or []
    if ignore:
        ignored = set(name.lower() for name in ignore)
        if not split('ignore_hosts', 'lowered_host', lambda value: value not in ignored,
                     'listed in ignore_hosts'):
            return False, None
    if force_hosts:
        forced = set(name.lower() for name in force_hosts)
        split('force_hosts', 'lowered_host', lambda value: value in forced,
              'not in force_hosts %s' % ', '.join(force_hosts))
    if force_nodes:
        split('force_nodes', 'nodename', lambda value: value in force_nodes,
              'not in force_nodes %s' % ', '.join(force_nodes))
    return True, (FORCED if force_hosts or force_nodes else None)


class Scheduler(object):
    """One scheduling request's filters, weighers and random source; subclasses place the
    instances (`schedule`)."""

    def __init__(self, options, now=None):
        self.options = options
        self.filters = [FILTERS[name](options, now) for name in options['enabled_filters']]
        self.weighers = [WEIGHERS[name](options) for name in options['weight_classes']]
        self.random = random.Random(options['random_seed'])
        self.active = set()
        self.labels = []

    def load(self, host_states):
        """Take the loaded host states' labels and the weighers the trace shows."""
        self.labels = host_states.labels
        self.active = active_weighers(self.weighers, host_states)

    def filters_for(self, skipped):
        """The filters to run: only PLACEMENT_FILTER when the restrictions forced a host."""
        if skipped:
            return [f for f in self.filters if f.name == PLACEMENT_FILTER]
        return self.filters

    def schedule(self, host_states, spec, instance_uuids):
        """(selections, traces) for the instances; raises NoValidHost."""
        raise NotImplementedError()
