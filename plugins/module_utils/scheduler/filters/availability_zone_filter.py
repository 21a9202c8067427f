# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters.base import (
    BaseHostFilter, aggregate_metadata_get_by_host, filter_by_key, key_ids)

_KEY = 'AvailabilityZoneFilter.zones'


def _zones_key(host_state):
    """What the verdict depends on: the aggregates' zones, else the host's own zone."""
    metadata = aggregate_metadata_get_by_host(host_state, key='availability_zone')
    return (frozenset(metadata.get('availability_zone', ())), host_state.availability_zone)


class AvailabilityZoneFilter(BaseHostFilter):
    """Hosts in the requested availability zone (Nova's AvailabilityZoneFilter).

    A host's zones come from the `availability_zone` metadata of its aggregates; without
    any, from the host state's own `availability_zone`, and else it is in
    `default_availability_zone`. (Nova now asks placement for this; with no placement here
    the filter does it, and it is on by default.)"""

    run_filter_once_per_request = True

    def host_zones(self, host_state):
        metadata = aggregate_metadata_get_by_host(host_state, key='availability_zone')
        if 'availability_zone' in metadata:
            return metadata['availability_zone']
        return set([host_state.availability_zone or self.options['default_availability_zone']])

    def rejection(self, host_state, spec):
        wanted = spec.get('availability_zone')
        if not wanted:
            return None
        zones = self.host_zones(host_state)
        if wanted in zones:
            return None
        return 'in availability zone %s, %s requested' % (', '.join(sorted(zones)), wanted)

    def applies(self, spec):
        return bool(spec.get('availability_zone'))

    def prepare(self, host_states):
        key_ids(host_states, _KEY, _zones_key)

    def filter_all(self, host_states, candidates, spec, alive):
        return filter_by_key(self, host_states, candidates, spec, _KEY, _zones_key)
