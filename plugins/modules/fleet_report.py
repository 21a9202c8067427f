#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: fleet_report
short_description: Write what the hypervisors reported into the fleet database
version_added: 3.0.0
description:
  - The write side of the fleet database (Nova's resource tracker updating its compute node,
    and the conductor recording built instances). Runs in the controller's process as an
    action plugin.
  - A report (M(novalite.compute.hypervisor_info)'s, or M(novalite.compute.server_build)'s with
    C(report_host_state)) replaces the host's compute node row, moves its heartbeat, and, with
    its servers table, makes the host's instance and port rows what the host has.
  - A built server record becomes its instance row with its ports, ending its quota
    reservation; a forgotten instance loses its reservation, ports, group membership and row.
  - Every write ends by giving up the build requests of runs that died (see RV(abandoned)), so
    a create killed midway holds nothing after the next refresh of its hosts.
  - In check mode the reports and heartbeats are written (what the hosts said, as Ansible's fact
    cache is written in check mode too, so a check-mode create schedules on the hosts it just
    refreshed), and built servers, forgotten instances and abandoned build requests are not.
author:
  - novalite.compute contributors (@novalite)
extends_documentation_fragment:
  - novalite.compute.fleet
options:
  reports:
    description: Host reports.
    type: list
    elements: dict
    default: []
    suboptions:
      host_state:
        description: The host state the host reported.
        type: dict
        required: true
      servers:
        description: The host's servers table; omit to leave the host's instance rows as they are.
        type: dict
      known:
        description: What the controller knows of the host and the host does not - C(availability_zone),
          C(aggregates), C(service_disabled), C(service_disabled_reason); these replace the reported values.
        type: dict
  built:
    description: Server records of servers just built (M(novalite.compute.server_build)'s C(server)).
    type: list
    elements: dict
    default: []
  build_results:
    description:
      - The results of a build round, what M(novalite.compute.server_build) registered on each
        host (its C(builds), one entry a server), or per-instance results. Each successful
        build's C(server) is written as in O(built), the host's
        C(host_state) and C(servers) (with C(report_host_state)) as a report that keeps the row's
        zone, aggregates and disabled flag, and every host that answered gets a heartbeat.
    type: list
    elements: dict
    default: []
  heartbeats:
    description: Hosts that just answered (their service is up as of now).
    type: list
    elements: str
    default: []
  forget:
    description: Uuids of instances that will not exist (not built, or deleted).
    type: list
    elements: str
    default: []
  networks:
    description: The catalog's networks (C(novalite_networks)), to name the networks of a servers table's addresses.
    type: list
    elements: dict
    default: []
'''

EXAMPLES = r'''
- name: Refresh a hypervisor's rows (what playbooks/refresh_hypervisors.yml does)
  novalite.compute.fleet_report:
    reports:
      - host_state: "{{ gathered.host_state }}"
        servers: "{{ gathered.servers }}"
    networks: "{{ novalite_networks }}"

- name: Forget a deleted server
  novalite.compute.fleet_report:
    forget: [0b1c7e8e-94b0-4d5d-8d65-2b0c2b9f8c11]
'''

RETURN = r'''
hosts:
  description: The hosts whose compute node rows were written.
  returned: always
  type: list
  elements: str
  sample: [hv1]
servers:
  description: How many instance rows were written.
  returned: always
  type: int
  sample: 3
forgotten:
  description: How many instances were forgotten.
  returned: always
  type: int
  sample: 0
abandoned:
  description:
    - The instances whose build requests no run will finish, given up with what they held
      (reservation, ports, group membership, name, row) - a run that died (a controller killed
      mid-create) once every host it could build on has reported without the instance, or any
      build request older than an hour.
  returned: always
  type: list
  elements: str
  sample: []
port_conflicts:
  description: Reported ports whose address or MAC another instance holds in the database (left out, to be
    reconciled by an operator).
  returned: always
  type: list
  elements: dict
  sample: []
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.novalite.compute.plugins.module_utils.args_common import FLEET_ARG_SPEC

ARGUMENT_SPEC = dict(
    reports=dict(type='list', elements='dict', default=[], options=dict(
        host_state=dict(type='dict', required=True),
        servers=dict(type='dict'),
        known=dict(type='dict'),
    )),
    built=dict(type='list', elements='dict', default=[]),
    build_results=dict(type='list', elements='dict', default=[]),
    heartbeats=dict(type='list', elements='str', default=[]),
    forget=dict(type='list', elements='str', default=[]),
    networks=dict(type='list', elements='dict', default=[]),
)
ARGUMENT_SPEC.update(FLEET_ARG_SPEC)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.fail_json(msg='novalite.compute.fleet_report runs as an action plugin on the controller')


if __name__ == '__main__':
    main()
