# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What both schedulers share (Nova's `nova/scheduler/driver.py` held the base class of the
FilterScheduler): the filters, weighers and random source of a request (`Scheduler`), and
the four restrictions a request spec puts on its hosts before any filter runs (`restrict`,
Nova's `host_manager.get_filtered_hosts`): `requested_destination`, `ignore_hosts`,
`force_hosts`, `force_nodes`; the server group policies the configured filters and weighers
support (Nova's `scheduler/utils.py` `_get_group_details`); and placement's claim."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import random

from ansible_collections.novalite.compute.plugins.module_utils.errors import UnsupportedPolicyException
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters import FILTERS
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters.base import group_policy
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.resources import (
    fit_failures, flavor_resources)
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.trace import active_weighers
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.weighers import WEIGHERS

# Placement's part: it always runs, first, whatever `enabled_filters` lists, and forcing a
# host skips the filters, never placement (Nova asks placement for candidates on the forced
# host, and its mandatory pre-filter forbids disabled compute services).
PLACEMENT_FILTER = 'ResourceFilter'
# The filter or weigher a server group policy needs (Nova's _get_group_details).
POLICY_NEEDS = {
    'affinity': ('enabled_filters', 'ServerGroupAffinityFilter'),
    'anti-affinity': ('enabled_filters', 'ServerGroupAntiAffinityFilter'),
    'soft-affinity': ('weight_classes', 'ServerGroupSoftAffinityWeigher'),
    'soft-anti-affinity': ('weight_classes', 'ServerGroupSoftAntiAffinityWeigher'),
}
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
    if not destination.get('host'):
        # Nova asks placement for the first forced host and node only (in_tree of
        # scheduler/utils.py resources_from_request_spec); a requested destination
        # takes their place there, and then every forced name is matched.
        force_hosts, force_nodes = force_hosts[:1], force_nodes[:1]
    if force_hosts:
        forced = set(name.lower() for name in force_hosts)
        split('force_hosts', 'lowered_host', lambda value: value in forced,
              'not in force_hosts %s' % ', '.join(force_hosts))
    if force_nodes:
        split('force_nodes', 'nodename', lambda value: value in force_nodes,
              'not in force_nodes %s' % ', '.join(force_nodes))
    return True, (FORCED if force_hosts or force_nodes else None)


def check_group_policy(options, spec):
    """Nova's `_get_group_details`: a server group whose policy needs a filter or weigher
    that is not configured is refused (UnsupportedPolicyException) before any scheduling."""
    policy = group_policy(spec.get('instance_group'))
    if policy not in POLICY_NEEDS:
        return
    option, name = POLICY_NEEDS[policy]
    if name not in options[option]:
        raise UnsupportedPolicyException('%s not configured' % name)


def claim_failure(host_state, spec):
    """Placement's claim of one instance on the host as it is now (earlier instances of the
    request included): None when it fits, else why not."""
    failures = fit_failures(host_state.data, flavor_resources(spec['flavor'], spec.get('is_bfv')))
    return '; '.join(failures) or None


class Scheduler(object):
    """One scheduling request's filters, weighers and random source; subclasses place the
    instances (`schedule`)."""

    def __init__(self, options, now=None):
        self.options = options
        self.filters = [FILTERS[PLACEMENT_FILTER](options, now)] + [
            FILTERS[name](options, now) for name in options['enabled_filters']
            if name != PLACEMENT_FILTER]
        self.weighers = [WEIGHERS[name](options) for name in options['weight_classes']]
        self.random = random.Random(options['random_seed'])
        self.active = set()
        self.labels = []

    def load(self, host_states):
        """Take the loaded host states' labels and the weighers the trace shows, and let
        the filters read what holds across the loaded hosts."""
        self.labels = host_states.labels
        for host_filter in self.filters:
            host_filter.load(host_states)
        self.active = active_weighers(self.weighers, host_states)

    def filters_for(self, skipped):
        """The filters to run: only PLACEMENT_FILTER when the restrictions forced a host."""
        if skipped:
            return [f for f in self.filters if f.name == PLACEMENT_FILTER]
        return self.filters

    def schedule(self, host_states, spec, instance_uuids):
        """(selections, traces) for the instances; raises NoValidHost."""
        raise NotImplementedError()
