#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: server_resize
short_description: Resize a server to another flavor, confirm or revert it (Nova's resize actions)
version_added: 3.0.0
description:
  - Runs Nova's C(resize), C(confirmResize) or C(revertResize) server action on the
    hypervisor the server lives on, under the instance's host-local lock.
  - V(resize) takes O(resize), the body of Nova's action (C(flavorRef), a flavor of
    O(catalog) by id or name), checked as Nova does - C(When resizing, instances must change
    flavor!), C(Server disk was unable to be resized because - Resize to zero disk flavor is not
    allowed.), C(Resize error - Unable to resize disk down.) (found before anything changes,
    where Nova's libvirt driver finds it on the host), the server's image against the new
    flavor, a flavor the caller's project cannot see C(Flavor <ref> could not be found.).
  - The resize happens on the same host (Nova's C(allow_resize_to_same_host), O(allow_resize_to_same_host)),
    when the new flavor fits there beside everything the host holds, the server's old
    flavor included (C(Insufficient compute resources for instance <uuid> - ...)). From that
    check on the record holds the new flavor and the old one (C(old_flavor)) and the host
    counts both, until V(confirm) frees the old or V(revert) the new.
  - The guest is powered off (a clean shutdown first), the instance directory becomes
    C(<dir>_resize) with the old domain definition, its disks are copied back and grown to
    the new flavor (a new ephemeral or swap disk made), the domain defined with the new vCPUs
    and memory and started again when it ran; the server is then C(resized) (status
    C(VERIFY_RESIZE)) with C(migration) in its record. Task states C(resize_prep),
    C(resize_migrating), C(resize_migrated), C(resize_finish); events
    C(compute_prep_resize), C(compute_resize_instance), C(compute_finish_resize).
  - V(confirm) removes C(<dir>_resize) and the old flavor (C(resize_confirming), event
    C(compute_confirm_resize)); V(revert) puts the old directory, definition and flavor
    back and starts the guest when it ran before the resize (C(resize_reverting), events
    C(compute_revert_resize), C(compute_finish_revert_resize)).
  - Nova's checks apply with Nova's messages - a locked server refuses a caller who is not
    an admin; V(resize) needs an active or stopped server, V(confirm) and V(revert) a
    resized one, with no task under way (C(Cannot 'confirmResize' instance <uuid> while it is
    in vm_state active)).
  - Nothing is left half-done - a failed resize puts the old directory, definition and
    flavor back (the server in error only when that fails too), with the instance C(fault).
  - Before anything, Nova's policy C(os_compute_api:servers:resize), C(:confirm_resize) or
    C(:revert_resize) is checked with O(context) against the server's record - by default a
    member or admin of the server's project may act, a reader may not.
  - This module resizes on the server's own host; a resize to another hypervisor (the
    scheduler's choice, M(novalite.compute.fleet_resize)) runs as M(novalite.compute.server_migrate)
    steps on both hosts (the playbook C(resize_server)), with O(allow_resize_to_same_host=false)
    this module refuses a resize with Nova's C(No valid host was found.).
  - V(confirm) of a server resized from another host only drops C(old_flavor) here (the
    source's copy goes with M(novalite.compute.server_migrate) C(confirm_source) first); its
    V(revert) is refused (C(revert_dest) and C(revert_source) of M(novalite.compute.server_migrate)).
extends_documentation_fragment:
  - novalite.compute.libvirt
  - novalite.compute.compute_host
  - novalite.compute.compute_host.paths
  - novalite.compute.server_policy
  - novalite.compute.instance_action
options:
  action:
    description: V(resize), V(confirm) (Nova's C(confirmResize)) or V(revert) (C(revertResize)).
    type: str
    required: true
    choices: [resize, confirm, revert]
  resize:
    description: For V(resize), the C(resize) object of Nova's action body (C(flavorRef)).
    type: dict
  catalog:
    description: For V(resize), the catalog's C(flavors) and C(images).
    type: dict
    default: {}
  allow_resize_to_same_host:
    description: Nova's C(allow_resize_to_same_host) - whether the server may stay on its host.
    type: bool
    default: false
  shutdown_timeout:
    description: Seconds the guest has to power off after the ACPI power button before it is destroyed.
    type: int
    default: 60
  boot_timeout:
    description: Seconds the domain has to reach RUNNING after the resize or the revert.
    type: int
    default: 60
attributes:
  check_mode:
    support: full
    description: Runs the same checks (the fit of the new flavor too) and reports the record it would leave.
  diff_mode:
    support: full
    description: The diff shows C(flavor), C(old_flavor), C(vm_state), C(task_state) and C(host) before and after.
  idempotent:
    support: none
    description: Each run is an action; a second V(confirm) or V(revert) is refused as in Nova.
  platform:
    support: full
    platforms: posix
    description: Runs on the hypervisor the server lives on.
requirements:
  - jsonschema
  - qemu-img
author:
  - novalite.compute contributors (@novalite)
'''

EXAMPLES = r'''
- name: Resize a server to m1.small on its own host
  novalite.compute.server_resize:
    server: 0b1c7e8e-94b0-4d5d-8d65-2b0c2b9f8c11
    action: resize
    resize: {flavorRef: m1.small}
    catalog:
      flavors: "{{ novalite_flavors }}"
      images: "{{ novalite_images }}"
    allow_resize_to_same_host: true
    context: "{{ novalite_context }}"
  delegate_to: hv1

- name: Confirm it
  novalite.compute.server_resize:
    server: 0b1c7e8e-94b0-4d5d-8d65-2b0c2b9f8c11
    action: confirm
    context: "{{ novalite_context }}"
  delegate_to: hv1
'''

RETURN = r'''
server:
  description: The server record after the action; in check mode the record it would leave.
  returned: success
  type: dict
  sample:
    uuid: 0b1c7e8e-94b0-4d5d-8d65-2b0c2b9f8c11
    vm_state: resized
    flavor: {id: "3", name: m1.small, vcpus: 2, memory_mb: 256, root_gb: 2}
    old_flavor: {id: "1", name: m1.nano, vcpus: 1, memory_mb: 128, root_gb: 1}
transition:
  description: C(flavor), C(old_flavor), C(vm_state), C(task_state) and C(host) before and after.
  returned: success
  type: dict
  contains:
    before:
      description: Before the action.
      type: dict
    after:
      description: After the action (as it would be, in check mode).
      type: dict
instance_action:
  description: The instance action recorded with its events; null in check mode.
  returned: success
  type: dict
  sample:
    action: resize
    events:
      - {event: compute_prep_resize, result: Success}
      - {event: compute_resize_instance, result: Success}
      - {event: compute_finish_resize, result: Success}
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.novalite.compute.plugins.module_utils.api.server_actions import resize_request
from ansible_collections.novalite.compute.plugins.module_utils.args_common import (
    COMPUTE_HOST_ARG_SPEC, COMPUTE_HOST_PATHS_ARG_SPEC, INSTANCE_ACTION_ARG_SPEC, LIBVIRT_ARG_SPEC,
    SERVER_POLICY_ARG_SPEC,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute.lifecycle import LifecycleError
from ansible_collections.novalite.compute.plugins.module_utils.compute.resize import (
    ACTIONS, DEFAULTS, check_resize_allowed, resize_action,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute.server_access import (
    authorized_server, diff_as_asked, server_module_errors,
)
from ansible_collections.novalite.compute.plugins.module_utils.errors import ValidationError
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import (
    require_libraries,
)

# Nova's policy of each action (servers.py _resize, _confirm_resize, _revert_resize).
RULES = {'resize': 'resize', 'confirm': 'confirm_resize', 'revert': 'revert_resize'}


def argument_spec():
    spec = dict(
        action=dict(type='str', required=True, choices=list(ACTIONS)),
        resize=dict(type='dict'),
        catalog=dict(type='dict', default={}),
        allow_resize_to_same_host=dict(type='bool', default=False),
        shutdown_timeout=dict(type='int', default=DEFAULTS['shutdown_timeout']),
        boot_timeout=dict(type='int', default=DEFAULTS['boot_timeout']),
    )
    spec.update(COMPUTE_HOST_ARG_SPEC)
    spec.update(COMPUTE_HOST_PATHS_ARG_SPEC)
    spec.update(LIBVIRT_ARG_SPEC)
    spec.update(SERVER_POLICY_ARG_SPEC)
    spec.update(INSTANCE_ACTION_ARG_SPEC)
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           required_if=[('action', 'resize', ('resize',))])
    require_libraries(module)
    p = module.params
    try:
        with server_module_errors(module, '%s of instance %s' % (p['action'].capitalize(), p['server'])):
            access = authorized_server(p, 'os_compute_api:servers:%s' % RULES[p['action']],
                                       on_this_host=True)
            # Nova's compute API checks the lock and the state before the flavor
            check_resize_allowed(access.record, p['action'], access.caller['is_admin'])
            new_flavor = None
            if p['action'] == 'resize':
                new_flavor = resize_request({'resize': p['resize']}, access.record, p['catalog'],
                                            p['context'], access.caller['is_admin'])
                if not p['allow_resize_to_same_host']:
                    raise LifecycleError(
                        'No valid host was found. A resize stays on its host here: '
                        'allow_resize_to_same_host is false', server=access.record)
            result = resize_action(access.conn, dict(p, new_flavor=new_flavor, **access.caller),
                                   module.run_command, check_mode=module.check_mode)
    except ValidationError as exc:
        module.fail_json(msg=str(exc), field=exc.field, rule=exc.rule)
    module.exit_json(**diff_as_asked(module, result))


if __name__ == '__main__':
    main()
