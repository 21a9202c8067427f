#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: server_info
short_description: Servers of one hypervisor, from their domains' metadata
version_added: 1.0.0
description:
  - Lists the servers (Nova instances) whose records live in this hypervisor's domain
    metadata, with the power state libvirt reports now.
  - Also lists the builds that have no domain yet, from their build journals under
    O(state_path)C(/journal) - C(vm_state=building) while the build runs, C(vm_state=error)
    with a C(fault) once its process is gone (until M(novalite.compute.server_delete) or
    M(novalite.compute.reconcile) removes it).
  - Pipe a server through the P(novalite.compute.server_view#filter) filter to see it as
    Nova's API shows it.
extends_documentation_fragment:
  - novalite.compute.attributes.hypervisor_info
  - novalite.compute.libvirt
options:
  server:
    description: Only the server with this UUID or name.
    type: str
  project_id:
    description: Only the servers of this project.
    type: str
  state_path:
    description: The host's state directory, where the build journals are.
    type: path
    default: /var/lib/novalite
  detailed:
    description:
      - V(true) returns the whole server records (with the instance actions);
        V(false) compact entries (id, name, project, user, flavor sizes, states, server group,
        key name, metadata count, addresses).
    type: bool
    default: true
author:
  - novalite.compute contributors (@novalite)
'''

EXAMPLES = r'''
- name: Show one server
  novalite.compute.server_info:
    server: web-1
  register: found

- name: As the API shows it
  ansible.builtin.debug:
    msg: "{{ found.servers[0] | novalite.compute.server_view }}"
'''

RETURN = r'''
servers:
  description:
    - The matching server records (docs/internals.md "Server record"), C(power_state) from
      libvirt's current state; compact entries when O(detailed=false).
  returned: always
  type: list
  elements: dict
  sample:
    - uuid: 0b1c7e8e-94b0-4d5d-8d65-2b0c2b9f8c11
      name: web-1
      project_id: demo
      flavor: {id: "1", name: m1.nano, vcpus: 1, memory_mb: 128, root_gb: 1,
               ephemeral_gb: 0, swap: 0, extra_specs: {}}
      host: hv1
      vm_state: active
      task_state: null
      power_state: 1
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.novalite.compute.plugins.module_utils.args_common import LIBVIRT_ARG_SPEC
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import (
    libvirt_errors, open_connection, require_libraries,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute.journal import partial_servers
from ansible_collections.novalite.compute.plugins.module_utils.compute.server_record import (
    compact_server, list_servers,
)


def select(records, server=None, project_id=None):
    """The records matching `server` (uuid or name) and `project_id`."""
    return [rec for rec in records
            if (server is None or server in (rec.get('uuid'), rec.get('name')))
            and (project_id is None or rec.get('project_id') == project_id)]


def argument_spec():
    spec = dict(server=dict(type='str'), project_id=dict(type='str'),
                state_path=dict(type='path', default='/var/lib/novalite'),
                detailed=dict(type='bool', default=True))
    spec.update(LIBVIRT_ARG_SPEC)
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    require_libraries(module)
    with libvirt_errors(module):
        records = list_servers(open_connection(module.params['uri']))
    records += partial_servers(module.params['state_path'], set(rec.get('uuid') for rec in records))
    found = select(records, module.params['server'], module.params['project_id'])
    if not module.params['detailed']:
        found = [compact_server(rec) for rec in found]
    module.exit_json(changed=False, servers=found)


if __name__ == '__main__':
    main()
