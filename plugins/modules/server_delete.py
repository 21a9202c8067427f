#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: server_delete
short_description: Delete one server from this hypervisor (Nova's delete)
version_added: 1.0.0
description:
  - Removes every trace of the server from the hypervisor - the domain C(instance-<uuid>)
    (destroyed, then undefined), the static DHCP host entries of its ports, the instance
    directory (disks, config drive, console log) and an in-flight build claim.
  - Also cleans up what a build that was killed half-way left behind.
  - Nothing to remove is not an error; the result then reports no change.
  - Before anything, Nova's policy C(os_compute_api:servers:delete) is checked with
    O(context) against the server's record - by default a member or admin of the server's
    project may delete it. What a killed build left without a record has no owner to check
    against; only a caller the rule allows without a project (an admin, by default) may
    remove it.
  - A locked server is deleted by an admin only (Nova's C(Instance <uuid> is locked)).
extends_documentation_fragment:
  - novalite.compute.compute_host.paths
  - novalite.compute.libvirt
  - novalite.compute.server_policy
options:
  server:
    description: The server's uuid.
    type: str
    required: true
  shutdown_timeout:
    description:
      - Seconds the guest has to power off after the ACPI power button (pressed again every
        10 seconds) before the domain is destroyed. V(0) destroys it at once.
    type: int
    default: 0
attributes:
  check_mode:
    support: full
    description: Reports whether anything would be removed, removing nothing.
  diff_mode:
    support: none
    description: No diff is reported; C(changed) tells whether anything was removed.
  idempotent:
    support: full
    description: Once the server is gone, another run reports no change.
  platform:
    support: full
    platforms: posix
    description: Runs on the hypervisor.
author:
  - novalite.compute contributors (@novalite)
'''

EXAMPLES = r'''
- name: Delete a server
  novalite.compute.server_delete:
    server: 0b1c7e8e-94b0-4d5d-8d65-2b0c2b9f8c11
    shutdown_timeout: 30
    context: {project_id: demo, user_id: demo-user, roles: [member]}
  delegate_to: hv1
'''

RETURN = r'''
server:
  description: The server record as it was before the delete; null when there was no domain.
  returned: always
  type: dict
  sample:
    uuid: 0b1c7e8e-94b0-4d5d-8d65-2b0c2b9f8c11
    name: web-1
    host: hv1
    vm_state: active
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.novalite.compute.plugins.module_utils.args_common import (
    COMPUTE_HOST_PATHS_ARG_SPEC, LIBVIRT_ARG_SPEC, SERVER_POLICY_ARG_SPEC,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute.lifecycle import check_instance_lock
from ansible_collections.novalite.compute.plugins.module_utils.compute.server_access import (
    authorized_server, server_module_errors,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute.teardown import delete, leftovers
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import (
    open_connection, require_libraries,
)


def argument_spec():
    spec = dict(
        server=dict(type='str', required=True),
        shutdown_timeout=dict(type='int', default=0),
    )
    spec.update(COMPUTE_HOST_PATHS_ARG_SPEC)
    spec.update(LIBVIRT_ARG_SPEC)
    spec.update(SERVER_POLICY_ARG_SPEC)
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    require_libraries(module)
    p = module.params
    with server_module_errors(module, 'Delete of instance %s failed' % p['server']):
        conn = open_connection(p['uri'])
        found = leftovers(conn, p['server'], p['instances_path'], p['state_path'])
        if found['domain'] is not None or found['instance_dir'] or found['claim']:
            # a partial build without a record is an admin's to delete
            access = authorized_server(p, 'delete', conn=conn, without_record=True)
            # Nova's delete is check_instance_lock'ed too
            check_instance_lock(access.record or {}, access.caller['is_admin'])
        result = delete(conn, p['server'], p['instances_path'], p['state_path'],
                        shutdown_timeout=p['shutdown_timeout'], check_mode=module.check_mode)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
