#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: server_action
short_description: Start, stop, reboot, pause, suspend or lock a server on its hypervisor (Nova's server actions)
version_added: 1.0.0
description:
  - Runs Nova's C(os-start), C(os-stop), C(reboot), C(pause), C(unpause), C(suspend),
    C(resume), C(lock) or C(unlock) server action on the hypervisor the server lives on,
    under the instance's host-local lock.
  - While it works the record's C(task_state) is C(powering-on), C(powering-off),
    C(rebooting), C(rebooting_hard), C(pausing), C(unpausing), C(suspending) or
    C(resuming); then C(vm_state) becomes C(active), C(stopped), C(paused) or C(suspended),
    C(task_state) null and C(power_state) what libvirt reports. The instance action
    (C(start), C(stop), C(reboot), C(pause), ...) with its event (C(compute_start_instance),
    C(compute_pause_instance), ...; C(api_lock) and C(api_unlock) for the API-only lock and
    unlock), timestamps and result (C(Success) or C(Error)) is added to the record's
    C(actions). A failed action also leaves Nova's instance C(fault) in the record.
  - V(suspend) is the libvirt driver's - a managed save (the guest's memory goes to disk, the
    domain stops); V(resume) starts the domain from it. V(pause) stops the vCPUs only.
  - V(lock) marks the server C(locked), C(locked_by) C(owner) (a caller of the server's
    project) or C(admin), with O(locked_reason); a locked server refuses every other action
    from a caller who is not an admin (C(Instance <uuid> is locked)). V(unlock) of a lock the
    other side took needs C(os_compute_api:os-lock-server:unlock:unlock_override) (admins).
  - Nova's state checks apply, with Nova's message (C(Cannot 'start' instance <uuid> while it
    is in vm_state error)) - V(start) needs a stopped server, V(stop) an active or errored one,
    a V(SOFT) reboot an active one and a V(HARD) reboot an active, stopped, errored, paused
    or suspended one, V(pause) and V(suspend) an active one, V(unpause) a paused one,
    V(resume) a suspended one; no other task may be under way. V(lock) and V(unlock) take
    any state.
  - Unlike Nova's API, which answers a conflict, an action whose end state holds already
    (V(start), V(unpause) or V(resume) on an active running server, V(stop) on a stopped
    one, V(pause) on a paused one, V(suspend) on a suspended one, V(unlock) on an unlocked
    one) changes nothing and records no action, so a playbook can state what it wants; as in
    Nova, V(lock) by the owner of a locked server changes nothing.
  - Before the check the record follows libvirt - an active server whose guest powered itself
    off counts as stopped, a stopped one whose domain runs as active (Nova's power-state sync);
    a task state left by a run that died is cleared and its action closed as C(Error).
  - Before anything, Nova's policy (C(os_compute_api:servers:start), C(:stop), C(:reboot),
    C(os_compute_api:os-pause-server:pause), C(:unpause),
    C(os_compute_api:os-suspend-server:suspend), C(:resume),
    C(os_compute_api:os-lock-server:lock), C(:unlock)) is checked with O(context) against
    the server's record - by default a member or admin of the server's project may act, a
    reader may not.
extends_documentation_fragment:
  - novalite.compute.libvirt
  - novalite.compute.server_policy
  - novalite.compute.instance_action
