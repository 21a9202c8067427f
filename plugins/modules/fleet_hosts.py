#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: fleet_hosts
short_description: Which hypervisors to refresh - rows too old to schedule on, rulesets a membership change touches
version_added: 3.0.0
description:
  - Reads the compute node rows of the fleet database and names the hosts whose resource data
    is missing or was gathered more than O(max_age) seconds ago, or whose heartbeat (the
    host's last report) is older than O(heartbeat_max_age); the create path refreshes only
    those before it schedules. Whether a host is up is not decided here - the scheduler's
    ComputeFilter reads each host's heartbeat against C(service_down_time).
  - With C(playbooks/refresh_hypervisors.yml) run on a schedule more often than
    O(heartbeat_max_age), no host is stale and a create asks only the hosts that build.
  - With O(member_changes), also names the hosts whose security group rulesets must be
    rewritten because those groups gained or lost members - the hosts with a port in a group
    whose rules name one of them as remote group - and every group's members, read from the
    ports' security groups in the fleet database (no hypervisor is asked). The hosts of
    O(built_hosts) are left out when the members are still O(members_used), as their rulesets
    were just written with them.
  - With O(server_names), also names the hosts where the fleet database holds a live server of
    O(project_id) with one of those names, for a lookup by name that asks only them (and the
    hosts whose rows are stale, which may have servers the rows do not show).
  - With O(server_uuids), also names the hosts where the fleet database holds a live server, of
    any project, with one of those uuids, for a lookup by uuid that asks them (and the stale
    hosts) first; the rows are an index, so a uuid they do not place is still looked for on the
    other hypervisors.
  - Runs in the controller's process as an action plugin; read-only.
author:
  - novalite.compute contributors (@novalite)
extends_documentation_fragment:
  - novalite.compute.fleet
options:
  hosts:
    description: The hypervisors to look at.
    type: list
    elements: str
    required: true
  max_age:
    description: Seconds a row's resource data may be old and still be scheduled on; 0 refreshes every host.
    type: int
    default: 300
  heartbeat_max_age:
    description:
      - Seconds since a host's last report after which it must report again before it is
        scheduled on; by default half the scheduler's C(service_down_time) of O(scheduler) (Nova
        reports every 10 s and takes a service as down after 60 s).
      - Set it to C(-1) to never refresh a host for its heartbeat (a fleet refreshed on a schedule).
    type: int
  scheduler:
    description: The scheduler options (C(novalite_scheduler)); C(service_down_time) is read.
    type: dict
    default: {}
  member_changes:
    description: Security groups whose members changed (a create's or a delete's servers' groups).
    type: list
    elements: str
    default: []
  built_hosts:
    description:
      - Hosts that just wrote their rulesets with O(members_used) (a create's building hosts);
        left out of C(security_group_hosts) when the fleet database's members are still those.
    type: list
    elements: str
    default: []
  members_used:
    description: The members (group name to fixed IPs) O(built_hosts) wrote their rulesets with.
    type: dict
    default: {}
  security_groups:
    description: The catalog's security groups (C(novalite_security_groups)), whose rules say which groups name which.
    type: list
    elements: dict
    default: []
  server_names:
    description: Server names to find the hosts of.
    type: list
    elements: str
    default: []
  project_id:
    description: The project whose servers O(server_names) are; required with O(server_names).
    type: str
  server_uuids:
    description:
      - Server uuids, of any project, to find the hosts of. Names have no place here - a name
        is not unique, and only every hypervisor can say which servers hold it.
    type: list
    elements: str
    default: []
'''

EXAMPLES = r'''
- name: Which hosts to refresh before scheduling
  novalite.compute.fleet_hosts:
    hosts: "{{ groups['hypervisors'] }}"
    max_age: 300
  register: fleet_hosts

- name: Which hosts' rulesets the new members of default touch
  novalite.compute.fleet_hosts:
    hosts: "{{ groups['hypervisors'] }}"
    member_changes: [default]
    security_groups: "{{ novalite_security_groups }}"
  register: fleet_rulesets

- name: Where the fleet database has a server, by uuid
  novalite.compute.fleet_hosts:
    hosts: "{{ groups['hypervisors'] }}"
    server_uuids: [0b1c7e8e-94b0-4d5d-8d65-2b0c2b9f8c11]
  register: fleet_server_hosts
'''

RETURN = r'''
stale:
  description: The hosts to refresh, in the order of O(hosts).
  returned: always
  type: list
  elements: str
  sample: [hv3]
ages:
  description: Seconds since each host's resource data was gathered (null without a row).
  returned: always
  type: dict
  sample: {hv1: 12.5, hv3: null}
server_hosts:
  description:
    - The hosts of O(hosts) with a live server of O(project_id) named one of O(server_names), or
      of any project with a uuid of O(server_uuids), in the fleet database.
  returned: always
  type: list
  elements: str
  sample: [hv2]
security_group_hosts:
  description: The hosts of O(hosts) whose rulesets O(member_changes) touch (empty without it).
  returned: always
  type: list
  elements: str
  sample: [hv1, hv2]
security_group_members:
  description: Security group name to the sorted fixed IPs of its members' ports (empty without O(member_changes)).
  returned: always
  type: dict
  sample: {default: [10.82.0.11, 10.82.0.12]}
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.novalite.compute.plugins.module_utils.args_common import FLEET_ARG_SPEC

ARGUMENT_SPEC = dict(
    hosts=dict(type='list', elements='str', required=True),
    max_age=dict(type='int', default=300),
    heartbeat_max_age=dict(type='int'),
    scheduler=dict(type='dict', default={}),
    member_changes=dict(type='list', elements='str', default=[]),
    built_hosts=dict(type='list', elements='str', default=[]),
    members_used=dict(type='dict', default={}),
    security_groups=dict(type='list', elements='dict', default=[]),
    server_names=dict(type='list', elements='str', default=[]),
    project_id=dict(type='str'),
    server_uuids=dict(type='list', elements='str', default=[]),
)
ARGUMENT_SPEC.update(FLEET_ARG_SPEC)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.fail_json(msg='novalite.compute.fleet_hosts runs as an action plugin on the controller')


if __name__ == '__main__':
    main()
