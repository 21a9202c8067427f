# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters.base import (
    BaseHostFilter, aggregate_metadata_get_by_host)


class AggregateImagePropertiesIsolation(BaseHostFilter):
    """An image property that a host's aggregate metadata also names must have one of the
    aggregate's values (Nova's). With `aggregate_image_properties_isolation_namespace`,
    only metadata keys `<namespace><separator>...` take part."""

    run_filter_once_per_request = True

    def applies(self, spec):
        return bool((spec.get('image') or {}).get('properties'))

    def rejection(self, host_state, spec):
        namespace = self.options['aggregate_image_properties_isolation_namespace']
        separator = self.options['aggregate_image_properties_isolation_separator']
        props = (spec.get('image') or {}).get('properties') or {}
        for key, values in sorted(aggregate_metadata_get_by_host(host_state).items()):
            if namespace and not key.startswith(namespace + separator):
                continue
            prop = props.get(key)
            if prop and str(prop) not in values:
                return 'image property %s=%s; the host aggregate allows %s' % (
                    key, prop, ', '.join(sorted(values)))
        return None
