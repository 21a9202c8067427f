#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: hypervisor_network
short_description: Plug the catalog's networks on this hypervisor and enforce its security groups
version_added: 1.0.0
description:
  - What Neutron's linuxbridge agent keeps up on a compute host, without an agent - for each
    C(vxlan), C(flat) and C(vlan) network of O(networks), the bridge C(brq<network id[:11]>)
    with its VXLAN device C(vxlan-<segmentation_id>) (all-zeros flood entries to every
    O(vxlan_peers)), its physical interface or its VLAN sub-interface. C(local) networks (a
    C(libvirt_network) or C(bridge)) are left to M(novalite.compute.libvirt_network).
  - With O(security_groups), rewrites this host's nftables ruleset (tables C(bridge novalite)
    and C(inet novalite)) from the ports of its servers and in-flight builds - anti-spoofing
    and the rules of each port's groups, remote groups from O(security_group_members) and
    this host's own members. Run it after a membership change to update the others.
  - Runs under the host's compute lock, so it never races a build on the same host.
  - Segments stay when their last port goes; nothing here removes one.
extends_documentation_fragment:
  - novalite.compute.compute_host.paths
  - novalite.compute.libvirt
  - novalite.compute.network_host
options:
  networks:
    description:
      - The catalog's networks (C(id), C(name), C(network_type), C(segmentation_id),
        C(physical_network), C(mtu), C(libvirt_network), C(bridge)).
    type: list
    elements: dict
    default: []
attributes:
  check_mode:
    support: full
    description: Reports the commands it would run and whether the ruleset would change.
  diff_mode:
    support: none
    description: RV(plugged) lists the commands; the ruleset is in O(state_path)C(/firewall.nft).
  idempotent:
    support: full
    description: A second run finds the segments and the ruleset in place and changes nothing.
  platform:
    support: full
    platforms: posix
    description: Runs on the hypervisor, as root (ip, bridge, nft, sysctl).
requirements:
  - iproute2 (ip, bridge)
  - nftables (nft), and the br_netfilter kernel module for stateful security groups
author:
  - novalite.compute contributors (@novalite)
'''

EXAMPLES = r'''
- name: Plug the tenant networks and enforce the security groups
  novalite.compute.hypervisor_network:
    networks: "{{ novalite_networks }}"
    local_ip: "{{ ansible_host }}"
    vxlan_peers: "{{ groups['hypervisors'] | map('extract', hostvars, 'ansible_host') | list }}"
    physical_interface_mappings: {physnet1: eth1}
    security_groups: "{{ novalite_security_groups }}"
    security_group_members: {default: [10.0.0.12, 10.0.0.13]}
'''

RETURN = r'''
plugged:
  description: Network name to the commands run (or, in check mode, to run) for its segment;
    an empty list when it was in place.
  returned: always
  type: dict
  sample: {tenant: [[ip, link, add, brq9a8b7c6d-00, type, bridge]]}
firewall_changed:
  description: Whether the security group ruleset was (or would be) rewritten.
  returned: always
  type: bool
  sample: false
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.novalite.compute.plugins.module_utils.args_common import (
    COMPUTE_HOST_PATHS_ARG_SPEC, LIBVIRT_ARG_SPEC, NETWORK_HOST_ARG_SPEC,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute.host_network import prepare
from ansible_collections.novalite.compute.plugins.module_utils.compute.firewall import FirewallError
from ansible_collections.novalite.compute.plugins.module_utils.compute.network import (
    HAS_NETADDR, NETADDR_IMPORT_ERROR,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute.segments import SegmentError
from ansible_collections.novalite.compute.plugins.module_utils.errors import ValidationError
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import (
    libvirt_errors, open_connection, require_libraries,
)


def argument_spec():
    spec = dict(networks=dict(type='list', elements='dict', default=[]))
    spec.update(NETWORK_HOST_ARG_SPEC)
    spec.update(COMPUTE_HOST_PATHS_ARG_SPEC)
    spec.update(LIBVIRT_ARG_SPEC)
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    require_libraries(module, (HAS_NETADDR, 'netaddr', NETADDR_IMPORT_ERROR))
    with libvirt_errors(module):
        conn = open_connection(module.params['uri'])
        try:
            result = prepare(conn, module.run_command, module.params['state_path'],
                             module.params['networks'], module.params, module.check_mode)
        except (ValidationError, SegmentError, FirewallError) as exc:
            module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
