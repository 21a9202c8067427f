# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: allocate_fixed_ips
short_description: Give every instance of a request a fixed IP on each of its networks
version_added: 1.0.0
deprecated:
  removed_in: 4.0.0
  why: The create path allocates fixed IPs in the fleet database, unique per network across controllers.
  alternative: The novalite.compute.fleet_schedule action, which the create_server playbook runs.
description:
  - A catalog network is one address space whichever hypervisors its servers run on, as a
    Neutron subnet is. This picks each instance's fixed IP from the network's allocation pools
    against the addresses of the servers on all hypervisors and of the request's other
    instances, and checks an address the request asked for is free.
  - An address not asked for is drawn at random among the first 1000 free ones, as Neutron's
    IPAM does, so that requests running at the same time seldom choose the same.
  - The hypervisor honours the address and checks it again against its own servers, claims and
    DHCP entries.
requirements:
  - netaddr
options:
  _input:
    description: The per-instance build data (C(instances) of M(novalite.compute.server_request)).
    type: list
    elements: dict
    required: true
  servers:
    description:
      - The servers of every hypervisor, as P(novalite.compute.hypervisor_servers#filter)
        makes them from what M(novalite.compute.hypervisor_info) returns.
    type: list
    elements: dict
    required: true
author:
  - novalite.compute contributors (@novalite)
'''

EXAMPLES = r'''
- name: Choose the fixed IPs before the build
  ansible.builtin.set_fact:
    instances: "{{ request.instances | novalite.compute.allocate_fixed_ips(all_servers) }}"
'''

RETURN = r'''
_value:
  description: The instances, each network with its C(fixed_ip).
  type: list
  elements: dict
'''

from ansible.errors import AnsibleFilterError
from ansible.module_utils.basic import missing_required_lib
from ansible.utils.display import Display
from ansible_collections.novalite.compute.plugins.module_utils.conductor.fixed_ips import assign_fixed_ips
from ansible_collections.novalite.compute.plugins.module_utils.compute.network import HAS_NETADDR, NetworkError


DEPRECATION = ('novalite.compute.allocate_fixed_ips: the create path allocates fixed IPs in the fleet '
               'database (novalite.compute.fleet_schedule), unique per network across controllers')


def allocate_fixed_ips(instances, servers):
    # Warned when used, not through meta/runtime.yml: Ansible loads every filter file of a
    # collection for the first of its filters a play uses, and would warn on every run.
    Display().deprecated(DEPRECATION, version='4.0.0', collection_name='novalite.compute')
    if not HAS_NETADDR:
        raise AnsibleFilterError(missing_required_lib('netaddr'))
    try:
        return assign_fixed_ips(instances, servers)
    except NetworkError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    def filters(self):
        return {'allocate_fixed_ips': allocate_fixed_ips}
