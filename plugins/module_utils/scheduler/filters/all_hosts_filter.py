# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters.base import BaseHostFilter


class AllHostsFilter(BaseHostFilter):
    """Nova's no-op filter: every host passes."""

    run_filter_once_per_request = True

    def rejection(self, host_state, spec):
        return None

    def applies(self, spec):
        return False
