# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: security_group_members
short_description: The fixed IPs of each security group's members across the hypervisors
version_added: 1.0.0
description:
  - What a rule with a C(remote_group_id) matches (Neutron's remote group) - for every
    security group, the fixed IPs of all the servers in it, whichever host they are on.
  - Takes server dicts from P(novalite.compute.hypervisor_servers#filter) (C(addresses)),
    server records (C(ports)) and a request's instances (C(networks) with their assigned
    C(fixed_ip)), in any mix.
positional: _input, more
options:
  _input:
    description: Servers.
    type: list
    elements: dict
    required: true
  more:
    description: More servers (the ones being built), in any of the same shapes.
    type: list
    elements: dict
    default: []
'''

EXAMPLES = r'''
- name: Members of every group, the request's instances included
  ansible.builtin.set_fact:
    members: "{{ reported_servers | novalite.compute.security_group_members(new_instances) }}"
'''

RETURN = r'''
_value:
  description: Security group name to the sorted fixed IPs of its members.
  type: dict
  sample: {default: [10.82.0.11, 10.82.0.12]}
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.novalite.compute.plugins.module_utils.compute.firewall import fleet_members


def security_group_members(servers, more=None):
    try:
        return fleet_members(servers, more or [])
    except (ValueError, TypeError, AttributeError) as exc:
        raise AnsibleFilterError('security_group_members: %s' % exc)


class FilterModule(object):
    def filters(self):
        return {'security_group_members': security_group_members}
