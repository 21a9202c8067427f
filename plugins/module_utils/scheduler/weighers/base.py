# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Weighing as Nova does it (nova/weights.py): each weigher's raw values are normalised to
0..1 across the candidates, multiplied by the weigher's multiplier and summed; the highest
total wins."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import array
import collections
import math

from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters.base import (
    aggregate_values_from_key, validate_num_values)


def normalize(weights, minval=None, maxval=None):
    """Nova's normalize: (w - min) / (max - min), all 0 when min == max.

    A weigher's `minval`/`maxval` replace the list's own extremes: RAMWeigher's
    minval 0 makes its scale free/max_free rather than min-max."""
    if not weights:
        return []
    maxval = float(max(weights) if maxval is None else maxval)
    minval = float(min(weights) if minval is None else minval)
    if minval == maxval:
        return [0.0] * len(weights)
    return [(weight - minval) / (maxval - minval) for weight in weights]


def _finite_float(value):
    number = float(value)
    if not math.isfinite(number):
        raise ValueError('not a finite number: %r' % (value,))
    return number


def get_weight_multiplier(host_state, name, configured):
    """Nova's utils.get_weight_multiplier: aggregate metadata `name` overrides the option
    (the smallest value when several aggregates set it; a value that is not a finite
    number is ignored)."""
    try:
        return validate_num_values(aggregate_values_from_key(host_state, name), configured,
                                   cast_to=_finite_float)
    except ValueError:
        return configured


def multiplier_hosts(host_states):
    """Aggregate metadata key -> indices of the loaded hosts with an aggregate that sets it:
    the only hosts whose multiplier can differ from the configured one."""
    def build(loaded):
        found = {}
        for index, state in enumerate(loaded.states):
            keys = set()
            for agg in state.aggregates:
                keys.update(agg.get('metadata') or ())
            for key in keys:
                found.setdefault(key, []).append(index)
        return found
    return host_states.cached('multiplier_hosts', build)


def multipliers(weigher, host_states):
    """(default multiplier, multiplier of every loaded host by index or None when none
    differs from the default, smallest, largest), cached per load and option."""
    def build(loaded):
        default = weigher.default_multiplier()
        values = None
        for index in multiplier_hosts(loaded).get(weigher.multiplier_option, ()):
            multiplier = weigher.weight_multiplier(loaded.states[index])
            if multiplier != default:
                if values is None:
                    values = [default] * len(loaded)
                values[index] = multiplier
        if values is None:
            return default, None, default, default
        return default, values, min(values), max(values)
    configured = weigher.options[weigher.multiplier_option]
    return host_states.cached(('multipliers', weigher.name, configured), build)


class BaseHostWeigher(object):
    """One weighing rule: `_weigh_object` gives the raw value, higher wins."""

    minval = None
    maxval = None
    # The option (and aggregate metadata key) holding the multiplier.
    multiplier_option = None
    # Set when the raw value reads the request (the server group), not only the host.
    request_dependent = False

    def __init__(self, options):
        self.options = options

    @property
    def name(self):
        return type(self).__name__

    def signed(self, multiplier):
        """The multiplier as applied (BuildFailureWeigher turns it negative)."""
        return multiplier

    def weight_multiplier(self, host_state):
        return self.signed(get_weight_multiplier(host_state, self.multiplier_option,
                                                 self.options[self.multiplier_option]))

    def default_multiplier(self):
        """The multiplier of a host without an aggregate override."""
        return self.signed(self.options[self.multiplier_option])

    def _weigh_object(self, host_state, spec):
        raise NotImplementedError()

    def raw_weight(self, host_state, spec):
        """The raw value, clamped to minval/maxval as Nova does before normalising."""
        weight = self._weigh_object(host_state, spec)
        if self.minval is not None:
            weight = max(weight, self.minval)
        if self.maxval is not None:
            weight = min(weight, self.maxval)
        return weight

    def weigh_objects(self, host_states, spec):
        return [self.raw_weight(host_state, spec) for host_state in host_states]

    def prepare(self, host_states):
        """Compute, once per HostStates, the multipliers and (for rules that read the host
        only) the raw values, their order and their most common value."""
        multipliers(self, host_states)
        if not self.request_dependent:
            column = self.raw_column(host_states, None)
            self.raw_order(host_states, None, column)
            self.raw_common(host_states, None, column)

    def raw_column(self, host_states, spec):
        """The raw value of every loaded host, by index (never to be changed in place)."""
        return host_states.cached(('raw', self.name), lambda loaded: [
            self.raw_weight(state, None) for state in loaded.states])

    def raw_order(self, host_states, spec, column):
        """Host indices by ascending raw value (`column` from raw_column); None when only
        `raw_common` describes the column."""
        return host_states.cached(('order', self.name), lambda loaded: array.array(
            'l', sorted(range(len(column)), key=column.__getitem__)))

    def raw_common(self, host_states, spec, column):
        """(the most common raw value, ascending indices of the hosts with another)."""
        def build(loaded):
            common = collections.Counter(column).most_common(1)[0][0] if column else 0
            return common, [index for index, value in enumerate(column) if value != common]
        return host_states.cached(('common', self.name), build)


def get_weighed_objects(weighers, host_states, spec):
    """[(host_state, total weight, {weigher: {raw, normalized, multiplier, weighted}})],
    best first. Ties keep the input order. A single candidate is not weighed (Nova)."""
    rows = [[host_state, 0.0, {}] for host_state in host_states]
    if len(rows) <= 1:
        return [tuple(row) for row in rows]
    for weigher in weighers:
        raw = weigher.weigh_objects(host_states, spec)
        normalized = normalize(raw, minval=weigher.minval, maxval=weigher.maxval)
        for row, raw_weight, norm_weight in zip(rows, raw, normalized):
            multiplier = weigher.weight_multiplier(row[0])
            row[1] += multiplier * norm_weight
            row[2][weigher.name] = {'raw': raw_weight, 'normalized': norm_weight,
                                    'multiplier': multiplier, 'weighted': multiplier * norm_weight}
    return [tuple(row) for row in sorted(rows, key=lambda row: row[1], reverse=True)]
