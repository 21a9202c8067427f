# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Weighing as Nova does it (nova/weights.py): each weigher's raw values are normalised to
0..1 across the candidates, multiplied by the weigher's multiplier and summed; the highest
total wins."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.novalite.compute.plugins.module_utils.filters.base import (
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


def get_weight_multiplier(host_state, name, configured):
    """Nova's utils.get_weight_multiplier: aggregate metadata `name` overrides the option
    (the smallest value when several aggregates set it; an unreadable value is ignored)."""
    try:
        return validate_num_values(aggregate_values_from_key(host_state, name), configured,
                                   cast_to=float)
    except ValueError:
        return configured


class BaseHostWeigher(object):
    """One weighing rule: `_weigh_object` gives the raw value, higher wins."""

    minval = None
    maxval = None
    # The option (and aggregate metadata key) holding the multiplier.
    multiplier_option = None

    def __init__(self, options):
        self.options = options

    @property
    def name(self):
        return type(self).__name__

    def weight_multiplier(self, host_state):
        return get_weight_multiplier(host_state, self.multiplier_option,
                                     self.options[self.multiplier_option])

    def _weigh_object(self, host_state, spec):
        raise NotImplementedError()

    def weigh_objects(self, host_states, spec):
        """Raw weights, clamped to minval/maxval as Nova does before normalising."""
        weights = []
        for host_state in host_states:
            weight = self._weigh_object(host_state, spec)
            if self.minval is not None:
                weight = max(weight, self.minval)
            if self.maxval is not None:
                weight = min(weight, self.maxval)
            weights.append(weight)
        return weights


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
