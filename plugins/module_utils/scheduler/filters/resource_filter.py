# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ResourceFilter: placement's part of Nova's scheduling, the allocation candidates.

Nova asks placement for allocation candidates once per request, for one instance's resources
against the usage before the request (what RamFilter, CoreFilter and DiskFilter did before),
and its mandatory pre-filter forbids the COMPUTE_STATUS_DISABLED trait of a disabled compute
service. There is no placement here, so this filter applies the shared rule of resources.py
and that pre-filter, once per request; each instance's claim (driver.claim_failure) then
checks the usage the earlier instances of the request added."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import bisect

from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters.base import BaseHostFilter
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.resources import (
    RESOURCE_CLASSES, fit_failures, flavor_resources, host_inventory)

_KEY = 'ResourceFilter.room'


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _inventories(host_states):
    """Per host, total, used and capacity of each resource class in turn, and per class the most one
    instance may ask, min(total, capacity - used) (the rule of fit_failures for whole
    numbers), as (rooms ascending, the host index of each). None when some host has an
    amount that is not a whole number (then every host gets a look)."""
    rows = []
    rooms = dict((rc, []) for rc in RESOURCE_CLASSES)
    for index, state in enumerate(host_states.states):
        inventory = host_inventory(state.data)
        row = tuple(inventory[rc][name] for rc in RESOURCE_CLASSES
                    for name in ('total', 'used', 'capacity'))
        if not all(_is_int(value) for value in row):
            return None
        rows.append(row)
        for position, rc in enumerate(RESOURCE_CLASSES):
            total, used, capacity = row[3 * position:3 * position + 3]
            rooms[rc].append((min(total, capacity - used), index))
    for rc in RESOURCE_CLASSES:
        rooms[rc].sort()
        rooms[rc] = ([room for room, _index in rooms[rc]], [index for _room, index in rooms[rc]])
    return rows, rooms


def _failures(row, asked):
    """fit_failures' reasons, from a row of _inventories."""
    failures = []
    for position, rc in enumerate(RESOURCE_CLASSES):
        total, used, capacity = row[3 * position:3 * position + 3]
        amount = asked[rc]
        if not amount:
            continue
        if amount > total:
            failures.append('%s: requested %d exceeds the host total %d' % (rc, amount, total))
        elif used + amount > capacity:
            failures.append('%s: requested %d, used %d of capacity %d' % (rc, amount, used, capacity))
    return '; '.join(failures) or None


def _disabled(host_states):
    return [index for index, state in enumerate(host_states.states) if state.service_disabled]


def _disabled_reason(host_state):
    reason = host_state.get('service_disabled_reason')
    return 'compute service disabled' + (': %s' % reason if reason else '')


class ResourceFilter(BaseHostFilter):

    run_filter_once_per_request = True

    def rejection(self, host_state, spec):
        if host_state.service_disabled:
            return _disabled_reason(host_state)
        failures = fit_failures(host_state.data, flavor_resources(spec['flavor'], spec.get('is_bfv')))
        return '; '.join(failures) or None

    def prepare(self, host_states):
        host_states.cached(_KEY, _inventories)
        host_states.cached(_KEY + '.disabled', _disabled)

    def filter_all(self, host_states, candidates, spec, alive):
        """Only hosts with less room than asked in some class can fail: a prefix of each
        class's hosts by room."""
        prepared = host_states.cached(_KEY, _inventories)
        if prepared is None:
            return super(ResourceFilter, self).filter_all(host_states, candidates, spec, alive)
        rows, rooms = prepared
        asked = flavor_resources(spec['flavor'], spec.get('is_bfv'))
        found = set(host_states.cached(_KEY + '.disabled', _disabled))
        for rc in RESOURCE_CLASSES:
            if asked[rc]:
                sizes, indices = rooms[rc]
                found.update(indices[:bisect.bisect_left(sizes, asked[rc])])
        removed = []
        states = host_states.states
        for index in sorted(found):
            why = None
            if alive[index]:
                why = (_disabled_reason(states[index]) if states[index].service_disabled
                       else _failures(rows[index], asked))
            if why is not None:
                removed.append((index, why))
        return removed
