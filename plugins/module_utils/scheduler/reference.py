# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Nova's FilterScheduler (nova/scheduler/manager.py `_schedule` / `_legacy_find_hosts`,
host_manager.py `get_filtered_hosts`) over loaded host states, in Nova's own structure: every
instance is filtered and weighed from scratch. It is the reference that the incremental
scheduler (scheduler/engine.py) must equal, decision for decision and trace for trace.

For each instance of the request: restrict to `requested_destination`, drop `ignore_hosts`,
keep only `force_hosts`/`force_nodes` (which skips the filters), run the enabled filters,
weigh the survivors, pick one of the best `host_subset_size`, and consume the flavor on it so
that the next instance sees the host fuller; a server group learns the host. Each instance
starts from the hosts that survived the previous one, in the previous instance's weighed
order with its selected host first (Nova passes that list on). All instances get a host or
the request fails (NoValidHost). Alternates, up to `max_attempts - 1` per instance, are the
other hosts that pass the filters after the last pick, in weighed order, never a host
selected for this request.

Ties: weighed hosts are sorted with Python's stable sort, as in Nova, so hosts of equal
weight keep their incoming order; the first incoming order is HostStates' (host, nodename).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import random

from ansible_collections.novalite.compute.plugins.module_utils.errors import NoValidHost
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters import FILTERS
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.weighers import WEIGHERS
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.weighers.base import (
    get_weighed_objects, multipliers)

# Placement's part: forcing a host skips the filters, never the resource check (Nova still
# asks placement for candidates on the forced host).
PLACEMENT_FILTER = 'ResourceFilter'
FORCED = 'forced host or node: only %s runs' % PLACEMENT_FILTER
_NAMES_IN_MESSAGE = 10


# -- the trace, shared by both schedulers --------------------------------------------------

def make_step(name, hosts_in, removed, labels):
    """One trace step. `removed` is [(host index, reason)] in host name order."""
    reasons = {labels[index]: why for index, why in removed}
    return {'filter': name, 'hosts_in': hosts_in, 'hosts_out': hosts_in - len(removed),
            'removed': list(reasons), 'reasons': reasons}


def new_trace(index, spec, hosts_in):
    return {'instance_index': index, 'instance_uuid': spec.get('instance_uuid'),
            'hosts_in': hosts_in, 'filters': [], 'weighed': []}


def trace_row(label, weight, details, active):
    """A weighed host; only the weighers in `active` (multiplier not 0 everywhere) shown."""
    return {'host': label, 'weight': weight,
            'weighers': dict((name, value) for name, value in details.items() if name in active)}


def active_weighers(weighers, host_states):
    """Names of the weighers whose multiplier is not 0 on every loaded host: the others add
    nothing to any weight, and traces leave them out."""
    return set(weigher.name for weigher in weighers
               if multipliers(weigher, host_states)[2:] != (0, 0))


def selection(state, weight):
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


def no_valid_host(trace, num_instances, traces):
    error = NoValidHost(no_valid_host_reason(trace, num_instances))
    error.trace = traces
    return error


