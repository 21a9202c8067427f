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
    directory (disks, config drive, console log), an in-flight claim, and what a resize to or
    from another host keeps here - the source's old directory C(<uuid>_resize), the files
    staged on the destination. The C(novalite.compute.delete) role runs it on both hosts of a
    server whose resize is neither confirmed nor reverted.
  - Also cleans up what a build that was killed half-way left behind, as its build journal
    under O(state_path)C(/journal) names it, and removes the journal last.
  - Nothing to remove is not an error; the result then reports no change.
  - Before anything, Nova's policy C(os_compute_api:servers:delete) is checked with
    O(context) against the server's record - by default a member or admin of the server's
    project may delete it. A build killed before its domain was defined is checked against
    its build journal (its project and user); what a killed build left with neither a record
    nor a journal has no owner to check against - only a caller the rule allows without a
    project (an admin, by default) may remove it.
  - A locked server is deleted by an admin only (Nova's C(Instance <uuid> is locked)).
  - When libvirtd does not answer, the server cannot be read nor removed. The delete is then
    recorded on the host (O(state_path)C(/deleted/<uuid>.json), with O(context) and O(policy))
    and the module fails saying so, with RV(deferred). Nova's delete of an instance whose
    compute service is down, and its C(_cleanup_running_deleted_instances) - once libvirtd is
    back, M(novalite.compute.reconcile) checks the same policy against the record and removes
    the server, or drops a request the caller was not allowed. A later delete does it too.
extends_documentation_fragment:
  - novalite.compute.compute_host.paths
  - novalite.compute.libvirt
  - novalite.compute.server_policy
options:
  server:
    description: The server's uuid (lowercase, as Nova writes it).
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
deferred:
  description:
    - V(true) when libvirtd did not answer and the delete was recorded on the host for the
      reconciler (the module fails then).
  returned: when libvirtd does not answer
  type: bool
'''

try:
    import libvirt
except ImportError:
    pass  # require_libraries fails the module

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.novalite.compute.plugins.module_utils.args_common import (
    COMPUTE_HOST_PATHS_ARG_SPEC, LIBVIRT_ARG_SPEC, SERVER_POLICY_ARG_SPEC,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute import deleted
from ansible_collections.novalite.compute.plugins.module_utils.compute import layout
from ansible_collections.novalite.compute.plugins.module_utils.compute.server_access import (
    authorize_delete, server_module_errors,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute.teardown import (
    delete, found_anything, found_record, leftovers,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import (
    libvirt_errors, open_connection, require_libraries,
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


def connect_or_record(module):
    """The libvirt connection; when libvirtd does not answer, the delete is recorded on the
    host (deleted.py) and the module fails saying so."""
    p = module.params
    try:
        return open_connection(p['uri'])
    except libvirt.libvirtError as exc:
        cause = exc.get_error_message() or str(exc)
    path = None
    if not module.check_mode:
        with libvirt_errors(module, 'Delete of instance %s failed: libvirt (%s) does not answer (%s), '
                            'and recording the delete failed' % (p['server'], p['uri'], cause), also=(OSError,)):
            path = deleted.request(p['state_path'], p['server'], p['context'], p['policy'])
    module.fail_json(
        msg='Delete of instance %s is not done: libvirt (%s) does not answer: %s. %s' % (
            p['server'], p['uri'], cause,
            'The delete is recorded on the host (%s): the reconciler, or a delete of the '
            'server, does it once libvirtd is back.' % path if path else 'Check mode: nothing recorded.'),
        deferred=path is not None, changed=path is not None)


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    require_libraries(module)
    p = module.params
    if not layout.UUID_RE.match(p['server']):
        module.fail_json(msg='server: must be a server uuid (8-4-4-4-12 lowercase hex digits), got %r'
                         % p['server'])
    conn = connect_or_record(module)
    with server_module_errors(module, 'Delete of instance %s failed' % p['server']):
        found = leftovers(conn, p['server'], p['instances_path'], p['state_path'])
        if found_anything(found):
            # A build without a domain is its journal's: its project and user own it.
            authorize_delete(found_record(found), p['context'], p['policy'])
        result = delete(conn, p['server'], p['instances_path'], p['state_path'],
                        shutdown_timeout=p['shutdown_timeout'], check_mode=module.check_mode)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
