# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: uuids_for_rows
short_description: The server uuids whose hosts a lookup may take from the fleet database first
version_added: 3.0.0
description:
  - Given the uuids or names a lookup asks for, returns them when every one is a uuid, else an
    empty list.
  - A uuid names one server, so the hosts the fleet database's instance rows give for it are
    asked first, and the other hypervisors only for what they did not find. A name is not unique
    (Nova's rule) and the rows know only the servers their database has seen; another server of
    that name may be on a host the rows do not name, so a lookup with a name asks every
    hypervisor.
options:
  _input:
    description: The uuids or names asked for - one string, a list, or V(null).
    type: raw
    required: true
author:
  - novalite.compute contributors (@novalite)
'''

EXAMPLES = r'''
- name: Read the hosts of the uuids only
  novalite.compute.fleet_hosts:
    hosts: "{{ groups['hypervisors'] }}"
    server_uuids: "{{ novalite_server_id | novalite.compute.uuids_for_rows }}"
  when: novalite_server_id | novalite.compute.uuids_for_rows | length > 0
'''

RETURN = r'''
_value:
  description: The identifiers when each is a uuid, else an empty list.
  type: list
  elements: str
  sample: [0b1c7e8e-94b0-4d5d-8d65-2b0c2b9f8c11]
'''

from ansible.errors import AnsibleFilterError
from ansible_collections.novalite.compute.plugins.module_utils.api import lookup
from ansible_collections.novalite.compute.plugins.module_utils.errors import ValidationError


def uuids_for_rows(server_id):
    try:
        return lookup.uuids_for_rows(lookup.identifiers(server_id))
    except ValidationError as exc:
        raise AnsibleFilterError('uuids_for_rows: %s' % exc)


class FilterModule(object):
    def filters(self):
        return {'uuids_for_rows': uuids_for_rows}
