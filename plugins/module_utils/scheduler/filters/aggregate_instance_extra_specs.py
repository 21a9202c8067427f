# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters import extra_specs_ops
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters.base import (
    BaseHostFilter, aggregate_metadata_get_by_host)

_SCOPE = 'aggregate_instance_extra_specs'


class AggregateInstanceExtraSpecsFilter(BaseHostFilter):
    """Flavor extra specs (unscoped or scoped `aggregate_instance_extra_specs:`) must be
    matched by the metadata of one of the host's aggregates (Nova's)."""

    run_filter_once_per_request = True

    def applies(self, spec):
        return bool((spec.get('flavor') or {}).get('extra_specs'))

    def rejection(self, host_state, spec):
        extra_specs = (spec.get('flavor') or {}).get('extra_specs') or {}
        if not extra_specs:
            return None
        metadata = aggregate_metadata_get_by_host(host_state)
        for key, req in extra_specs.items():
            scope = key.split(':', 1)
            if len(scope) > 1:
                if scope[0] != _SCOPE:
                    continue
                scope = scope[1:]
            values = metadata.get(scope[0])
            if not values:
                return 'extra spec %s: no aggregate of the host has %s' % (key, scope[0])
            if not any(extra_specs_ops.match(value, req) for value in values):
                return 'extra spec %s=%r: aggregate values %s do not match' % (
                    key, req, ', '.join(sorted(values)))
        return None
