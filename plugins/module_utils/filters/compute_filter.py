# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime

from ansible_collections.novalite.compute.plugins.module_utils.filters.base import BaseHostFilter

_UTC = datetime.timezone.utc


def parse_updated(value):
    """A host state's `updated` (ISO 8601, or seconds since the epoch) as an aware datetime."""
    if isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(value, _UTC)
    text = str(value).strip()
    if text.endswith('Z'):
        text = text[:-1] + '+00:00'
    stamp = datetime.datetime.fromisoformat(text)
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=_UTC)


class ComputeFilter(BaseHostFilter):
    """Only enabled compute services that were heard from lately (Nova's ComputeFilter).

    A service is up when its last report (`updated`) is at most `service_down_time`
    seconds away from now (Nova's servicegroup DB driver compares the absolute difference).
    A host state without `updated` carries no heartbeat to judge and is taken as up."""

    run_filter_once_per_request = True

    def rejection(self, host_state, spec):
        if host_state.service_disabled:
            reason = host_state.get('service_disabled_reason')
            return 'compute service disabled' + (': %s' % reason if reason else '')
        if host_state.updated in (None, ''):
            return None
        try:
            updated = parse_updated(host_state.updated)
        except (TypeError, ValueError):
            return 'updated %r is not a time, so the service is taken as down' % (host_state.updated,)
        elapsed = abs((self.now - updated).total_seconds())
        if elapsed > self.options['service_down_time']:
            return ('compute service not heard from for %d s (service_down_time %d s)'
                    % (elapsed, self.options['service_down_time']))
        return None
