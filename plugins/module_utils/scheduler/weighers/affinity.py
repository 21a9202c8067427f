# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Soft server group policies: prefer (soft-affinity) or avoid (soft-anti-affinity) hosts
that already run servers of the group."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters.base import (
    group_policy, group_servers_on_host, hosts_with_group_servers, instance_index)
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.weighers.base import BaseHostWeigher


class _SoftAffinityWeigherBase(BaseHostWeigher):
    policy_name = None
    request_dependent = True

    def _weigh_object(self, host_state, spec):
        group = spec.get('instance_group')
        if group_policy(group) != self.policy_name:
            return 0
        return len(group_servers_on_host(host_state, group))

    def prepare(self, host_states):
        super(_SoftAffinityWeigherBase, self).prepare(host_states)
        instance_index(host_states)

    def _counted(self, host_states, spec):
        group = spec.get('instance_group')
        if group_policy(group) != self.policy_name:
            return []
        return hosts_with_group_servers(host_states, group)

    def raw_column(self, host_states, spec):
        """0 on every host without servers of the group, so only those are looked at."""
        column = [0] * len(host_states)
        for index in self._counted(host_states, spec):
            column[index] = self.raw_weight(host_states.states[index], spec)
        return column

    def raw_order(self, host_states, spec, column):
        return None

    def raw_common(self, host_states, spec, column):
        return 0, self._counted(host_states, spec)


class ServerGroupSoftAffinityWeigher(_SoftAffinityWeigherBase):
    policy_name = 'soft-affinity'
    multiplier_option = 'soft_affinity_weight_multiplier'


class ServerGroupSoftAntiAffinityWeigher(_SoftAffinityWeigherBase):
    policy_name = 'soft-anti-affinity'
    multiplier_option = 'soft_anti_affinity_weight_multiplier'

    def _weigh_object(self, host_state, spec):
        return -1 * super(ServerGroupSoftAntiAffinityWeigher, self)._weigh_object(host_state, spec)
