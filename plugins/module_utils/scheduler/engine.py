# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The scheduler engine: what `select_destinations` runs. It makes the decisions of Nova's
FilterScheduler (ReferenceScheduler, scheduler/reference.py), computed incrementally.

Nova filters and weighs every host again for each instance of a request. Between two
instances little changes: one host took an instance, the server group learnt that host, and
the min/max that normalise each weigher may have moved. So here:

- The first instance filters all hosts at once (`filter_all`), from values each filter
  computed once per load (zones, heartbeats, resource room, an instance index).
- Later instances: filters that run once per request do not run (as in Nova); the others
  look again only at the host that took the last instance (and at hosts that already run
  an instance of this request, whose anti-affinity verdict reads the instance being placed);
  a filter that reads the server group's hosts (ServerGroupAffinityFilter) runs over the
  candidates again.
- Weighing: raw values are computed once per load, and a claim changes them on one host.
  A full weighing before any claim reuses the ranking of every loaded host that an earlier
  request made under the same normalisation (kept per load), skipping the removed hosts.
  The scheduler keeps a short list of the best hosts with their exact weights, and the weight of
  the best host left out of it. Any other host's weight can only have moved by the drift of
  each weigher's normalisation (min/max over the candidates) times its largest multiplier;
  while the hosts an instance needs stay above that bound, only the short list is weighed
  again. Otherwise every candidate is weighed and the list is rebuilt (twice as long).
- Claims: each instance walks its weighed list (the picked host first) and claims the
  first host that still fits; the exact rows are extended (the short list weighed longer)
  only when every known one fails its claim. A host whose claim failed stays a candidate.
- Weights are computed with the same floating-point operations, in the same order, as
  Nova's weighing (a term that is exactly zero is left out, which changes no sum), so they
  are identical. Ties keep the incoming order as in Nova: the previous instance's weighed
  list with its selected host first; that order is rebuilt from each instance's recorded
  normalisation when two hosts tie.

The results, selections, alternates and trace, are identical to ReferenceScheduler's; tests
and bench/bench_scheduler.py compare them on random clusters.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import bisect
import collections
import functools
import heapq
import itertools

from ansible_collections.novalite.compute.plugins.module_utils.scheduler.driver import (
    HOST_KEYS, Scheduler, claim_failure, restrict)
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.trace import (
    make_step, new_trace, no_valid_host, record_claims, with_alternates)
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters.base import hosts_running
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.weighers.base import multipliers

# Rounding slack of the bound, per unit of multiplier: a weight sums a dozen terms at most,
# each within +-multiplier, so its rounding error is far below this.
_ROUNDING = 1e-9
# The short list: at least this many hosts, and this many times what an instance needs;
# twice as long when it served fewer than _SHORT_LIST_USES instances.
_SHORT_LIST_MIN = 64
_SHORT_LIST_FACTOR = 2
_SHORT_LIST_USES = 4
# Below this share of the loaded hosts, min/max come from the candidates, not the order.
_FEW = 16
# A weigher whose raw value differs from its most common one (the minimum) on less than
# this share of the hosts to weigh is weighed on those hosts only.
_SPARSE = 8
# Up to this many removals are deleted one by one from the candidate list.
_FEW_REMOVALS = 64
_NEG_INF = float('-inf')
# Rankings (weights of every loaded host under one normalisation) kept per load.
_RANKINGS = 8


class _Weighing(object):
    """One weigher whose multiplier is not 0 everywhere, within one request."""

    def __init__(self, weigher, host_states, spec):
        self.weigher = weigher
        self.name = weigher.name
        self.column = weigher.raw_column(host_states, spec)
        self.owned = False
        self.order = weigher.raw_order(host_states, spec, self.column)
        # Where the lowest and highest candidate are in `order`: candidates only go.
        self.first = 0
        self.last = len(self.order) - 1 if self.order is not None else -1
        self.common, self.exceptions = weigher.raw_common(host_states, spec, self.column)
        # Per-host multipliers (None: the default everywhere) and their range.
        self.default, self.multipliers, self.lowest, self.highest = multipliers(weigher, host_states)

    def multiplier(self, index):
        return self.default if self.multipliers is None else self.multipliers[index]

    def set(self, index, value):
        if not self.owned:
            self.column = list(self.column)
            self.owned = True
        self.column[index] = value


def _normalised(value, low, span):
    return 0.0 if span == 0.0 else (value - low) / span


