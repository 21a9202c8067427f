#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: hypervisor_info
short_description: Host state and servers of one hypervisor (Nova's HostState)
version_added: 1.0.0
description:
  - Reports the hypervisor's host state in Nova's HostState names, as the scheduler
    (M(novalite.compute.select_destinations)) takes it, and the servers recorded in its
    domains' metadata (for quota counting and fixed IP allocation) as a small table.
  - Usage counts the servers' flavors plus the in-flight build claims under
    O(state_path)C(/claims); reserved amounts are not in the usage.
  - The result is returned once, not also as facts, to keep it small; the role
    C(novalite.compute.hypervisor_facts) sets it as cacheable facts so a fact cache keeps it
    between runs.
extends_documentation_fragment:
  - novalite.compute.attributes.hypervisor_info
  - novalite.compute.compute_host
  - novalite.compute.compute_host.paths
  - novalite.compute.libvirt
options:
  host:
    description:
      - The host name the scheduler knows this hypervisor by (pass C(inventory_hostname)).
    type: str
    required: true
  availability_zone:
    description: The availability zone of the host.
    type: str
    default: nova
  aggregates:
    description: The host aggregates the host is in.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Aggregate name.
        type: str
        required: true
      metadata:
        description: Aggregate metadata.
        type: dict
        default: {}
  service_disabled:
    description: The compute service is disabled (the scheduler skips the host).
    type: bool
    default: false
  service_disabled_reason:
    description: Why the service is disabled.
    type: str
  forced_down:
    description:
      - The compute service is forced down (Nova's C(openstack compute service set --down)),
        for example while the host is being fenced. The scheduler's C(ComputeFilter) takes
        the host as down whatever its last report; the inventory variable is
        C(novalite_forced_down).
    type: bool
    default: false
  local_ip:
    description:
      - This hypervisor's address for VXLAN traffic (Neutron's C([vxlan] local_ip), the inventory
        variable C(novalite_local_ip)), reported in the host state as C(local_ip). The fleet
        database keeps it with the host's row, and a create reads the VXLAN peers from the rows
        (M(novalite.compute.fleet_schedule)'s C(vxlan_peers)).
      - Omitted, the host reports none and is no other host's VXLAN peer.
    type: str
attributes:
  facts:
    support: none
    description: Returns its results as values, not facts.
author:
  - novalite.compute contributors (@novalite)
'''

EXAMPLES = r'''
- name: Host states of every hypervisor
  novalite.compute.hypervisor_info:
    host: "{{ inventory_hostname }}"
    instances_path: /srv/novalite/instances
    cpu_allocation_ratio: 4.0
  register: hv

- name: The same with the settings the inventory gives the host (novalite_state_path, ...)
  novalite.compute.hypervisor_info:
    host: "{{ inventory_hostname }}"
  module_defaults:
    novalite.compute.hypervisor_info: "{{ hostvars[inventory_hostname] | novalite.compute.host_settings('hypervisor_info') }}"

- name: Show the free RAM
  ansible.builtin.debug:
    msg: "{{ hv.host_state.free_ram_mb }}"
'''

RETURN = r'''
host_state:
  description:
    - The host state, every Nova HostState name listed in the collection's design, plus
      C(virt_type), C(claims), C(service_disabled_reason), C(forced_down) and C(local_ip)
      (O(local_ip), or null).
    - C(vcpus_used) includes the reserved host CPUs, as Nova's resource tracker reports it;
      C(memory_mb_used) and C(disk_gb_used) leave the reserved amounts out.
  returned: always
  type: dict
  sample:
    host: hv1
    nodename: hv1
    vcpus_total: 2
    vcpus_used: 1
    memory_mb_total: 4186
    memory_mb_used: 128
    free_ram_mb: 3546
    hypervisor_type: QEMU
    hypervisor_version: 7002000
    supported_instances: [[x86_64, qemu, hvm]]
    num_instances: 1
    num_io_ops: 0
    virt_type: qemu
    local_ip: 10.81.0.11
servers:
  description:
    - The servers of this host that hold resources, as a table kept small for the fact cache
      (with the host state, about 9 KB at 50 servers). C(columns) names the cells of each
      row; the C(project_id), C(user_id), C(flavor) and C(states) cells are positions in
      C(projects), C(users), C(flavors), C(states) (C([vm_state, task_state]) pairs) and
      C(group_lists) (the sorted security group names of a server), and C(addresses) is a list of C([network position, address]) pairs, the network a position
      in C(networks).
    - Row i is the server with the i-th smallest uuid among the keys of C(host_state.instances)
      that are not in C(host_state.claims); its server group is the value there.
    - P(novalite.compute.hypervisor_servers#filter) turns the tables of several hosts into
      one list of server dicts.
  returned: always
  type: dict
  contains:
    columns:
      description: The cells of a row.
      type: list
      elements: str
      sample: [name, project_id, user_id, flavor, states, addresses, security_groups]
    projects:
      description: The project ids the rows point to.
      type: list
      elements: str
    users:
      description: The user ids the rows point to.
      type: list
      elements: str
    flavors:
      description: The flavors the rows point to (C(name), C(vcpus), C(memory_mb), C(root_gb),
        C(ephemeral_gb), C(swap)).
      type: list
      elements: dict
    states:
      description: The C([vm_state, task_state]) pairs the rows point to.
      type: list
      elements: list
    networks:
      description: The network names the addresses point to.
      type: list
      elements: str
    group_lists:
      description: The lists of security group names the rows point to.
      type: list
      elements: list
    rows:
      description: One list a server.
      type: list
      elements: list
  sample:
    columns: [name, project_id, user_id, flavor, states, addresses, security_groups]
    projects: [demo]
    users: [demo-user]
    flavors: [{name: m1.nano, vcpus: 1, memory_mb: 128, root_gb: 1, ephemeral_gb: 0, swap: 0}]
    states: [[active, null]]
    networks: [private]
    group_lists: [[default]]
    rows: [[web-1, 0, 0, 0, 0, [[0, 10.254.0.10]], 0]]
virt_type_reason:
  description: Why O(virt_type=auto) resolved as it did.
  returned: always
  type: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.novalite.compute.plugins.module_utils.args_common import (
    COMPUTE_HOST_ARG_SPEC, COMPUTE_HOST_PATHS_ARG_SPEC, LIBVIRT_ARG_SPEC, NETWORK_HOST_ARG_SPEC,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import (
    libvirt_errors, open_connection, require_libraries,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute.host_settings import (
    SERVICE_ARG_SPEC, HostSettings,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute.resource_tracker import gather_host_state
from ansible_collections.novalite.compute.plugins.module_utils.compute.claims import list_claims
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.virt_type import resolve_virt_type

AGGREGATE_SPEC = dict(name=dict(type='str', required=True),
                      metadata=dict(type='dict', default={}))


def argument_spec():
    spec = dict(
        host=dict(type='str', required=True),
        availability_zone=dict(type='str', default='nova'),
        aggregates=dict(type='list', elements='dict', options=AGGREGATE_SPEC, default=[]),
        local_ip=NETWORK_HOST_ARG_SPEC['local_ip'],
    )
    spec.update(SERVICE_ARG_SPEC)
    spec.update(COMPUTE_HOST_ARG_SPEC)
    spec.update(COMPUTE_HOST_PATHS_ARG_SPEC)
    spec.update(LIBVIRT_ARG_SPEC)
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    require_libraries(module)
    p = module.params
    settings = HostSettings.from_params(p)
    virt_type, reason = resolve_virt_type(settings.virt_type)
    with libvirt_errors(module):
        conn = open_connection(settings.uri)
        host_state, servers = gather_host_state(
            conn, settings, host=p['host'], availability_zone=p['availability_zone'],
            aggregates=p['aggregates'], virt_type=virt_type,
            claims=list_claims(settings.state_path), local_ip=p['local_ip'])
    module.exit_json(changed=False, host_state=host_state, servers=servers,
                     virt_type_reason=reason)


if __name__ == '__main__':
    main()
