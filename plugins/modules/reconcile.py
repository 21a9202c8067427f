#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: reconcile
short_description: Remove what no server owns on this hypervisor, end builds that never finish
version_added: 3.0.0
description:
  - One pass of Nova's periodic clean-ups on this hypervisor (C(_cleanup_running_deleted_instances),
    C(_check_instance_build_time), C(_init_instance) for an instance left building, the
    resource tracker's audit).
  - A build whose process is gone (its build journal under O(state_path)C(/journal) names a
    dead process) is removed entirely when it has no domain - DHCP host entries, instance
    directory, claim, temporary files - and moved to C(vm_state=error) with a C(fault) when
    its domain was already defined.
  - Also removed - claims of dead processes, static DHCP hosts with Nova's MAC prefix
    C(fa:16:3e) on the O(networks) that no domain, journal or claim names, instance
    directories of no domain or journal, temporary files of dead processes or untouched for
    O(grace_period) seconds, and staged image copies untouched as long.
  - A server of this host building for longer than O(instance_build_timeout) seconds goes to
    C(vm_state=error) with a C(fault).
  - A server of this host whose record keeps the task state of an action that no longer runs
    (nobody holds its instance lock, so its process died) is handled as Nova's
    C(_init_instance) does - a rebuild goes to C(vm_state=error) with a C(fault), its old
    disks put back and its new files removed; a resize killed after its old files went aside
    is reverted (old files, definition and flavor back, the guest started when it ran), one
    killed in C(resize_prep) gets its old flavor back; a killed confirm is done again; a
    killed revert goes to C(vm_state=error) with a C(fault), its old files put back; the task
    state of a simple action (stop, start, reboot, pause...) is cleared.
  - A delete that M(novalite.compute.server_delete) recorded while libvirtd was down is done,
    once the recorded caller passes Nova's delete policy and the instance lock against the
    server's record (Nova's C(_cleanup_running_deleted_instances)); a refused one is dropped.
  - Owned things are never touched; check mode reports what a pass would do.
extends_documentation_fragment:
  - novalite.compute.compute_host.paths
  - novalite.compute.libvirt
options:
  networks:
    description:
      - The libvirt networks whose static DHCP hosts this host's servers own (the catalog's
        C(libvirt_network) names). A network shared with another host's state path must not be
        named. Entries of builds that died are removed from any network, named or not.
    type: list
    elements: str
    default: []
  instance_build_timeout:
    description:
      - Seconds a server may stay building before it goes to error (Nova's
        C(instance_build_timeout)). V(0), Nova's default, never times a build out.
    type: int
    default: 0
  grace_period:
    description: Seconds a temporary or staged file must be untouched before it goes.
    type: int
    default: 600
attributes:
  check_mode:
    support: full
    description: Reports the actions a pass would take, taking none.
  diff_mode:
    support: none
    description: The actions list what changes.
  idempotent:
    support: full
    description: A second pass right after the first finds nothing to do.
  platform:
    support: full
    platforms: posix
    description: Runs on the hypervisor.
author:
  - novalite.compute contributors (@novalite)
'''

EXAMPLES = r'''
- name: Clean up what died with a build, on every hypervisor
  novalite.compute.reconcile:
    networks: [novalite-private]
    instance_build_timeout: 1800
  module_defaults:
    novalite.compute.reconcile: "{{ hostvars[inventory_hostname] | novalite.compute.host_settings('reconcile') }}"
'''

RETURN = r'''
actions:
  description:
    - What the pass did (in check mode, would do), in order - C(action) is one of
      V(deleted), V(delete_refused), V(partial_build), V(adopted), V(build_stopped), V(stale_claim), V(build_timeout),
      V(rebuild_interrupted), V(resize_cleared), V(resize_reverted), V(resize_confirmed),
      V(resize_interrupted), V(task_cleared), V(orphan_dhcp), V(orphan_directory), V(temporary_file), V(staged_image); C(subject) the
      server uuid, C(network mac) or path; C(detail) why; C(error) when taking it failed.
  returned: always
  type: list
  elements: dict
  sample:
    - action: partial_build
      subject: 0b1c7e8e-94b0-4d5d-8d65-2b0c2b9f8c11
      detail: build stopped at step directory, process 4242 gone
summary:
  description: The number of actions of each kind.
  returned: always
  type: dict
  sample: {partial_build: 1, temporary_file: 1}
in_doubt:
  description:
    - The servers of resizes to this host from another one whose finish ended here while the
      run died before its C(finished) step (C(instance_uuid), C(source_compute),
      C(dest_compute)). Whether the source handed the server over (its C(commit)) only the
      source records - the pass leaves them as they are; the C(reconcile) playbook asks the
      source (M(novalite.compute.server_migrate) V(source_state)) and settles them here
      (V(settle)).
  returned: always
  type: list
  elements: dict
  sample:
    - instance_uuid: 0b1c7e8e-94b0-4d5d-8d65-2b0c2b9f8c11
      source_compute: hv1
      dest_compute: hv2
errors:
  description:
    - The steps and actions that failed (C(step), C(subject) or null, C(error)); each is also
      a warning. The pass goes on after a failure, and the module fails only when it cannot
      read the host at all (libvirtd down, the compute lock out of reach).
  returned: always
  type: list
  elements: dict
  sample:
    - step: temporary_file
      subject: null
      error: "[Errno 20] Not a directory: '/var/lib/novalite/_base'"
seconds:
  description: How long the pass took.
  returned: always
  type: float
'''

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.novalite.compute.plugins.module_utils.args_common import (
    COMPUTE_HOST_PATHS_ARG_SPEC, LIBVIRT_ARG_SPEC,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute.host_settings import HostSettings
from ansible_collections.novalite.compute.plugins.module_utils.compute.reconcile import (
    DEFAULT_BUILD_TIMEOUT, DEFAULT_GRACE_PERIOD, reconcile,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import (
    libvirt_errors, open_connection, require_libraries,
)


def argument_spec():
    spec = dict(
        networks=dict(type='list', elements='str', default=[]),
        instance_build_timeout=dict(type='int', default=DEFAULT_BUILD_TIMEOUT),
        grace_period=dict(type='int', default=DEFAULT_GRACE_PERIOD),
    )
    spec.update(COMPUTE_HOST_PATHS_ARG_SPEC)
    spec.update(LIBVIRT_ARG_SPEC)
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    require_libraries(module)
    p = module.params
    for name in ('instance_build_timeout', 'grace_period'):
        if p[name] < 0:
            module.fail_json(msg='%s: must be 0 or more, got %d' % (name, p[name]))
    start = time.monotonic()
    with libvirt_errors(module, 'Reconciling the host failed', also=(OSError,)):
        result = reconcile(open_connection(p['uri']), HostSettings.from_params(p),
                           networks=p['networks'],
                           instance_build_timeout=p['instance_build_timeout'],
                           grace_period=p['grace_period'], check_mode=module.check_mode)
    for error in result['errors']:
        module.warn('reconcile %s%s: %s' % (error['step'], ' ' + error['subject'] if error['subject'] else '',
                                            error['error']))
    module.exit_json(seconds=round(time.monotonic() - start, 3), **result)


if __name__ == '__main__':
    main()
