# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Nova's FilterScheduler (nova/scheduler/manager.py `_schedule` / `_legacy_find_hosts`,
host_manager.py `get_filtered_hosts`) over host-state dicts, with a trace of every decision.

For each instance of the request: restrict to `requested_destination`, drop `ignore_hosts`,
keep only `force_hosts`/`force_nodes` (which skips the filters), run the enabled filters,
weigh the survivors, pick one of the best `host_subset_size`, and consume the flavor on it so
that the next instance sees the host fuller; a server group learns the host. Each instance
starts from the hosts that survived the previous one. All instances get a host or the
request fails (NoValidHost). Alternates, up to `max_attempts - 1` per instance, are the
other hosts that pass the filters after the last pick, in weighed order, never a host
selected for this request.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import random
import uuid

from ansible_collections.novalite.compute.plugins.module_utils.errors import (
    NoValidHost, ValidationError)
from ansible_collections.novalite.compute.plugins.module_utils.filters import FILTERS
from ansible_collections.novalite.compute.plugins.module_utils.host_state import HostState
from ansible_collections.novalite.compute.plugins.module_utils.scheduler_options import resolve
from ansible_collections.novalite.compute.plugins.module_utils.weighers import WEIGHERS
from ansible_collections.novalite.compute.plugins.module_utils.weighers.base import (
    get_weighed_objects)

# Placement's part: forcing a host skips the filters, never the resource check (Nova still
# asks placement for candidates on the forced host).
PLACEMENT_FILTER = 'ResourceFilter'
_NAMES_IN_MESSAGE = 10


def _step(name, hosts_in, kept, reasons):
    return {'filter': name, 'hosts_in': len(hosts_in), 'hosts_out': len(kept),
            'removed': list(reasons), 'reasons': reasons}


def _split(name, hosts, keep, why):
    """Apply a keep(host) predicate as a trace step; `why(host)` explains a removal."""
    kept = [host for host in hosts if keep(host)]
    reasons = dict((host.label, why(host)) for host in hosts if not keep(host))
    return kept, _step(name, hosts, kept, reasons)


