# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: network_types
short_description: The network types of a list of networks, as Neutron's provider:network_type
version_added: 3.0.0
description:
  - Returns the sorted, distinct types (V(local), V(flat), V(vlan), V(vxlan)) of the given
    catalog or build networks; a network without C(network_type) is V(local) when it names a
    libvirt network or a host bridge, else V(vxlan) - the rule the hypervisors apply.
  - The create path uses it to look up the VXLAN peers (every hypervisor's
    C(novalite_local_ip), costly with many hosts in the inventory) only when a request has a
    VXLAN network.
options:
  _input:
    description: The networks (dicts), for example the C(networks) of a request's instances.
    type: list
    elements: dict
    required: true
author:
  - novalite.compute contributors
'''

EXAMPLES = r'''
- name: Does any instance of the request use a VXLAN network?
  ansible.builtin.debug:
    msg: "{{ 'vxlan' in (schedule_instances | map(attribute='networks') | flatten | novalite.compute.network_types) }}"
'''

RETURN = r'''
_value:
  description: The distinct network types, sorted.
  type: list
  elements: str
  sample: [local, vxlan]
'''

from ansible.errors import AnsibleFilterError
from ansible_collections.novalite.compute.plugins.module_utils.compute.segments import network_type
from ansible_collections.novalite.compute.plugins.module_utils.errors import ValidationError


def network_types(networks):
    try:
        return sorted(set(network_type(network) for network in networks))
    except ValidationError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    """novalite.compute.network_types"""

    def filters(self):
        return {'network_types': network_types}
