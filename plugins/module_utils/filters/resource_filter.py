# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ResourceFilter: placement's part of Nova's scheduling, the resource fit.

Nova asks placement for allocation candidates (what RamFilter, CoreFilter and DiskFilter did
before); there is no placement here, so this filter applies the shared rule of
resources.py to each host, for each instance of the request (earlier picks of a
multi-create consume resources, so it runs every time)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.novalite.compute.plugins.module_utils.filters.base import BaseHostFilter
from ansible_collections.novalite.compute.plugins.module_utils.resources import (
    fit_failures, flavor_resources)


class ResourceFilter(BaseHostFilter):

    def rejection(self, host_state, spec):
        failures = fit_failures(host_state.data, flavor_resources(spec['flavor'], spec.get('is_bfv')))
        return '; '.join(failures) or None
