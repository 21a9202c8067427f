# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters.base import (
    BaseHostFilter, aggregate_values_from_key, validate_num_values)


class IoOpsFilter(BaseHostFilter):
    """Fewer than `max_io_ops_per_host` builds/moves in progress on the host (Nova's)."""

    def max_io_ops(self, host_state):
        return self.options['max_io_ops_per_host']

    def rejection(self, host_state, spec):
        limit = self.max_io_ops(host_state)
        if host_state.num_io_ops < limit:
            return None
        return 'has %d I/O operations in progress, max_io_ops_per_host %d' % (
            host_state.num_io_ops, limit)


class AggregateIoOpsFilter(IoOpsFilter):
    """The limit from aggregate metadata `max_io_ops_per_host` (smallest), else the option."""

    def max_io_ops(self, host_state):
        default = self.options['max_io_ops_per_host']
        try:
            return validate_num_values(aggregate_values_from_key(host_state, 'max_io_ops_per_host'),
                                       default, cast_to=int)
        except ValueError:
            return default
