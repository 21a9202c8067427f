#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: libvirt_network
short_description: Declarative libvirt network (defined, active or absent)
version_added: 1.0.0
description:
  - Defines a libvirt virtual network from typed options and brings it to the wanted state.
  - Only the managed fields are compared (forward mode, and when set bridge, MTU, IPv4 address
    and DHCP range), projected from libvirt's normalised inactive XML, so a second run with the
    same options reports no change.
  - On redefine the UUID, MAC, static DHCP host entries and anything else the options do not
    manage are carried over from the existing definition.
  - A running network whose definition changes is stopped and started again. Guests attached
    to it lose their link until their interfaces are re-plugged.
extends_documentation_fragment:
  - novalite.compute.attributes.declarative
  - novalite.compute.libvirt
options:
  name:
    description: The network name.
    type: str
    required: true
  state:
    description:
      - V(present) defines the network and leaves it running or stopped as it is.
      - V(active) defines it and starts it.
      - V(absent) stops and undefines it.
    type: str
    choices: [present, active, absent]
    default: active
  forward_mode:
    description:
      - V(none) is an isolated network; V(nat) and V(route) forward traffic off the host.
    type: str
    choices: [none, nat, route]
    default: none
  bridge:
    description:
      - The bridge device name (at most 15 characters). Unset lets libvirt pick C(virbrN)
        and leaves an existing bridge name alone.
    type: str
  cidr:
    description:
      - The IPv4 network, such as V(10.254.0.0/24). Unset leaves the addresses unmanaged.
      - Required when O(forward_mode) is V(nat) or V(route).
    type: str
  gateway:
    description:
      - The host's address on the network. Defaults to the first address of O(cidr).
    type: str
  dhcp:
    description:
      - Whether the network's dnsmasq serves DHCP. Needs O(cidr).
    type: bool
    default: true
  dhcp_start:
    description:
      - First address of the DHCP range. Defaults to the first host address that is not the
        gateway.
    type: str
  dhcp_end:
    description:
      - Last address of the DHCP range. Defaults to the last host address that is not the
        gateway.
    type: str
  mtu:
    description: The MTU of the bridge. Unset leaves it unmanaged.
    type: int
  autostart:
    description: Whether libvirtd starts the network when it starts. Unset leaves it alone.
    type: bool
attributes:
  diff_mode:
    support: full
    description: The diff shows the managed fields, autostart and state before and after.
author:
  - novalite.compute contributors (@novalite)
'''

EXAMPLES = r'''
- name: An isolated network with DHCP for the servers
  novalite.compute.libvirt_network:
    name: novalite-private
    cidr: 10.254.0.0/24
    dhcp_start: 10.254.0.10
    dhcp_end: 10.254.0.250
    autostart: true

- name: The same network defined but not started
  novalite.compute.libvirt_network:
    name: novalite-private
    state: present
    cidr: 10.254.0.0/24

- name: Remove it
  novalite.compute.libvirt_network:
    name: novalite-private
    state: absent
'''

RETURN = r'''
actions:
  description: What was done (or would be done in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: [define, start, autostart]
network:
  description: The network after the run; null when absent or in check mode.
  returned: always
  type: dict
  contains:
    name:
      description: The network name.
      type: str
    uuid:
      description: The network UUID.
      type: str
    forward_mode:
      description: V(none), V(nat) or V(route).
      type: str
    bridge:
      description: The bridge device name.
      type: str
    mtu:
      description: The MTU, null when libvirt's default applies.
      type: int
    ipv4:
      description: The host's address and prefix length, such as V(10.254.0.1/24).
      type: str
    dhcp:
      description: The DHCP range C({start, end}), null without DHCP.
      type: dict
    autostart:
      description: Whether libvirtd starts the network when it starts.
      type: bool
    active:
      description: Whether the network runs.
      type: bool
  sample:
    name: novalite-private
    uuid: 9b1c1bd4-77f0-4d57-a0fb-0d8ffb8c1f5e
    forward_mode: none
    bridge: virbr1
    mtu: null
    ipv4: 10.254.0.1/24
    dhcp: {start: 10.254.0.10, end: 10.254.0.250}
    autostart: true
    active: true
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.novalite.compute.plugins.module_utils.args_common import LIBVIRT_ARG_SPEC
from ansible_collections.novalite.compute.plugins.module_utils.errors import NovaliteError
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.network import (
    NetworkManager, desired_network,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import (
    libvirt_errors, open_connection, require_libraries,
)


def argument_spec():
    spec = dict(
        name=dict(type='str', required=True),
        state=dict(type='str', choices=['present', 'active', 'absent'], default='active'),
        forward_mode=dict(type='str', choices=['none', 'nat', 'route'], default='none'),
        bridge=dict(type='str'),
        cidr=dict(type='str'),
        gateway=dict(type='str'),
        dhcp=dict(type='bool', default=True),
        dhcp_start=dict(type='str'),
        dhcp_end=dict(type='str'),
        mtu=dict(type='int'),
        autostart=dict(type='bool'),
    )
    spec.update(LIBVIRT_ARG_SPEC)
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    require_libraries(module)
    p = module.params
    try:
        want = None
        if p['state'] != 'absent':
            want = desired_network(p['name'], p['forward_mode'], p['bridge'], p['cidr'],
                                   p['gateway'], p['dhcp'], p['dhcp_start'], p['dhcp_end'],
                                   p['mtu'])
        with libvirt_errors(module, 'libvirt'):
            conn = open_connection(p['uri'])
            result = NetworkManager(conn, p['name'], p['state'], want, p['autostart']).run(
                check_mode=module.check_mode)
    except NovaliteError as exc:
        module.fail_json(msg=exc.msg)
    if not module._diff:
        result.pop('diff')
    module.exit_json(**result)


if __name__ == '__main__':
    main()
