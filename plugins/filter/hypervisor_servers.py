# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: hypervisor_servers
short_description: The servers of every hypervisor, one dict a server
version_added: 1.0.0
description:
  - M(novalite.compute.hypervisor_info) returns each host's servers as a small table whose rows
    pair with the uuids of its host state's C(instances). This turns the tables of several
    hosts back into one list of servers, for quota counting
    (M(novalite.compute.quota_check)) and fixed IP allocation
    (P(novalite.compute.allocate_fixed_ips#filter)).
  - Fails when a table does not belong to its host state (a stale one).
options:
  _input:
    description: Host states, as M(novalite.compute.hypervisor_info) returns them.
    type: list
    elements: dict
    required: true
  servers:
    description: The C(servers) tables of the same hosts, in the same order.
    type: list
    elements: dict
    required: true
author:
  - novalite.compute contributors (@novalite)
'''

EXAMPLES = r'''
- name: Every server the hypervisors report
  ansible.builtin.set_fact:
    all_servers: >-
      {{ groups['hypervisors'] | map('extract', hostvars, 'hypervisor_facts_host_state')
         | novalite.compute.hypervisor_servers(groups['hypervisors'] | map('extract', hostvars, 'hypervisor_facts_servers')) }}
'''

RETURN = r'''
_value:
  description:
    - One dict a server, C(id), C(host), C(name), C(project_id), C(user_id), C(flavor)
      (C(name), C(vcpus), C(memory_mb), C(root_gb), C(ephemeral_gb), C(swap)), C(vm_state),
      C(task_state), C(instance_group) (C({uuid}) or V(null)), C(addresses)
      (network name to a list of C({addr})) and C(security_groups) (names).
  type: list
  elements: dict
'''

from ansible.errors import AnsibleFilterError
from ansible_collections.novalite.compute.plugins.module_utils.compute.server_table import expand_servers


def hypervisor_servers(host_states, servers):
    host_states, tables = list(host_states), list(servers)
    if len(host_states) != len(tables):
        raise AnsibleFilterError('hypervisor_servers: %d host states but %d servers tables'
                                 % (len(host_states), len(tables)))
    found = []
    try:
        for host_state, table in zip(host_states, tables):
            found.extend(expand_servers(host_state, table))
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise AnsibleFilterError('hypervisor_servers: %s' % exc)
    return found


class FilterModule(object):
    def filters(self):
        return {'hypervisor_servers': hypervisor_servers}
