# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The scheduler's entry points over host-state dicts: `select_destinations` (the module's),
`passing_hosts` and `weighed_hosts` (the filter plugins'), and `schedule` over host states
loaded once (HostStates), which serves many requests.

Requests are placed by the SchedulerEngine (scheduler/engine.py), which gives exactly the
results of Nova's structure, ReferenceScheduler (scheduler/reference.py), in a fraction of
the time; `schedule(..., scheduler=ReferenceScheduler)` runs the latter.

The trace of each instance keeps every filter step (the hosts it removed and why), and the
first `trace_top` weighed hosts (the selected one first) with each weigher's raw,
normalised, multiplier and weighted values; the alternates are named.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import gc
import uuid
from collections.abc import Iterable, Mapping

from ansible_collections.novalite.compute.plugins.module_utils.errors import ValidationError
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.driver import (
    Scheduler, check_group_policy)
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.engine import SchedulerEngine
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.host_state import HostStates
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.reference import (
    ReferenceScheduler)
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.options import resolve
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.weighers.base import (
    get_weighed_objects)

__all__ = ['HostStates', 'passing_hosts', 'schedule', 'select_destinations', 'weighed_hosts']


def _working_spec(request_spec):
    """A private copy of the request spec, and the uuid of each instance to place.

    Scheduling changes only `instance_uuid` and the server group's `members` and `hosts`,
    so only those are copied. Nova's API gives each instance its uuid and adds it to the
    server group's members before scheduling; a spec without uuids gets generated ones so
    the group bookkeeping works."""
    if not isinstance(request_spec, dict):
        raise ValidationError('request_spec', 'must be a dict')
    if not isinstance(request_spec.get('flavor'), dict):
        raise ValidationError('request_spec.flavor', 'is required (a dict with vcpus, memory_mb, root_gb)')
    spec = dict(request_spec)
    uuids = list(spec.get('instance_uuids') or [])
    count = len(uuids) if uuids else int(spec.get('num_instances') or 1)
    uuids.extend(str(uuid.uuid4()) for _missing in range(count - len(uuids)))
    if spec.get('instance_group'):
        group = spec['instance_group'] = dict(spec['instance_group'])
        members = list(group.get('members') or [])
        known = set(members)
        group['members'] = members + [item for item in uuids if item not in known]
        group['hosts'] = list(group.get('hosts') or [])
    return spec, uuids


def _place(host_states, request_spec, opts, now, scheduler):
    spec, uuids = _working_spec(request_spec)
    check_group_policy(opts, spec)
    # Scheduling allocates many small objects and makes no reference cycles: a cyclic
    # collection would only walk every loaded host state (tens of ms at 10,000 hosts).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return scheduler(opts, now).schedule(host_states, spec, uuids)
    finally:
        if collecting:
            gc.enable()


def schedule(host_states, request_spec, options=None, now=None, scheduler=SchedulerEngine):
    """select_destinations over loaded HostStates, which it never changes, so one load
    serves many requests. `scheduler` is the class that places the instances: the engine,
    or ReferenceScheduler (same results, slower)."""
    return _place(host_states, request_spec, resolve(options), now, scheduler)


class _LastLoad(object):
    """The host states select_destinations loaded last, and a shallow copy of the dicts
    they were loaded from (Nova's HostManager keeps its host states between requests too).

    A call with equal host-state dicts reuses them, with everything the filters and
    weighers derived from them; equality is checked on the dicts' values (nested values
    count by value once replaced, and, as HostState assumes, are never changed in place)."""

    def __init__(self):
        self.inputs = None
        self.host_states = None

    def load(self, hosts):
        if (self.inputs is not None and isinstance(hosts, list) and len(hosts) == len(self.inputs)
                and hosts == self.inputs):
            return self.host_states
        host_states = HostStates(hosts)
        self.inputs = [dict(host) for host in hosts]
        self.host_states = host_states
        return host_states


_LAST_LOAD = _LastLoad()


def select_destinations(hosts, request_spec, options=None, now=None):
    """Nova's select_destinations: (selections, trace).

    selections: one list per instance, the selected host first, then its alternates, each
    `{host, nodename, weight}`. Raises errors.NoValidHost (with `.trace`) when some instance
    cannot be placed, errors.UnsupportedPolicyException for a server group policy whose
    filter or weigher is not configured, errors.ValidationError for bad input. The inputs are not changed."""
    opts = resolve(options)
    return _place(_LAST_LOAD.load(hosts), request_spec, opts, now, SchedulerEngine)


def _as_list(hosts):
    """Host states from a list or any other iterable (map() in a template gives one)."""
    if isinstance(hosts, Iterable) and not isinstance(hosts, (list, str, bytes, Mapping)):
        return list(hosts)
    return hosts


def passing_hosts(hosts, request_spec, options=None, now=None):
    """(the host-state dicts that pass for the first instance, in their input order, and
    its filter trace steps). `hosts` may be any iterable of host-state dicts."""
    opts = resolve(options)
    hosts = _as_list(hosts)
    states = HostStates(hosts)
    spec, uuids = _working_spec(request_spec)
    spec['instance_uuid'] = uuids[0]
    scheduler = ReferenceScheduler(opts, now)
    scheduler.load(states)
    passing, steps, _skipped = scheduler.get_filtered_hosts(states.states, spec)
    return [hosts[position] for position in sorted(states.positions[state.index]
                                                   for state in passing)], steps


def weighed_hosts(hosts, request_spec, options=None):
    """The hosts weighed (no filtering), best first, equal weights in host name order as the
    scheduler keeps them:
    `{host, nodename, weight, weighers: {name: {raw, normalized, multiplier, weighted}}}`.
    `hosts` may be any iterable of host-state dicts."""
    opts = resolve(options)
    states = HostStates(_as_list(hosts))
    spec, uuids = _working_spec(request_spec)
    spec['instance_uuid'] = uuids[0]
    rows = get_weighed_objects(Scheduler(opts).weighers, states.states, spec)
    return [{'host': state.host, 'nodename': state.nodename, 'weight': weight, 'weighers': details}
            for state, weight, details in rows]