class FilterScheduler(object):
    """One scheduling request's filters, weighers and random source."""

    def __init__(self, options, now=None):
        self.options = options
        self.filters = [FILTERS[name](options, now) for name in options['enabled_filters']]
        self.weighers = [WEIGHERS[name](options) for name in options['weight_classes']]
        self.random = random.Random(options['random_seed'])

    # -- filtering (HostManager.get_filtered_hosts) ---------------------------------------

    def get_filtered_hosts(self, hosts, spec, index=0):
        """(passing hosts, trace steps, why the filters were skipped or None)."""
        steps = []
        hosts = list(hosts)
        destination = spec.get('requested_destination') or {}
        if destination.get('host'):
            hosts = self._requested_destination(hosts, destination, steps)
        ignore = spec.get('ignore_hosts') or []
        force_hosts = spec.get('force_hosts') or []
        force_nodes = spec.get('force_nodes') or []
        if ignore:
            lowered = set(name.lower() for name in ignore)
            hosts, step = _split('ignore_hosts', hosts, lambda h: h.host.lower() not in lowered,
                                 lambda h: 'listed in ignore_hosts')
            steps.append(step)
            if not hosts:
                return [], steps, None
        if force_hosts:
            lowered = set(name.lower() for name in force_hosts)
            hosts, step = _split('force_hosts', hosts, lambda h: h.host.lower() in lowered,
                                 lambda h: 'not in force_hosts %s' % ', '.join(force_hosts))
            steps.append(step)
        if force_nodes:
            hosts, step = _split('force_nodes', hosts, lambda h: h.nodename in force_nodes,
                                 lambda h: 'not in force_nodes %s' % ', '.join(force_nodes))
            steps.append(step)
        if force_hosts or force_nodes:
            skipped = 'forced host or node: only %s runs' % PLACEMENT_FILTER
            placement = [f for f in self.filters if f.name == PLACEMENT_FILTER]
            return self._run_filters(placement, hosts, spec, index, steps), steps, skipped
        return self._run_filters(self.filters, hosts, spec, index, steps), steps, None

    @staticmethod
    def _requested_destination(hosts, destination, steps):
        host, node = destination['host'], destination.get('node')
        wanted = host + (':%s' % node if node else '')
        kept, step = _split(
            'requested_destination', hosts,
            lambda h: h.host == host and (not node or h.nodename == node),
            lambda h: 'not the requested destination %s' % wanted)
        steps.append(step)
        return kept

    @staticmethod
    def _run_filters(filters, hosts, spec, index, steps):
        for host_filter in filters:
            if not hosts:
                break
            if not host_filter.run_filter_for_index(index):
                continue
            reasons = {}
            kept = []
            for host in hosts:
                why = host_filter.rejection(host, spec)
                if why is None:
                    kept.append(host)
                else:
                    reasons[host.label] = why
            steps.append(_step(host_filter.name, hosts, kept, reasons))
            hosts = kept
        return hosts

    # -- weighing and picking (_get_sorted_hosts) -----------------------------------------

    def get_weighed_hosts(self, hosts, spec):
        return get_weighed_objects(self.weighers, hosts, spec)

    def get_sorted_hosts(self, spec, hosts, index):
        """(hosts best first with the picked one at the head, {id: weight}, trace)."""
        filtered, steps, skipped = self.get_filtered_hosts(hosts, spec, index)
        trace = {'instance_index': index, 'instance_uuid': spec.get('instance_uuid'),
                 'hosts_in': len(hosts), 'filters': steps, 'weighed': []}
        if skipped:
            trace['filters_skipped'] = skipped
        if not filtered:
            return [], {}, trace
        rows = self.get_weighed_hosts(filtered, spec)
        if self.options['shuffle_best_same_weighed_hosts']:
            best = [row for row in rows if row[1] == rows[0][1]]
            self.random.shuffle(best)
            rows = best + rows[len(best):]
        chosen = self.random.choice(rows[:self.options['host_subset_size']])
        rows.remove(chosen)
        rows.insert(0, chosen)
        trace['weighed'] = [{'host': state.label, 'weight': weight, 'weighers': details}
                            for state, weight, details in rows]
        return [row[0] for row in rows], dict((id(row[0]), row[1]) for row in rows), trace

    # -- the request (_legacy_find_hosts + _get_alternate_hosts) --------------------------

    def schedule(self, host_states, spec, instance_uuids):
        traces = []
        selected = []
        hosts = host_states
        weights = {}
        for index, instance_uuid in enumerate(instance_uuids):
            spec['instance_uuid'] = instance_uuid
            hosts, weights, trace = self.get_sorted_hosts(spec, hosts, index)
            traces.append(trace)
            if not hosts:
                error = NoValidHost(no_valid_host_reason(trace, len(instance_uuids)))
                error.trace = traces
                raise error
            chosen = hosts[0]
            selected.append((chosen, weights[id(chosen)]))
            trace['selected'] = chosen.label
            chosen.consume_from_request(spec, instance_uuid)
            if spec.get('instance_group') is not None:
                spec['instance_group']['hosts'].append(chosen.host)
        return self._with_alternates(selected, spec, hosts, weights, traces), traces

    def _with_alternates(self, selected, spec, hosts, weights, traces):
        num_alts = self.options['max_attempts'] - 1
        index = len(selected) - 1
        if index > 0 and num_alts > 0:
            # The picks consumed resources: filter and weigh again for accurate alternates.
            hosts, weights, _trace = self.get_sorted_hosts(spec, hosts, index)
        chosen_ids = set(id(state) for state, _weight in selected)
        alternates = [host for host in hosts if id(host) not in chosen_ids][:num_alts]
        selections = []
        for (state, weight), trace in zip(selected, traces):
            trace['alternates'] = [host.label for host in alternates]
            selections.append([_selection(state, weight)]
                              + [_selection(host, weights[id(host)]) for host in alternates])
        return selections


def _selection(state, weight):
    return {'host': state.host, 'nodename': state.nodename, 'weight': weight}


def _names(names):
    if len(names) <= _NAMES_IN_MESSAGE:
        return ', '.join(names)
    return '%s and %d more' % (', '.join(names[:_NAMES_IN_MESSAGE]), len(names) - _NAMES_IN_MESSAGE)