class _ShortList(object):
    """The best hosts of the last full weighing, and what bounds every other host."""

    def __init__(self, members, outside, params):
        self.members = members
        self.outside = outside
        self.params = params
        self.uses = 0

    def drift(self, params):
        """How much a weight outside the list can have grown since it was made: each
        weigher's term moved by multiplier * (normalised now - normalised then), linear in
        the raw value, so its largest growth is at a corner of the multipliers' and the
        raw values' ranges."""
        total = 0.0
        for (entry, low0, span0, raw_low, raw_high), (_entry, low, span, _lo, _hi) in zip(
                self.params, params):
            total += max([0.0] + [multiplier * (_normalised(raw, low, span) - _normalised(raw, low0, span0))
                                  for raw in (raw_low, raw_high)
                                  for multiplier in (entry.lowest, entry.highest)])
        return total


class _Placement(object):
    """The state of one request while the engine places its instances."""

    def __init__(self, scheduler, host_states, spec, uuids):
        self.scheduler = scheduler
        self.options = scheduler.options
        self.host_states = host_states
        self.labels = host_states.labels
        self.spec = spec
        self.uuids = uuids
        self.work = list(host_states.states)
        self.alive = bytearray(b'\x01') * len(self.work)
        self.cand = list(range(len(self.work)))
        self.dead = []
        # Hosts whose state differs from the loaded one (they took an instance).
        self.changed = set()
        # Hosts that run an instance of this request: ServerGroupAntiAffinityFilter lets
        # the instance being placed stay where it is, so their verdict changes per instance.
        self.volatile = hosts_running(host_states, uuids)
        self.recheck = []
        self.entries = [_Weighing(weigher, host_states, spec) for weigher in scheduler.weighers
                        if weigher.name in scheduler.active]
        self.rounding = _ROUNDING * (1.0 + sum(max(abs(entry.lowest), abs(entry.highest))
                                               for entry in self.entries))
        # Per weighed instance: (params, picked index, shuffled best positions or None).
        self.history = []
        # Per host that took an instance: [(instance, its raw values before, per entry)].
        self.before = {}
        self.short = None
        self.keep = 0

    # -- filters ----------------------------------------------------------------------------

    def _remove(self, removed):
        if not removed:
            return
        for index, _why in removed:
            self.alive[index] = 0
            self.dead.append(index)
        if len(removed) <= _FEW_REMOVALS:
            for index, _why in removed:
                del self.cand[bisect.bisect_left(self.cand, index)]
        else:
            self.cand = [index for index in self.cand if self.alive[index]]

    def _host_keys(self, key):
        """What restrictions read (driver.HOST_KEYS) of every loaded host, once per load."""
        read = HOST_KEYS[key]
        return self.host_states.cached(('host_keys', key), lambda loaded: [
            read(state) for state in loaded.states])

    def restrict(self, first, steps):
        """driver.restrict over the candidates: the restrictions only depend on names, so
        only the first instance can lose hosts to them. (continue?, skipped)"""
        def split(name, key, keep, why):
            removed = []
            if first:
                values = self._host_keys(key)
                removed = [(index, why) for index in self.cand if not keep(values[index])]
            steps.append(make_step(name, len(self.cand), removed, self.labels))
            self._remove(removed)
            return len(self.cand)
        return restrict(self.spec, split)

    def _look(self, host_filter, first):
        """[(index, reason)] of the candidates this filter removes now."""
        spec = self.spec
        if not host_filter.applies(spec):
            return []
        if first or host_filter.rerun_when_group_grows:
            return host_filter.filter_all(self.host_states, self.cand, spec, self.alive)
        removed = []
        for index in self.recheck:
            if self.alive[index]:
                why = host_filter.rejection(self.work[index], spec)
                if why is not None:
                    removed.append((index, why))
        return removed

    def filter(self, filter_index, first, trace):
        steps = trace['filters']
        go_on, skipped = self.restrict(first, steps)
        if skipped:
            trace['filters_skipped'] = skipped
        if not go_on:
            return
        for host_filter in self.scheduler.filters_for(skipped):
            if not self.cand:
                break
            if not host_filter.run_filter_for_index(filter_index):
                continue
            hosts_in = len(self.cand)
            removed = self._look(host_filter, first)
            steps.append(make_step(host_filter.name, hosts_in, removed, self.labels))
            self._remove(removed)

    # -- weights ----------------------------------------------------------------------------

    def _extremes(self, entry, changed):
        """(lowest, highest) raw value among the candidates; `changed` lists the
        candidates that took an instance (their place in `entry.order` is stale)."""
        column, alive = entry.column, self.alive
        if len(self.cand) * _FEW < len(column):
            values = [column[index] for index in self.cand]
            return min(values), max(values)
        values = [column[index] for index in changed]
        if entry.order is None:
            values += [column[index] for index in entry.exceptions
                       if alive[index] and index not in self.changed]
            if len(values) < len(self.cand):
                values.append(entry.common)
            return min(values), max(values)
        order = entry.order
        while not alive[order[entry.first]]:
            entry.first += 1
        while not alive[order[entry.last]]:
            entry.last -= 1
        for position in range(entry.first, entry.last + 1):
            index = order[position]
            if alive[index] and index not in self.changed:
                values.append(column[index])
                break
        for position in range(entry.last, entry.first - 1, -1):
            index = order[position]
            if alive[index] and index not in self.changed:
                values.append(column[index])
                break
        return min(values), max(values)

    def params(self):
        """Per weigher (entry, min, max - min, lowest raw, highest raw), as Nova's normalize
        sees the candidates (a weigher's minval/maxval replace the candidates' own)."""
        params = []
        changed = [index for index in self.changed if self.alive[index]]
        for entry in self.entries:
            low, high = self._extremes(entry, changed)
            weigher = entry.weigher
            minval = float(low if weigher.minval is None else weigher.minval)
            maxval = float(high if weigher.maxval is None else weigher.maxval)
            params.append((entry, minval, 0.0 if minval == maxval else maxval - minval, low, high))
        return params

    @staticmethod
    def _score(index, params, values=None):
        """One host's weight: Nova's sum, term by term, of its current raw values or of
        `values` (one per weigher)."""
        total = 0.0
        for position, (entry, low, span, _lo, _hi) in enumerate(params):
            multiplier = entry.multiplier(index)
            if span == 0.0 or multiplier == 0.0:
                continue
            value = entry.column[index] if values is None else values[position]
            total += multiplier * ((value - low) / span)
        return total

    def _totals(self, indices, params):
        """Weights of `indices`, or of every loaded host when None (a term of a zero
        multiplier is zero and changes no sum, whether added or not)."""
        totals = [0.0] * (len(self.work) if indices is None else len(indices))
        for entry, low, span, _lo, _hi in params:
            if span == 0.0 or (entry.multipliers is None and entry.default == 0.0):
                continue
            if entry.common == low and (len(entry.exceptions) + len(self.changed)) * _SPARSE < len(
                    totals):
                self._add_sparse(totals, indices, entry, low, span)
                continue
            column = entry.column
            values = column if indices is None else map(column.__getitem__, indices)
            if entry.multipliers is None:
                multiplier = entry.default
                totals = [total + multiplier * ((value - low) / span)
                          for total, value in zip(totals, values)]
            else:
                factors = entry.multipliers
                if indices is not None:
                    factors = map(factors.__getitem__, indices)
                totals = [total + multiplier * ((value - low) / span)
                          for total, multiplier, value in zip(totals, factors, values)]
        return totals

    def _add_sparse(self, totals, indices, entry, low, span):
        """The terms of a weigher on the hosts off its common value, the minimum: on the
        others the term is zero."""
        column = entry.column
        for index in set(entry.exceptions).union(self.changed):
            value = column[index]
            if value == entry.common:
                continue
            position = index
            if indices is not None:
                position = bisect.bisect_left(indices, index)
                if position == len(indices) or indices[position] != index:
                    continue
            totals[position] = totals[position] + entry.multiplier(index) * ((value - low) / span)

    def _ranking(self, params):
        """(weight of every loaded host, host indices by descending weight, ascending index
        among equal weights) under `params`, or None when the weights depend on more than
        the load and the normalisation (a host took an instance, or a server group weigher
        counts). Kept per load for the last few normalisations: requests whose candidates
        share their extremes weigh alike."""
        if self.changed:
            return None
        for entry, _low, span, _lo, _hi in params:
            if entry.owned or (entry.weigher.request_dependent and span != 0.0):
                return None
        key = tuple((entry.name, entry.default, low, span) for entry, low, span, _lo, _hi in params)
        rankings = self.host_states.cached('engine.rankings', lambda loaded: collections.OrderedDict())
        if key not in rankings:
            totals = self._totals(None, params)
            rankings[key] = (totals, sorted(range(len(totals)), key=lambda index: -totals[index]))
            while len(rankings) > _RANKINGS:
                rankings.popitem(last=False)
        return rankings[key]

    def _full_from_ranking(self, params, totals, order):
        """_full over a ranking: the best `self.keep` candidates and their equals, and the
        best weight below them, found by walking the ranking past the removed hosts."""
        alive = self.alive
        keep = min(self.keep, len(self.cand))
        members = []
        outside = _NEG_INF
        for index in order:
            if not alive[index]:
                continue
            if len(members) < keep or totals[index] == totals[members[-1]]:
                members.append(index)
                continue
            outside = totals[index]
            break
        members.sort()
        self.short = _ShortList(members, outside, params)
        return members, [totals[index] for index in members]

    def _full(self, params):
        """Weigh every candidate; keep the best `self.keep` as the short list."""
        ranking = self._ranking(params)
        if ranking is not None:
            return self._full_from_ranking(params, *ranking)
        cand = self.cand
        indices = None if 2 * len(cand) >= len(self.work) else cand
        totals = self._totals(indices, params)
        if indices is None:
            for index in self.dead:
                totals[index] = _NEG_INF
        keep = min(self.keep, len(cand))
        top = heapq.nlargest(keep + 1, totals)
        threshold = top[keep - 1]
        positions = list(itertools.compress(range(len(totals)), map(threshold.__le__, totals)))
        members = positions if indices is None else [cand[position] for position in positions]
        outside = top[keep] if len(top) > keep else _NEG_INF
        if outside == threshold:
            outside = max([total for total in totals if total < threshold] or [_NEG_INF])
        self.short = _ShortList(members, outside, params)
        return members, [totals[position] for position in positions]

    def _from_short_list(self, params, need):
        """The short list's hosts weighed again, or None when they may not hold the best."""
        short = self.short
        short.members = [index for index in short.members if self.alive[index]]
        if len(short.members) < need:
            return None
        totals = self._totals(short.members, params)
        if len(short.members) < len(self.cand):
            bound = short.outside + short.drift(params) + self.rounding
            if heapq.nlargest(need, totals)[-1] <= bound:
                return None
        return short.members, totals

    def weigh(self, instance, need):
        """(rows, params): rows are (index, weight) best first, at least the first `need`
        and every host of equal weight to the last of them."""
        if len(self.cand) == 1:
            return [(self.cand[0], 0.0)], None
        params = self.params()
        self.keep = max(self.keep, need)
        found = None
        if self.short is not None:
            found = self._from_short_list(params, need)
            self.short.uses += 1
            if found is None and self.short.uses < _SHORT_LIST_USES:
                self.keep = max(2 * self.keep, _SHORT_LIST_FACTOR * need)
        members, totals = found or self._full(params)
        threshold = heapq.nlargest(need, totals)[-1]
        rows = [row for row in zip(members, totals) if row[1] >= threshold]
        rows.sort(key=lambda row: -row[1])
        if instance:
            self._break_ties(rows, need, instance)
        return rows, params

    # -- ties: the incoming order -------------------------------------------------------------

    def _score_at(self, index, params, instance):
        """The host's weight under `params` with the raw values it had when `instance` was
        weighed (before any later claim on it)."""
        for taken, values in self.before.get(index, ()):
            if taken >= instance:
                return self._score(index, params, values)
        return self._score(index, params)

    def _incoming(self, instance):
        """cmp of two rows of equal weight by the incoming order of `instance`: the order
        of the instance before (its weighed list with the picked host first), recursively,
        each weight recomputed from the raw values of that time and the recorded
        normalisation."""
        def compare(row_a, row_b):
            first, second = row_a[0], row_b[0]
            for earlier in range(instance - 1, -1, -1):
                params, chosen, best = self.history[earlier]
                if chosen in (first, second):
                    return -1 if chosen == first else 1
                if params is None:
                    continue
                weight_a = self._score_at(first, params, earlier)
                weight_b = self._score_at(second, params, earlier)
                if weight_a != weight_b:
                    return -1 if weight_a > weight_b else 1
                if best and first in best and second in best:
                    return -1 if best[first] < best[second] else 1
            return -1 if first < second else 1
        return compare

    def _break_ties(self, rows, need, instance):
        start = 0
        while start < min(need, len(rows)):
            end = start + 1
            while end < len(rows) and rows[end][1] == rows[start][1]:
                end += 1
            if end - start > 1:
                rows[start:end] = sorted(rows[start:end],
                                         key=functools.cmp_to_key(self._incoming(instance)))
            start = end

    # -- picking and consuming ----------------------------------------------------------------

    def pick(self, rows):
        """Nova's choice among the best: (rows with the chosen first, chosen, shuffled)."""
        best = None
        if self.options['shuffle_best_same_weighed_hosts']:
            group = [row for row in rows if row[1] == rows[0][1]]
            self.scheduler.random.shuffle(group)
            rows = group + rows[len(group):]
            best = dict((row[0], position) for position, row in enumerate(group))
        chosen = self.scheduler.random.choice(rows[:self.options['host_subset_size']])
        rows.remove(chosen)
        rows.insert(0, chosen)
        return rows, chosen, best

    def claim(self, instance, rows, need):
        """Walk the weighed rows, the picked host first, to the first host that can claim
        the instance: (rows, the claimed row or None, [(index, reason)] of failed claims).
        When every known row fails, the rows are extended by weighing longer."""
        failed = []
        position = 0
        while True:
            for index, weight in rows[position:]:
                why = claim_failure(self.work[index], self.spec)
                if why is None:
                    return rows, (index, weight), failed
                failed.append((index, why))
            position = len(rows)
            if position >= len(self.cand):
                return rows, None, failed
            need = min(2 * max(need, position), len(self.cand))
            longer, _params = self.weigh(instance, need)
            rows = rows + longer[position:]

    def consume(self, index, uuid, instance):
        self.before.setdefault(index, []).append(
            (instance, [entry.column[index] for entry in self.entries]))
        state = self.work[index] = self.work[index].consumed(self.spec, uuid)
        for entry in self.entries:
            entry.set(index, entry.weigher.raw_weight(state, self.spec))
        self.changed.add(index)
        self.recheck = sorted(set([index] + self.volatile))
        group = self.spec.get('instance_group')
        if group is not None:
            group['hosts'].append(state.host)

    @staticmethod
    def details(index, params):
        shown = {}
        for entry, low, span, _lo, _hi in params:
            raw = entry.column[index]
            normalized = 0.0 if span == 0.0 else (raw - low) / span
            multiplier = entry.multiplier(index)
            shown[entry.name] = {'raw': raw, 'normalized': normalized,
                                 'multiplier': multiplier, 'weighted': multiplier * normalized}
        return shown

    def trace_rows(self, rows, params):
        return [{'host': self.labels[index], 'weight': weight,
                 'weighers': self.details(index, params) if params else {}}
                for index, weight in rows[:self.options['trace_top']]]

    # -- the request ----------------------------------------------------------------------------

    def _need(self, only):
        """How many of the best hosts an instance must know exactly; the `only` instance of
        a request also gives its alternates (max_attempts - 1) from its own weighing."""
        options = self.options
        need = max(options['host_subset_size'], options['trace_top'], 1)
        if only:
            need = max(need, options['max_attempts'])
        return min(need, len(self.cand))

    def run(self):
        traces = []
        selected = []
        rows = []
        count = len(self.uuids)
        # After the last pick a host state matters only to alternates weighed again.
        last = count - 1
        rerun = count > 1 and self.options['max_attempts'] > 1
        if count > 1:
            self.keep = max(_SHORT_LIST_MIN, _SHORT_LIST_FACTOR * self._need(False))
        for instance, uuid in enumerate(self.uuids):
            self.spec['instance_uuid'] = uuid
            trace = new_trace(instance, self.spec, len(self.cand))
            traces.append(trace)
            self.filter(instance, instance == 0, trace)
            if not self.cand:
                raise no_valid_host(trace, count, traces)
            need = self._need(count == 1)
            rows, params = self.weigh(instance, need)
            rows, picked, best = self.pick(rows)
            self.history.append((params, picked[0], best))
            rows, claimed, failed = self.claim(instance, rows, need)
            record_claims(trace, failed, self.labels)
            trace['weighed'] = self.trace_rows(rows, params)
            if claimed is None:
                raise no_valid_host(trace, count, traces)
            selected.append((self.work[claimed[0]], claimed[1]))
            trace['selected'] = self.labels[claimed[0]]
            if instance < last or rerun:
                self.consume(claimed[0], uuid, instance)
        return self._with_alternates(selected, rows, traces), traces

    def _with_alternates(self, selected, rows, traces):
        num_alts = self.options['max_attempts'] - 1
        last = len(selected) - 1
        chosen = set(state.index for state, _weight in selected)
        if last > 0 and num_alts > 0:
            # The picks consumed resources: filter and weigh again for accurate alternates
            # (the trace of this pass is not kept, as in Nova).
            self.filter(last, False, new_trace(last, self.spec, len(self.cand)))
            rows = []
            if self.cand:
                need = self.options['host_subset_size'] + len(chosen) + num_alts
                rows, _params = self.weigh(len(selected), min(need, len(self.cand)))
                rows = self.pick(rows)[0]
        alternates = [index for index, _weight in rows if index not in chosen][:num_alts]
        weights = dict(rows)
        return with_alternates(selected, [self.work[index] for index in alternates], weights, traces)


class SchedulerEngine(Scheduler):
    """ReferenceScheduler's results, with the work of each instance after the first reduced
    to what the previous pick changed."""

    def schedule(self, host_states, spec, instance_uuids):
        self.load(host_states)
        return _Placement(self, host_states, spec, instance_uuids).run()
