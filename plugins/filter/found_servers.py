# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: found_servers
short_description: The servers the hypervisors found by name, ID or pattern, once each
version_added: 2.0.0
description:
  - Gathers what M(novalite.compute.server_info) found on each hypervisor (the
    C(novalite.compute.find_server) role registers it as C(find_server_found)) into one list
    of server records, each homed at the inventory name of the hypervisor that found it
    (C(host)) and tagged with that hypervisor's libvirt host UUID (C(hypervisor_uuid)) - a host
    renamed in the inventory keeps its servers. A machine named twice reports its servers
    once.
  - Also says which of the asked identifiers matched nothing and which names matched several
    servers, for Nova's messages, and which no server's uuid settled (the names, and the uuids
    not found), for a lookup that asked only some hypervisors to ask the others.
options:
  _input:
    description: The hostvars of the hypervisors, each with C(inventory_hostname) and, when it
      answered, C(find_server_found).
    type: list
    elements: dict
    required: true
  server_id:
    description: The uuids or names asked for - one string, a list, or V(null).
    type: raw
author:
  - novalite.compute contributors (@novalite)
'''

EXAMPLES = r'''
- name: What the hypervisors found
  ansible.builtin.set_fact:
    found: >-
      {{ groups['hypervisors'] | map('extract', hostvars)
         | novalite.compute.found_servers(novalite_server_id | default(none)) }}
'''

RETURN = r'''
_value:
  description: The lookup's answer.
  type: dict
  contains:
    servers:
      description:
        - The server records found, once each, with C(host), C(hypervisor_uuid) and
          C(resize_peer) - the other host of a resize to another host that is neither confirmed
          nor reverted (it holds a part of the server), else V(null).
      type: list
      elements: dict
    missing:
      description: The asked identifiers that match no server.
      type: list
      elements: str
    ambiguous:
      description: Each asked name that matches several servers, with their uuids.
      type: dict
    unsettled:
      description:
        - The asked identifiers that no server's uuid equals - the names (another hypervisor
          may hold another server of that name) and the uuids not found.
      type: list
      elements: str
'''

from ansible.errors import AnsibleFilterError
from ansible_collections.novalite.compute.plugins.module_utils.api import lookup
from ansible_collections.novalite.compute.plugins.module_utils.errors import ValidationError


def found_servers(hypervisors, server_id=None):
    try:
        ids = lookup.identifiers(server_id)
    except ValidationError as exc:
        raise AnsibleFilterError('found_servers: %s' % exc)
    found = []
    for hv in hypervisors:
        answer = hv.get('find_server_found') or {}
        if answer.get('servers') is not None:
            found.append((hv['inventory_hostname'], answer.get('hypervisor'), answer['servers']))
    servers = lookup.gather(found)
    return {'servers': servers, 'missing': lookup.unmatched(ids, servers),
            'ambiguous': lookup.ambiguous(ids, servers), 'unsettled': lookup.unsettled(ids, servers)}


class FilterModule(object):
    def filters(self):
        return {'found_servers': found_servers}
