#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: server_migrate
short_description: One host's step of a resize to another host (Nova's cold migration)
version_added: 3.0.0
description:
  - Runs one step of a resize to another hypervisor on the host it belongs to; the playbooks
    C(resize_server), C(confirm_resize) and C(revert_resize) run them in order on the server's
    source and destination and carry the disks between them.
  - V(prep) (destination) - Nova's C(prep_resize) - the new flavor claimed under the host's
    compute lock (C(Insufficient compute resources for instance <uuid> - ...) when it does not
    fit), held until the finish or the revert (at most an hour), counted by the host's usage.
    Returns the image cache's names and the host's paths.
  - V(unclaim) (destination) - the claim and anything staged dropped.
  - V(migrate) (source) - Nova's C(resize_instance) - the lock and state checked
    (active or stopped), the migration recorded (task states C(resize_migrating),
    C(resize_migrated)), the guest powered off (a clean shutdown first), the instance
    directory moved to C(<dir>_resize) with the old domain definition. Returns the files to
    copy, the backing files and kernel/ramdisk they need from the image cache, the old
    definition and the record. A failure puts everything back (the guest started again).
  - V(finish) (destination) - Nova's C(finish_resize) - from the files staged in
    C(<state_path>/_staging/migrate-<uuid>/) (backing files under its C(_base/)) the instance
    directory is made, the overlays pointed at this host's image cache, the disks grown, the
    ports' segments plugged and DHCP entries added (MAC and fixed IP kept), the domain defined
    with the new flavor, left shut off; the record holds this host and its zone
    (O(availability_zone)), the new flavor, C(old_flavor) and the migration's status
    C(finished). A failure removes everything of the server here (the claim too).
  - V(commit) (source) - the source hands the server over - its record becomes the shut-off
    source copy (its old flavor, counted by the host's usage, left out of lists);
    V(finished) (destination) - the guest started unless it was stopped before the resize, the
    server in C(VERIFY_RESIZE).
  - V(source_state) (source, read only) - what the source holds of the server - V(committed)
    (the source copy), V(reverted) (the server is the source's again), V(migrating) (its resize
    is not decided there yet), V(absent).
  - V(settle) (destination) - a run killed after the finish and before V(finished) (the
    reconciler's C(in_doubt)), decided by O(source_state) - V(committed) or V(absent) - as
    V(finished) (C(resize_finished)); V(reverted) - everything of the server removed here
    (C(resize_dest_dropped)); V(migrating) - nothing. The C(reconcile) playbook runs it.
  - V(abort) (source) - a resize whose finish failed goes back on the source (old directory,
    definition, flavor, the guest started when it ran), with the fault.
  - V(confirm_source) (source) - Nova's C(confirm_resize) on the source - the source copy
    removed (domain, C(<dir>_resize), DHCP entries).
  - V(revert_dest) (destination) - Nova's C(revert_resize) - the lock and the state
    (C(resized)) checked, the server's domain, disks, DHCP entries removed here, its record
    returned; V(revert_source) (source) - C(finish_revert_resize) - the old directory and
    definition back, the record on its old flavor and in the zone the source copy kept (the
    server's zone on this host), the guest started when it ran before.
  - Before V(migrate), V(revert_dest), V(confirm_source) and V(revert_source), Nova's policy
    (C(os_compute_api:servers:resize), C(:revert_resize), C(:confirm_resize)) is checked with
    O(context) against the record on this host.
extends_documentation_fragment:
  - novalite.compute.libvirt
  - novalite.compute.compute_host
  - novalite.compute.compute_host.paths
  - novalite.compute.server_policy
  - novalite.compute.instance_action
  - novalite.compute.network_host
options:
  step:
    description: The step to run on this host.
    type: str
    required: true
    choices: [prep, unclaim, migrate, abort, finish, commit, finished, confirm_source, revert_dest, revert_source,
              source_state, settle]
  host:
    description: This hypervisor's inventory name (the record's C(host) after V(finish)).
    type: str
  new_flavor:
    description: For V(prep) and V(finish), the new flavor as the record keeps flavors (M(novalite.compute.fleet_resize)'s C(new_flavor)).
    type: dict
  migration:
    description: For V(prep) and V(migrate), C(source_compute), C(dest_compute) and C(dest_node).
    type: dict
  availability_zone:
    description:
      - For V(finish), this host's availability zone, which the record takes with its C(host)
        (Nova's conductor sets the instance's zone to the selected host's) -
        M(novalite.compute.fleet_resize)'s C(availability_zone) of the destination.
    type: str
  record:
    description: For V(finish), the record V(migrate) returned; for V(revert_source), the one V(revert_dest) returned.
    type: dict
  old_xml:
    description: For V(finish), the source's domain definition V(migrate) returned.
    type: str
  files:
    description: For V(finish), the C(files) V(migrate) returned.
    type: dict
  source_state:
    description: For V(settle), the source's answer to V(source_state).
    type: str
    choices: [committed, reverted, migrating, absent]
  networks:
    description: For V(finish), the catalog's networks (C(novalite_networks)), for the ports' segments.
    type: list
    elements: dict
    default: []
  reason:
    description: For V(abort), why the resize is given up (the fault's message).
    type: str
  shutdown_timeout:
    description: Seconds the guest has to power off after the ACPI power button before it is destroyed.
    type: int
    default: 60
  boot_timeout:
    description: Seconds the domain has to reach RUNNING.
    type: int
    default: 60
attributes:
  check_mode:
    support: partial
    description: Can run in check_mode and return changed status prediction without modifying target.
    details: V(prep) checks the fit of the new flavor, V(migrate) and V(revert_dest) the
      policy, lock and state, V(revert_source) that the host holds the source copy; the other
      steps only report that they would change the host,
      and no later step can run from a check (the playbooks stop after the claim's check).
  diff_mode:
    support: none
    description: The steps return the record (and V(migrate) and V(revert_source) a C(transition)).
  idempotent:
    support: none
    description: Each run is one step of an action.
  platform:
    support: full
    platforms: posix
    description: Runs on the source or the destination hypervisor, as the step says.
requirements:
  - qemu-img
author:
  - novalite.compute contributors (@novalite)
'''

EXAMPLES = r'''
- name: Claim the new flavor on the destination
  novalite.compute.server_migrate:
    server: 0b1c7e8e-94b0-4d5d-8d65-2b0c2b9f8c11
    step: prep
    host: hv2
    new_flavor: "{{ resize_selection.new_flavor }}"
    migration: {source_compute: hv1, dest_compute: hv2}
    context: "{{ novalite_context }}"
  delegate_to: hv2
'''

RETURN = r'''
server:
  description: The record on this host after the step (V(revert_dest) - as it was, for the source).
  returned: when the step has a record
  type: dict
claim:
  description: V(prep) - the claim (C(instance_uuid), C(vcpus), C(memory_mb), C(disk_gb), C(created)).
  returned: step prep
  type: dict
cached:
  description: V(prep) - the file names in this host's image cache.
  returned: step prep
  type: list
  elements: str
paths:
  description: V(prep) - C(state_path), C(instances_path), C(staging) and C(image_cache) on this host.
  returned: step prep
  type: dict
files:
  description: V(migrate) - C(files) (C(name), C(path)), C(backing) and C(links) (file name to its image cache path),
    C(cache) (the image cache names they need), C(source_instances_path).
  returned: step migrate
  type: dict
old_xml:
  description: V(migrate) - the domain definition before the resize.
  returned: step migrate
  type: str
state:
  description: V(source_state) - V(committed), V(reverted), V(migrating) or V(absent).
  returned: step source_state
  type: str
action:
  description: V(settle) - V(resize_finished), V(resize_dest_dropped), or null when it left the server as it was.
  returned: step settle
  type: str
transition:
  description: V(migrate), V(revert_source) - C(flavor), C(old_flavor), C(vm_state), C(task_state) and C(host) before and after.
  returned: steps migrate and revert_source
  type: dict
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.novalite.compute.plugins.module_utils.args_common import (
    COMPUTE_HOST_ARG_SPEC, COMPUTE_HOST_PATHS_ARG_SPEC, INSTANCE_ACTION_ARG_SPEC, LIBVIRT_ARG_SPEC,
    NETWORK_HOST_ARG_SPEC, SERVER_POLICY_ARG_SPEC,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute.migration import (
    DEFAULTS, SOURCE_STATES, STEPS, check_step, run_step,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute.server_access import (
    authorized_server, server_module_errors,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import (
    open_connection, require_libraries,
)

# Nova's policy of the action each step belongs to; None: a step with no record to check
# (the destination before the finish) or one that only follows a checked step.
RULES = {'migrate': 'resize', 'revert_dest': 'revert_resize', 'confirm_source': 'confirm_resize',
         'revert_source': 'revert_resize'}


def argument_spec():
    spec = dict(
        step=dict(type='str', required=True, choices=list(STEPS)),
        host=dict(type='str'),
        new_flavor=dict(type='dict'),
        migration=dict(type='dict'),
        availability_zone=dict(type='str'),
        record=dict(type='dict'),
        old_xml=dict(type='str'),
        files=dict(type='dict'),
        source_state=dict(type='str', choices=list(SOURCE_STATES)),
        networks=dict(type='list', elements='dict', default=[]),
        reason=dict(type='str'),
        shutdown_timeout=dict(type='int', default=DEFAULTS['shutdown_timeout']),
        boot_timeout=dict(type='int', default=DEFAULTS['boot_timeout']),
    )
    for common in (COMPUTE_HOST_ARG_SPEC, COMPUTE_HOST_PATHS_ARG_SPEC, LIBVIRT_ARG_SPEC,
                   SERVER_POLICY_ARG_SPEC, INSTANCE_ACTION_ARG_SPEC, NETWORK_HOST_ARG_SPEC):
        spec.update(common)
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           required_if=[('step', 'prep', ('new_flavor', 'migration')),
                                        ('step', 'migrate', ('migration',)),
                                        ('step', 'finish', ('new_flavor', 'record', 'old_xml', 'files', 'host',
                                                            'availability_zone')),
                                        ('step', 'revert_source', ('record',)),
                                        ('step', 'settle', ('source_state',))])
    require_libraries(module)
    p = module.params
    with server_module_errors(module, '%s of instance %s' % (p['step'], p['server'])):
        caller = {}
        conn = None
        if p['step'] in RULES:
            # a confirm whose source copy is gone already changes nothing
            access = authorized_server(p, 'os_compute_api:servers:%s' % RULES[p['step']],
                                       on_this_host=p['step'] != 'confirm_source')
            conn, caller = access.conn, access.caller
        conn = conn or open_connection(p['uri'])
        params = dict(p, is_admin=caller.get('is_admin', False))
        if module.check_mode:
            result = check_step(conn, params)
        else:
            result = run_step(conn, params, module.run_command)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
