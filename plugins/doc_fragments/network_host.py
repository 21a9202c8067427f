# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """A hypervisor's network settings (Neutron's linuxbridge agent options) and the security
    groups it enforces: the twin of args_common.NETWORK_HOST_ARG_SPEC."""

    DOCUMENTATION = r'''
options:
  local_ip:
    description:
      - This hypervisor's address for VXLAN traffic (Neutron's C([vxlan] local_ip)). Required
        on a host with a port on a C(vxlan) network.
    type: str
  vxlan_peers:
    description:
      - The O(local_ip) of the other hypervisors; each gets an all-zeros flood entry on every
        VXLAN device of this host (head-end replication, as l2population sets up). This
        host's own address is ignored, so the same list serves every host.
    type: list
    elements: str
    default: []
  physical_interface_mappings:
    description:
      - Physical network name to this host's interface, for C(flat) networks (the interface
        goes into the network's bridge; it must carry no address) and C(vlan) networks (a
        C(<interface>.<vlan>) sub-interface goes into it).
    type: dict
    default: {}
  bridge_mappings:
    description:
      - Physical network name to an existing bridge of the operator, used as is by C(flat)
        networks; it wins over O(physical_interface_mappings).
    type: dict
    default: {}
  security_groups:
    description:
      - The catalog's security groups (C(id), C(name), C(rules) in Neutron's rule model,
        optional C(default_rules)). When set, this host's ports get the nftables ruleset of
        their groups, anti-spoofing included; when omitted, the host's firewall is left as it
        is.
    type: list
    elements: dict
  security_group_members:
    description:
      - Security group name to the fixed IPs of its members on the other hypervisors, for
        rules with a C(remote_group_id); this host's own members are added from its records.
    type: dict
    default: {}
'''
