#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: fleet_schedule
short_description: Reserve quota, allocate ports and select destinations against the fleet database
version_added: 3.0.0
description:
  - The controller's half of a create after the API check (Nova's conductor
    C(schedule_and_build_instances) up to the cast), in the controller's process as an action
    plugin, against the fleet database instead of host states gathered from every hypervisor.
  - In one transaction - reserve the quota (count and reserve at once, so two controllers get
    exactly the quota; a multi-create is trimmed to what fits), hold unique server names when
    O(unique_server_name_scope) asks, record the build requests and the server group's new
    members, allocate each instance's fixed IPs and MACs (unique per network), and select a
    host and alternates for each instance with the FilterScheduler over the hosts' rows
    (M(novalite.compute.select_destinations)'s engine; the loaded host states are reused
    while the rows' versions do not change). When no host fits, or a quota is exceeded,
    nothing stays written.
author:
  - novalite.compute contributors (@novalite)
extends_documentation_fragment:
  - novalite.compute.fleet
  - novalite.compute.fleet.schedule
options:
  context:
    description: Who asks.
    type: dict
    required: true
    suboptions:
      project_id:
        description: The project the servers belong to.
        type: str
        required: true
      user_id:
        description: The user who creates them.
        type: str
        required: true
      roles:
        description: The user's roles.
        type: list
        elements: str
        default: []
  request_spec:
    description: The request spec of M(novalite.compute.server_request).
    type: dict
    required: true
  instances:
    description: The per-instance build data of M(novalite.compute.server_request).
    type: list
    elements: dict
    required: true
  catalog:
    description: C(keypairs) and C(server_groups) of the catalog, counted for the result's C(usage).
    type: dict
    default: {}
  unique_server_name_scope:
    description: Nova's C(osapi_compute_unique_server_name_scope) - C('') (names need not be unique),
      C(project) or C(global).
    type: str
    default: ''
    choices: ['', project, global]
'''

EXAMPLES = r'''
- name: Reserve, allocate and schedule
  novalite.compute.fleet_schedule:
    request_spec: "{{ request_result.request_spec }}"
    instances: "{{ request_result.instances }}"
    hosts: "{{ groups['hypervisors'] }}"
    context: "{{ novalite_context }}"
    quotas: "{{ novalite_quotas | default({}) }}"
    scheduler: "{{ novalite_scheduler | default({}) }}"
  register: schedule_fleet
'''

RETURN = r'''
num_instances:
  description: How many instances the quota allows (and were scheduled).
  returned: success
  type: int
  sample: 2
limits:
  description: The quota limits that apply, C(project) and C(user).
  returned: success
  type: dict
usage:
  description: The usage before this request (instances, reservations of others; C(key_pairs), C(server_groups)).
  returned: success
  type: dict
request_spec:
  description: The request spec trimmed to the allowed instances, its server group with members and hosts.
  returned: success
  type: dict
instances:
  description: The allowed instances, each network with its C(fixed_ip), C(port_id) and C(mac).
  returned: success
  type: list
  elements: dict
selections:
  description: Per instance, the selected host first, then its alternates (C(host), C(nodename), C(weight)).
  returned: success
  type: list
  elements: list
trace:
  description: Per instance, the filter steps and the weighed hosts, as M(novalite.compute.select_destinations).
  returned: always
  type: list
  elements: dict
host_zones:
  description: The availability zone of every host that was scheduled on.
  returned: success
  type: dict
  sample: {hv1: az1}
overs:
  description: The resources over their quota.
  returned: failure
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.novalite.compute.plugins.module_utils.args_common import (
    CONTEXT_OPTION, FLEET_ARG_SPEC, FLEET_SCHEDULE_ARG_SPEC)

ARGUMENT_SPEC = dict(
    context=CONTEXT_OPTION,
    request_spec=dict(type='dict', required=True),
    instances=dict(type='list', elements='dict', required=True),
    catalog=dict(type='dict', default={}),
    unique_server_name_scope=dict(type='str', default='', choices=['', 'project', 'global']),
)
ARGUMENT_SPEC.update(FLEET_ARG_SPEC)
ARGUMENT_SPEC.update(FLEET_SCHEDULE_ARG_SPEC)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.fail_json(msg='novalite.compute.fleet_schedule runs as an action plugin on the controller')


if __name__ == '__main__':
    main()
