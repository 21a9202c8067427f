# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Nova's FilterScheduler (nova/scheduler/manager.py `_schedule` / `_legacy_find_hosts`,
host_manager.py `get_filtered_hosts`) over loaded host states, in Nova's own structure: every
instance is filtered and weighed from scratch. It is the reference that the scheduler engine
(scheduler/engine.py) must equal, decision for decision and trace for trace; tests and
bench/bench_scheduler.py compare them.

For each instance of the request: restrict to `requested_destination`, drop `ignore_hosts`,
keep only `force_hosts`/`force_nodes` (which skips the filters but placement), run the
filters (placement's ResourceFilter first, for the first instance only: Nova asks placement
for candidates once per request), weigh the survivors, pick one of the best
`host_subset_size` and put it first, then walk that list claiming (driver.claim_failure) the
first host whose usage, the earlier instances' included, still fits: Nova's claim loop over
`alloc_reqs_by_rp_uuid`. The claimed host consumes the flavor so that the next instance
sees it fuller; a server group learns the host. A host whose claim fails stays in the list,
in the weighers' normalisation and among the alternates. Each instance starts from the hosts
that survived the previous one, in the previous instance's weighed order with its picked
host first (Nova passes that list on). All instances get a host or the request fails
(NoValidHost). Alternates, up to `max_attempts - 1` per instance, are the other hosts that
pass the filters after the last pick, in weighed order, never a host claimed for this
request.

Ties: weighed hosts are sorted with Python's stable sort, as in Nova, so hosts of equal
weight keep their incoming order; the first incoming order is HostStates' (host, nodename).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.novalite.compute.plugins.module_utils.scheduler.driver import (
    HOST_KEYS, Scheduler, claim_failure, restrict)
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.trace import (
    make_step, new_trace, no_valid_host, record_claims, trace_row, with_alternates)
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.weighers.base import (
    get_weighed_objects)


class ReferenceScheduler(Scheduler):
    """Nova's FilterScheduler, instance after instance from scratch: the reference."""

    # -- filtering (HostManager.get_filtered_hosts) ---------------------------------------

    def get_filtered_hosts(self, hosts, spec, index=0):
        """(passing hosts, trace steps, why the filters were skipped or None)."""
        steps = []
        hosts = list(hosts)

        def split(name, key, keep, why):
            read = HOST_KEYS[key]
            verdicts = [keep(read(host)) for host in hosts]
            removed = [(host.index, why) for host, kept in zip(hosts, verdicts) if not kept]
            steps.append(make_step(name, len(hosts), sorted(removed), self.labels))
            hosts[:] = [host for host, kept in zip(hosts, verdicts) if kept]
            return len(hosts)

        go_on, skipped = restrict(spec, split)
        if not go_on:
            return [], steps, None
        return self._run_filters(self.filters_for(skipped), hosts, spec, index, steps), steps, skipped

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
            position, failed = self.claim(hosts, spec)
            record_claims(trace, failed, self.labels)
            if position is None:
                raise no_valid_host(trace, len(instance_uuids), traces)
            claimed = hosts[position]
            selected.append((claimed, weights[claimed.index]))
            trace['selected'] = claimed.label
            hosts[position] = claimed.consumed(spec, instance_uuid)
            if spec.get('instance_group') is not None:
                spec['instance_group']['hosts'].append(claimed.host)
        return self._with_alternates(selected, spec, hosts, weights, traces), traces

    @staticmethod
    def claim(hosts, spec):
        """(position of the first host in `hosts` that can claim the instance or None,
        [(host index, reason)] of those that could not before it)."""
        failed = []
        for position, host in enumerate(hosts):
            why = claim_failure(host, spec)
            if why is None:
                return position, failed
            failed.append((host.index, why))
        return None, failed

    def _with_alternates(self, selected, spec, hosts, weights, traces):
        num_alts = self.options['max_attempts'] - 1
        index = len(selected) - 1
        if index > 0 and num_alts > 0:
            # The picks consumed resources: filter and weigh again for accurate alternates.
            hosts, weights, _trace = self.get_sorted_hosts(spec, hosts, index)
        chosen = set(state.index for state, _weight in selected)
        alternates = [host for host in hosts if host.index not in chosen][:num_alts]
        return with_alternates(selected, alternates, weights, traces)
