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
  - Nova's policies decide what O(context) sees, checked against each server's record -
    a server asked for by uuid needs C(os_compute_api:servers:show) (Nova's 403 message
    otherwise); a listing needs C(os_compute_api:servers:detail) (C(:index) when
    O(detailed=false)) and holds the caller's project's servers only, all projects' with
    O(all_tenants) when C(os_compute_api:servers:detail:get_all_tenants)
    (C(:index:get_all_tenants)) allows it. The instance actions of a detailed record are
    there when C(os_compute_api:os-instance-actions:list) allows it, their events when
    C(os_compute_api:os-instance-actions:events) does (an admin, by default). A detailed
    record's instance C(fault) (message, code, created) shows its C(details) to admins only
    when its code is 500, as Nova's view does.
extends_documentation_fragment:
  - novalite.compute.attributes.hypervisor_info
  - novalite.compute.libvirt
  - novalite.compute.server_policy
options:
  server:
    description:
      - Only the servers with these UUIDs or names - one string, or a list of them. A UUID is
        Nova's C(GET /servers/{id}) (C(os_compute_api:servers:show) on that server); a name
        is looked up among the servers the caller may list.
    type: raw
  name:
    description:
      - Nova's C(name) filter of C(GET /servers) - a regular expression searched in each
        server's name (V(^web-) for every server whose name starts with C(web-)). With
        O(server), the servers matching either.
    type: str
    version_added: 2.0.0
  project_id:
    description: Only the servers of this project (with O(all_tenants), another project's).
    type: str
  all_tenants:
    description:
      - List the servers of every project, as Nova's C(all_tenants) filter; refused with
        Nova's 403 message unless the policy allows it.
    type: bool
    default: false
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
    context: {project_id: demo, user_id: demo-user, roles: [reader]}
  register: found

- name: Every project's servers (an admin)
  novalite.compute.server_info:
    all_tenants: true
    detailed: false
    context: {project_id: admin, user_id: admin, roles: [admin]}

- name: Every server of the project whose name starts with web-
  novalite.compute.server_info:
    name: '^web-'
    context: {project_id: demo, user_id: demo-user, roles: [reader]}
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
hypervisor:
  description:
    - The hypervisor that holds these servers, as it names itself - C(uuid) the libvirt host
      UUID (C(virsh capabilities)' C(host/uuid)), C(hostname) libvirt's host name. Its
      inventory name may change; this does not.
  returned: always
  type: dict
  version_added: 2.0.0
  sample: {uuid: 6e6f7661-0000-4000-8000-000000000001, hostname: hv1.example.org}
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.novalite.compute.plugins.module_utils.api import lookup
from ansible_collections.novalite.compute.plugins.module_utils.api.policy import (
    Enforcer, authorize_server, shown_actions, visible_servers,
)
from ansible_collections.novalite.compute.plugins.module_utils.args_common import LIBVIRT_ARG_SPEC, SERVER_POLICY_ARG_SPEC
from ansible_collections.novalite.compute.plugins.module_utils.errors import ValidationError
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import (
    host_identity, open_connection, require_libraries,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute.journal import partial_servers
from ansible_collections.novalite.compute.plugins.module_utils.compute.server_access import server_module_errors
from ansible_collections.novalite.compute.plugins.module_utils.compute.server_list import compact_server
from ansible_collections.novalite.compute.plugins.module_utils.compute.server_record import list_servers


def select(records, ids=None, pattern=None, project_id=None):
    """The records matching `ids` (uuids or names) or `pattern` (lookup.matches), and
    `project_id`."""
    return [rec for rec in records
            if lookup.matches(rec, ids, pattern)
            and (project_id is None or rec.get('project_id') == project_id)]


def authorized(records, params):
    """The records `params['context']` may see, as Nova's show and list; each detailed
    record's instance actions as the caller may see them. Raises PolicyNotAuthorized, and
    ValidationError for a bad O(server) or O(name)."""
    enforcer, context = Enforcer(params['policy']), params['context']
    ids = lookup.identifiers(params['server'], 'server')
    pattern = lookup.name_pattern(params.get('name'), 'name')
    by_uuid = [rec for rec in records if ids and rec.get('uuid') in ids]
    # GET /servers/{id}: the server's owner decides (403 for anyone else)
    for rec in by_uuid:
        authorize_server(enforcer, 'show', rec, context)
    found = select(by_uuid, project_id=params['project_id'])
    names = [i for i in ids or [] if i not in set(rec.get('uuid') for rec in by_uuid)]
    if names or pattern is not None or ids is None:
        # a listing: the list policy, and the servers the caller may list
        found += select(visible_servers(enforcer, records, context, params['all_tenants'],
                                        params['detailed']),
                        names or None, pattern, params['project_id'])
    if not params['detailed']:
        return found
    shown = []
    is_admin = enforcer.credentials(context)['is_admin']
    for rec in found:
        actions = shown_actions(enforcer, rec, context)
        rec = dict((k, v) for k, v in rec.items() if k != 'actions')
        if actions is not None:
            rec['actions'] = actions
        fault = rec.get('fault')
        if fault and fault.get('code') == 500 and not is_admin:
            # Nova's view builder: a 500 fault's details are for admins only
            rec['fault'] = dict((k, v) for k, v in fault.items() if k != 'details')
        shown.append(rec)
    return shown


def argument_spec():
    spec = dict(server=dict(type='raw'), name=dict(type='str'), project_id=dict(type='str'),
                all_tenants=dict(type='bool', default=False),
                state_path=dict(type='path', default='/var/lib/novalite'),
                detailed=dict(type='bool', default=True))
    spec.update(LIBVIRT_ARG_SPEC)
    spec.update(SERVER_POLICY_ARG_SPEC)
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    require_libraries(module)
    try:
        with server_module_errors(module):
            conn = open_connection(module.params['uri'])
            records, hypervisor = list_servers(conn, source_copies=False), host_identity(conn)
            # a build that died before its domain was defined, from its journal
            records += partial_servers(module.params['state_path'], set(rec.get('uuid') for rec in records))
            found = authorized(records, module.params)
    except ValidationError as exc:
        module.fail_json(msg=str(exc), field=exc.field, rule=exc.rule)
    if not module.params['detailed']:
        found = [compact_server(rec) for rec in found]
    module.exit_json(changed=False, servers=found, hypervisor=hypervisor)


if __name__ == '__main__':
    main()