class FilterScheduler(object):
    """One scheduling request's filters, weighers and random source."""

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

    def _split(self, name, hosts, keep, why):
        """Apply a keep(host) predicate as a trace step; `why(host)` explains a removal."""
        kept = [host for host in hosts if keep(host)]
        removed = sorted((host.index, why(host)) for host in hosts if not keep(host))
        return kept, make_step(name, len(hosts), removed, self.labels)

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
            hosts, step = self._split('ignore_hosts', hosts,
                                      lambda h: h.host.lower() not in lowered,
                                      lambda h: 'listed in ignore_hosts')
            steps.append(step)
            if not hosts:
                return [], steps, None
        if force_hosts:
            lowered = set(name.lower() for name in force_hosts)
            hosts, step = self._split('force_hosts', hosts, lambda h: h.host.lower() in lowered,
                                      lambda h: 'not in force_hosts %s' % ', '.join(force_hosts))
            steps.append(step)
        if force_nodes:
            hosts, step = self._split('force_nodes', hosts, lambda h: h.nodename in force_nodes,
                                      lambda h: 'not in force_nodes %s' % ', '.join(force_nodes))
            steps.append(step)
        if force_hosts or force_nodes:
            placement = [f for f in self.filters if f.name == PLACEMENT_FILTER]
            return self._run_filters(placement, hosts, spec, index, steps), steps, FORCED
        return self._run_filters(self.filters, hosts, spec, index, steps), steps, None

    def _requested_destination(self, hosts, destination, steps):
        host, node = destination['host'], destination.get('node')
        wanted = host + (':%s' % node if node else '')
        kept, step = self._split(
            'requested_destination', hosts,
            lambda h: h.host == host and (not node or h.nodename == node),
            lambda h: 'not the requested destination %s' % wanted)
        steps.append(step)
        return kept

    def _run_filters(self, filters, hosts, spec, index, steps):
        for host_filter in filters:
            if not hosts:
                break
            if not host_filter.run_filter_for_index(index):
                continue
            removed = []
            kept = []
            for host in hosts:
                why = host_filter.rejection(host, spec)
                if why is None:
                    kept.append(host)
                else:
                    removed.append((host.index, why))
            steps.append(make_step(host_filter.name, len(hosts), sorted(removed), self.labels))
            hosts = kept
        return hosts

    # -- weighing and picking (_get_sorted_hosts) -----------------------------------------

    def get_weighed_hosts(self, hosts, spec):
        return get_weighed_objects(self.weighers, hosts, spec)

    def get_sorted_hosts(self, spec, hosts, index):
        """(hosts best first with the picked one at the head, {host index: weight}, trace)."""
        filtered, steps, skipped = self.get_filtered_hosts(hosts, spec, index)
        trace = new_trace(index, spec, len(hosts))
        trace['filters'] = steps
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
        trace['weighed'] = [trace_row(state.label, weight, details, self.active)
                            for state, weight, details in rows[:self.options['trace_top']]]
        return [row[0] for row in rows], dict((row[0].index, row[1]) for row in rows), trace

    # -- the request (_legacy_find_hosts + _get_alternate_hosts) --------------------------

    def schedule(self, host_states, spec, instance_uuids):
        self.load(host_states)
        traces = []
        selected = []
        hosts = host_states.states
        weights = {}
        for index, instance_uuid in enumerate(instance_uuids):
            spec['instance_uuid'] = instance_uuid
            hosts, weights, trace = self.get_sorted_hosts(spec, hosts, index)
            traces.append(trace)
            if not hosts:
                raise no_valid_host(trace, len(instance_uuids), traces)
            chosen = hosts[0]
            selected.append((chosen, weights[chosen.index]))
            trace['selected'] = chosen.label
            hosts[0] = chosen.consumed(spec, instance_uuid)
            if spec.get('instance_group') is not None:
                spec['instance_group']['hosts'].append(chosen.host)
        return self._with_alternates(selected, spec, hosts, weights, traces), traces

    def _with_alternates(self, selected, spec, hosts, weights, traces):
        num_alts = self.options['max_attempts'] - 1
        index = len(selected) - 1
        if index > 0 and num_alts > 0:
            # The picks consumed resources: filter and weigh again for accurate alternates.
            hosts, weights, _trace = self.get_sorted_hosts(spec, hosts, index)
        chosen = set(state.index for state, _weight in selected)
        alternates = [host for host in hosts if host.index not in chosen][:num_alts]
        return with_alternates(selected, alternates, weights, traces)


def with_alternates(selected, alternates, weights, traces):
    """The selections: per instance its host, then the alternates; traces name them."""
    selections = []
    for (state, weight), trace in zip(selected, traces):
        trace['alternates'] = [host.label for host in alternates]
        selections.append([selection(state, weight)]
                          + [selection(host, weights[host.index]) for host in alternates])
    return selections