options:
  action:
    description:
      - V(start) powers the server on, V(stop) powers it off (a clean ACPI shutdown first),
        V(reboot) reboots it as O(reboot_type) says, V(pause) and V(unpause) stop and
        restart its vCPUs, V(suspend) saves its memory and stops it, V(resume) restores it,
        V(lock) and V(unlock) lock and unlock it.
    type: str
    required: true
    choices: [start, stop, reboot, pause, unpause, suspend, resume, lock, unlock]
  reboot_type:
    description:
      - V(SOFT) presses the ACPI power button and starts the domain again once the guest has
        shut down; a guest that does not shut down within O(reboot_timeout) is rebooted hard,
        as Nova does.
      - V(HARD) destroys the domain and starts it again; it also powers on a stopped server.
    type: str
    choices: [SOFT, HARD]
    default: SOFT
  shutdown_timeout:
    description:
      - For V(stop), seconds the guest has to power off after the ACPI power button (pressed
        again every 10 seconds) before the domain is destroyed (Nova's C(shutdown_timeout)).
        V(0) destroys it at once.
    type: int
    default: 60
  reboot_timeout:
    description:
      - For a V(SOFT) reboot, seconds the guest has to shut down before it is rebooted hard
        (Nova's C([libvirt] wait_soft_reboot_seconds)).
    type: int
    default: 120
  start_timeout:
    description: Seconds a started, paused or unpaused domain has to reach its state.
    type: int
    default: 60
  locked_reason:
    description:
      - For V(lock), why the server is locked (at most 255 characters; Nova's C(locked_reason)).
    type: str
  state_path:
    description:
      - The host's state directory; the instance lock is
        C(<state_path>/locks/instance-<uuid>.lock) while the action runs.
    type: path
    default: /var/lib/novalite
attributes:
  check_mode:
    support: full
    description: Runs the same checks and reports the transition it would make, changing nothing.
  diff_mode:
    support: full
    description: The diff shows C(vm_state), C(task_state) and C(power_state) before and after.
  idempotent:
    support: partial
    description: V(start) and V(stop) report no change once the server is in that state.
    details: Every V(reboot) reboots.
  platform:
    support: full
    platforms: posix
    description: Runs on the hypervisor the server lives on.
author:
  - novalite.compute contributors (@novalite)
'''

EXAMPLES = r'''
- name: Stop a server, giving the guest two minutes to shut down
  novalite.compute.server_action:
    server: 0b1c7e8e-94b0-4d5d-8d65-2b0c2b9f8c11
    action: stop
    shutdown_timeout: 120
    context: {project_id: demo, user_id: demo-user, roles: [member]}
  delegate_to: hv1

- name: Hard reboot
  novalite.compute.server_action:
    server: 0b1c7e8e-94b0-4d5d-8d65-2b0c2b9f8c11
    action: reboot
    reboot_type: HARD
    context: "{{ novalite_context }}"
    policy: "{{ novalite_policy | default({}) }}"
  delegate_to: hv1

- name: Lock a server against its project's other members
  novalite.compute.server_action:
    server: 0b1c7e8e-94b0-4d5d-8d65-2b0c2b9f8c11
    action: lock
    locked_reason: kernel upgrade in progress
    context: {project_id: demo, user_id: demo-admin, roles: [admin]}
  delegate_to: hv1
'''

RETURN = r'''
server:
  description:
    - The server record after the action (docs/internals.md "Server record"); in check mode
      the record with the states it would end in.
  returned: success
  type: dict
  sample:
    uuid: 0b1c7e8e-94b0-4d5d-8d65-2b0c2b9f8c11
    name: web-1
    vm_state: stopped
    task_state: null
    power_state: 4
transition:
  description:
    - C(vm_state), C(task_state) and C(power_state) before and after (or as they would be after,
      in check mode); for V(lock) and V(unlock) also C(locked), C(locked_by) and
      C(locked_reason).
  returned: success
  type: dict
  contains:
    before:
      description: The states before the action.
      type: dict
    after:
      description: The states after the action.
      type: dict
  sample:
    before: {vm_state: active, task_state: null, power_state: 1}
    after: {vm_state: stopped, task_state: null, power_state: 4}
instance_action:
  description:
    - The instance action recorded, with its events; null when nothing was done or in check
      mode.
  returned: success
  type: dict
  sample:
    action: stop
    request_id: req-5b0e2b4c-1b4f-4a0e-9f43-0c3f3d3b4f1a
    start_time: "2026-11-21T06:20:00Z"
    finish_time: "2026-11-21T06:20:02Z"
    message: null
    events:
      - {event: compute_stop_instance, start_time: "2026-11-21T06:20:00Z",
         finish_time: "2026-11-21T06:20:02Z", result: Success}
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.novalite.compute.plugins.module_utils.args_common import (
    COMPUTE_HOST_PATHS_ARG_SPEC, INSTANCE_ACTION_ARG_SPEC, LIBVIRT_ARG_SPEC, SERVER_POLICY_ARG_SPEC,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute.lifecycle import (
    ACTIONS, DEFAULTS, REBOOT_TYPES, server_action,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute.server_access import (
    authorized_server, server_module_errors,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import (
    require_libraries,
)


def argument_spec():
    spec = dict(
        action=dict(type='str', required=True, choices=list(ACTIONS)),
        reboot_type=dict(type='str', choices=list(REBOOT_TYPES), default=DEFAULTS['reboot_type']),
        shutdown_timeout=dict(type='int', default=DEFAULTS['shutdown_timeout']),
        reboot_timeout=dict(type='int', default=DEFAULTS['reboot_timeout']),
        start_timeout=dict(type='int', default=DEFAULTS['start_timeout']),
        locked_reason=dict(type='str'),
        state_path=COMPUTE_HOST_PATHS_ARG_SPEC['state_path'],
    )
    spec.update(LIBVIRT_ARG_SPEC)
    spec.update(SERVER_POLICY_ARG_SPEC)
    spec.update(INSTANCE_ACTION_ARG_SPEC)
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    require_libraries(module)
    p = module.params
    with server_module_errors(module, '%s of instance %s' % (p['action'].capitalize(), p['server'])):
        access = authorized_server(p, p['action'])
        result = server_action(access.conn, dict(p, **access.caller), check_mode=module.check_mode)
    for warning in result.pop('warnings'):
        module.warn(warning)
    if module._diff:
        result['diff'] = result['transition']
    module.exit_json(**result)


if __name__ == '__main__':
    main()
