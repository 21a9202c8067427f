# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Weighers of host load: I/O operations in progress, instance count, failed builds,
hypervisor version."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.novalite.compute.plugins.module_utils.scheduler.weighers.base import BaseHostWeigher


class IoOpsWeigher(BaseHostWeigher):
    """`num_io_ops`; the default multiplier -1.0 prefers quiet hosts."""

    minval = 0
    multiplier_option = 'io_ops_weight_multiplier'

    def _weigh_object(self, host_state, spec):
        return host_state.num_io_ops


class NumInstancesWeigher(BaseHostWeigher):
    """`num_instances`; off by default (0.0), negative spreads, positive packs."""

    multiplier_option = 'num_instances_weight_multiplier'

    def _weigh_object(self, host_state, spec):
        return host_state.num_instances


class BuildFailureWeigher(BaseHostWeigher):
    """Recent failed builds (`failed_builds`) push a host down: the multiplier is negated."""

    multiplier_option = 'build_failure_weight_multiplier'

    def signed(self, multiplier):
        return -1 * multiplier

    def _weigh_object(self, host_state, spec):
        return host_state.failed_builds


class HypervisorVersionWeigher(BaseHostWeigher):
    """Newer hypervisors (Nova's integer `hypervisor_version`) first by default."""

    multiplier_option = 'hypervisor_version_weight_multiplier'

    def _weigh_object(self, host_state, spec):
        return host_state.hypervisor_version or 0
