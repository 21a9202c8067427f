# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: populate_group
short_description: Fill a server group's members and hosts from host states
version_added: 1.0.0
description:
  - Takes the C(instance_group) of a request spec and returns it with C(members) (the uuids of
    the servers in the group) and C(hosts) (the hypervisors they run on), read from the
    C(instances) map of each host state that M(novalite.compute.hypervisor_info) returned.
  - This is what Nova's conductor does from its database before scheduling.
options:
  _input:
    description: The request spec's C(instance_group), or V(null).
    type: dict
    required: true
  host_states:
    description: Host states, as M(novalite.compute.hypervisor_info) returns them.
    type: list
    elements: dict
    required: true
author:
  - novalite.compute contributors
'''

EXAMPLES = r'''
- name: Give the scheduler the group's current members and hosts
  ansible.builtin.set_fact:
    group: "{{ request_spec.instance_group | novalite.compute.populate_group(host_states) }}"
'''

RETURN = r'''
_value:
  description: The group with C(members) and C(hosts), or V(null) when the input is V(null).
  type: dict
'''

from ansible.errors import AnsibleFilterError
from ansible_collections.novalite.compute.plugins.module_utils.conductor.server_group import populate_group


def _populate_group(group, host_states):
    if group is not None and not isinstance(group, dict):
        raise AnsibleFilterError('populate_group: the input must be an instance_group dict or null')
    if not isinstance(host_states, list):
        raise AnsibleFilterError('populate_group: host_states must be a list of host states')
    return populate_group(group, host_states)


class FilterModule(object):
    def filters(self):
        return {'populate_group': _populate_group}
