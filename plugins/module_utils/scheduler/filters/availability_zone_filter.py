# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters.base import (
    BaseHostFilter, aggregate_metadata_get_by_host, filter_by_key, key_ids)

_KEY = 'AvailabilityZoneFilter.zones'
_CARRIED = 'AvailabilityZoneFilter.carried'


def _zones_key(host_state):
    """What the verdict depends on: the aggregates' zones, else the host's own zone."""
    metadata = aggregate_metadata_get_by_host(host_state, key='availability_zone')
    return (frozenset(metadata.get('availability_zone', ())), host_state.availability_zone)


def _carried(host_states):
    """The zones that some aggregate of a loaded host carries."""
    zones = set()
    for state in host_states.states:
        zones.update(aggregate_metadata_get_by_host(state, key='availability_zone').get(
            'availability_zone', ()))
    return frozenset(zones)


class AvailabilityZoneFilter(BaseHostFilter):
    """Hosts in the requested availability zone, as Nova's placement pre-filter
    (`map_az_to_placement_aggregate`) decides it: the zone becomes membership of the
    aggregates whose `availability_zone` metadata carries it; a zone that no aggregate
    carries adds no restriction (the default zone among them).

    The aggregates known are those of the loaded hosts (`load`); before a load, those of
    the host judged. A host's zones, which a rejection names, come from its aggregates, else
    its own `availability_zone`, else `default_availability_zone`."""

    run_filter_once_per_request = True

    def __init__(self, options, now=None):
        super(AvailabilityZoneFilter, self).__init__(options, now)
        self.carried = None

    def load(self, host_states):
        self.carried = host_states.cached(_CARRIED, _carried)

    def host_zones(self, host_state):
        metadata = aggregate_metadata_get_by_host(host_state, key='availability_zone')
        if 'availability_zone' in metadata:
            return metadata['availability_zone']
        return set([host_state.availability_zone or self.options['default_availability_zone']])

    def rejection(self, host_state, spec):
        wanted = spec.get('availability_zone')
        if not wanted:
            return None
        in_aggregates = aggregate_metadata_get_by_host(host_state, key='availability_zone').get(
            'availability_zone', set())
        carried = in_aggregates if self.carried is None else self.carried
        if wanted not in carried or wanted in in_aggregates:
            return None
        return 'in availability zone %s, %s requested' % (
            ', '.join(sorted(self.host_zones(host_state))), wanted)

    def applies(self, spec):
        return bool(spec.get('availability_zone'))

    def prepare(self, host_states):
        key_ids(host_states, _KEY, _zones_key)
        host_states.cached(_CARRIED, _carried)

    def filter_all(self, host_states, candidates, spec, alive):
        self.load(host_states)
        return filter_by_key(self, host_states, candidates, spec, _KEY, _zones_key)
