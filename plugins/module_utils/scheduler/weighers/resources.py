# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The resource weighers: free RAM, free vCPUs, free disk (spread by default; a negative
multiplier stacks)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.novalite.compute.plugins.module_utils.scheduler.weighers.base import BaseHostWeigher


class RAMWeigher(BaseHostWeigher):
    """Free RAM in MiB (`free_ram_mb`)."""

    minval = 0
    multiplier_option = 'ram_weight_multiplier'

    def _weigh_object(self, host_state, spec):
        return host_state.free_ram_mb


class CPUWeigher(BaseHostWeigher):
    """Free vCPUs: vcpus_total * cpu_allocation_ratio - vcpus_used."""

    minval = 0
    multiplier_option = 'cpu_weight_multiplier'

    def _weigh_object(self, host_state, spec):
        return host_state.vcpus_total * host_state.cpu_allocation_ratio - host_state.vcpus_used


class DiskWeigher(BaseHostWeigher):
    """Free disk in MiB (`free_disk_mb`)."""

    minval = 0
    multiplier_option = 'disk_weight_multiplier'

    def _weigh_object(self, host_state, spec):
        return host_state.free_disk_mb