def no_valid_host_reason(trace, num_instances):
    """One line: which step removed the last candidates of this instance, and why."""
    prefix = ''
    if num_instances > 1:
        prefix = 'instance %d of %d (%s): ' % (trace['instance_index'] + 1, num_instances,
                                               trace['instance_uuid'])
    if not trace['hosts_in']:
        return prefix + 'there are no hosts to choose from.'
    last = trace['filters'][-1]
    reasons = last['reasons']
    distinct = sorted(set(reasons.values()))
    if len(distinct) == 1:
        detail = '%s: %s' % (_names(last['removed']), distinct[0])
    else:
        shown = last['removed'][:_NAMES_IN_MESSAGE]
        detail = '; '.join('%s (%s)' % (name, reasons[name]) for name in shown)
        if len(last['removed']) > len(shown):
            detail += '; and %d more' % (len(last['removed']) - len(shown))
    return '%s%s removed %s' % (prefix, last['filter'], detail)


def _host_states(hosts):
    if not isinstance(hosts, list):
        raise ValidationError('hosts', 'must be a list of host states')
    states = []
    for position, host in enumerate(hosts):
        if not isinstance(host, dict):
            raise ValidationError('hosts[%d]' % position, 'must be a host state dict')
        states.append(HostState(host, field='hosts[%d]' % position))
    return states


def _working_spec(request_spec):
    """A private copy of the request spec, and the uuid of each instance to place.

    Nova's API gives each instance its uuid and adds it to the server group's members before
    scheduling; a spec without uuids gets generated ones so the group bookkeeping works."""
    if not isinstance(request_spec, dict):
        raise ValidationError('request_spec', 'must be a dict')
    if not isinstance(request_spec.get('flavor'), dict):
        raise ValidationError('request_spec.flavor', 'is required (a dict with vcpus, memory_mb, root_gb)')
    spec = copy.deepcopy(request_spec)
    uuids = list(spec.get('instance_uuids') or [])
    count = len(uuids) if uuids else int(spec.get('num_instances') or 1)
    uuids.extend(str(uuid.uuid4()) for _missing in range(count - len(uuids)))
    group = spec.get('instance_group')
    if group:
        members = list(group.get('members') or [])
        group['members'] = members + [item for item in uuids if item not in members]
        group['hosts'] = list(group.get('hosts') or [])
    return spec, uuids


def select_destinations(hosts, request_spec, options=None, now=None):
    """Nova's select_destinations: (selections, trace).

    selections: one list per instance, the selected host first, then its alternates, each
    `{host, nodename, weight}`. Raises errors.NoValidHost (with `.trace`) when some instance
    cannot be placed, errors.ValidationError for bad input. The inputs are not changed."""
    opts = resolve(options)
    states = _host_states(hosts)
    spec, uuids = _working_spec(request_spec)
    return FilterScheduler(opts, now).schedule(states, spec, uuids)


def filter_hosts(hosts, request_spec, options=None, now=None):
    """(the host-state dicts that pass for the first instance, its filter trace steps)."""
    opts = resolve(options)
    states = _host_states(hosts)
    spec, uuids = _working_spec(request_spec)
    spec['instance_uuid'] = uuids[0]
    passing, steps, _skipped = FilterScheduler(opts, now).get_filtered_hosts(states, spec)
    kept = set(id(state) for state in passing)
    return [host for host, state in zip(hosts, states) if id(state) in kept], steps


def weigh_hosts(hosts, request_spec, options=None):
    """The hosts weighed as given (no filtering), best first:
    `{host, nodename, weight, weighers: {name: {raw, normalized, multiplier, weighted}}}`."""
    opts = resolve(options)
    states = _host_states(hosts)
    spec, uuids = _working_spec(request_spec)
    spec['instance_uuid'] = uuids[0]
    rows = FilterScheduler(opts).get_weighed_hosts(states, spec)
    return [{'host': state.host, 'nodename': state.nodename, 'weight': weight, 'weighers': details}
            for state, weight, details in rows]
