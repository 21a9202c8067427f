#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: server_rebuild
short_description: Rebuild a server with a new image on its hypervisor (Nova's rebuild action)
version_added: 3.0.0
description:
  - Runs Nova's C(rebuild) server action on the hypervisor the server lives on, under the
    instance's host-local lock - the server keeps its uuid, ports (MACs, fixed IPs), host and
    flavor; its root disk is made again from the new image through the host's image cache,
    its ephemeral and swap disks blank again (the ephemeral one kept with
    C(preserve_ephemeral)), its config drive regenerated with the new name, metadata, key and
    user data.
  - O(rebuild) is the body of Nova's action (microversion 2.57 fields) - C(imageRef)
    (required), C(name), C(metadata), C(description), C(key_name), C(user_data),
    C(preserve_ephemeral) - checked against Nova's schema, the image against the server's
    flavor (C(Flavor's memory is too small for requested image.), C(Flavor's disk is too
    small for requested image. ...)), the key pair as the caller's own, the metadata against
    the C(metadata_items) quota. A field left out keeps the server's; a null C(key_name) or
    C(user_data) removes it.
  - Nova's checks apply with Nova's messages - a locked server refuses a caller who is not
    an admin (C(Instance <uuid> is locked)); the server must be active, stopped or in error
    with no task under way (C(Cannot 'rebuild' instance <uuid> while it is in vm_state
    paused)).
  - While it works the record's C(task_state) is C(rebuilding), then C(rebuild_spawning); the
    server ends C(active) (C(stopped) when it was stopped). The instance action C(rebuild)
    with its event C(compute_rebuild_instance) is added to the record's C(actions).
  - Nothing is left half-done - the new disks are made beside the old ones; a failure before
    they replace them leaves the server as it was, a failure after puts the old disks back
    (the server in error only when that fails too), with the instance C(fault) either way.
  - Unlike Nova, the domain definition is kept - an image that would boot differently
    (another disk or cdrom bus, a kernel of its own where the server has none or the other
    way round) is refused before anything changes.
  - Before anything, Nova's policy C(os_compute_api:servers:rebuild) is checked with
    O(context) against the server's record - by default a member or admin of the server's
    project may rebuild it, a reader may not.
extends_documentation_fragment:
  - novalite.compute.libvirt
  - novalite.compute.compute_host.paths
  - novalite.compute.server_policy
  - novalite.compute.instance_action
options:
  rebuild:
    description:
      - The C(rebuild) object of Nova's C(POST /servers/{id}/action) body.
    type: dict
    required: true
  catalog:
    description:
      - The catalog the image and key pair come from - C(images) (with their C(location),
        C(checksum), C(disk_format); a kernel and ramdisk named by the image's C(kernel_id)
        and C(ramdisk_id) properties are looked up here too) and C(keypairs).
    type: dict
    required: true
  quotas:
    description:
      - The quota limits (the C(novalite_quotas) shape); C(metadata_items) applies to the
        new metadata.
    type: dict
    default: {}
  virt_type:
    description:
      - The domain type, for the group QEMU runs with (the config drive is readable by it
        alone).
    type: str
    choices: [auto, kvm, qemu]
    default: auto
  shutdown_timeout:
    description:
      - Seconds the guest has to power off after the ACPI power button before it is destroyed
        (Nova's C(shutdown_timeout)).
    type: int
    default: 60
  boot_timeout:
    description: Seconds the rebuilt domain has to reach RUNNING.
    type: int
    default: 60
attributes:
  check_mode:
    support: full
    description: Runs the same checks and reports the record it would leave, changing nothing.
  diff_mode:
    support: full
    description: The diff shows the image, name, metadata, description, key and states before and after.
  idempotent:
    support: none
    description: Every run rebuilds, as Nova's action does.
  platform:
    support: full
    platforms: posix
    description: Runs on the hypervisor the server lives on.
requirements:
  - jsonschema
  - pycdlib
  - qemu-img
author:
  - novalite.compute contributors (@novalite)
'''

EXAMPLES = r'''
- name: Rebuild a server with another image, a new name and metadata
  novalite.compute.server_rebuild:
    server: 0b1c7e8e-94b0-4d5d-8d65-2b0c2b9f8c11
    rebuild:
      imageRef: cdcce4a0-16fb-5181-b90c-afc1afb5ec5a
      name: web-1-rebuilt
      metadata: {role: web}
    catalog:
      images: "{{ novalite_images }}"
      keypairs: "{{ novalite_keypairs | default([]) }}"
    context: "{{ novalite_context }}"
    policy: "{{ novalite_policy | default({}) }}"
  delegate_to: hv1
'''

RETURN = r'''
server:
  description:
    - The server record after the rebuild (docs/internals.md "Server record"); in check mode
      the record it would end with.
  returned: success
  type: dict
  sample:
    uuid: 0b1c7e8e-94b0-4d5d-8d65-2b0c2b9f8c11
    name: web-1-rebuilt
    image: {id: cdcce4a0-16fb-5181-b90c-afc1afb5ec5a, name: novalite-demo}
    vm_state: active
    task_state: null
transition:
  description: The image, name, metadata, description, key_name, vm_state and task_state before and after.
  returned: success
  type: dict
  contains:
    before:
      description: Before the rebuild.
      type: dict
    after:
      description: After the rebuild (as it would be, in check mode).
      type: dict
instance_action:
  description: The instance action recorded with its event; null in check mode.
  returned: success
  type: dict
  sample:
    action: rebuild
    request_id: req-5b0e2b4c-1b4f-4a0e-9f43-0c3f3d3b4f1a
    start_time: "2026-12-04T06:20:00Z"
    finish_time: "2026-12-04T06:20:09Z"
    message: null
    events:
      - {event: compute_rebuild_instance, start_time: "2026-12-04T06:20:00Z",
         finish_time: "2026-12-04T06:20:09Z", result: Success}
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.novalite.compute.plugins.module_utils.api.server_actions import rebuild_request
from ansible_collections.novalite.compute.plugins.module_utils.args_common import (
    COMPUTE_HOST_ARG_SPEC, COMPUTE_HOST_PATHS_ARG_SPEC, INSTANCE_ACTION_ARG_SPEC, LIBVIRT_ARG_SPEC,
    SERVER_POLICY_ARG_SPEC,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute.rebuild import (
    DEFAULTS, check_rebuild_allowed, rebuild,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute.server_access import (
    authorized_server, diff_as_asked, server_module_errors,
)
from ansible_collections.novalite.compute.plugins.module_utils.errors import QuotaExceeded, ValidationError
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import (
    require_libraries,
)


def argument_spec():
    spec = dict(
        rebuild=dict(type='dict', required=True),
        catalog=dict(type='dict', required=True),
        quotas=dict(type='dict', default={}),
        virt_type=COMPUTE_HOST_ARG_SPEC['virt_type'],
        shutdown_timeout=dict(type='int', default=DEFAULTS['shutdown_timeout']),
        boot_timeout=dict(type='int', default=DEFAULTS['boot_timeout']),
    )
    spec.update(COMPUTE_HOST_PATHS_ARG_SPEC)
    spec.update(LIBVIRT_ARG_SPEC)
    spec.update(SERVER_POLICY_ARG_SPEC)
    spec.update(INSTANCE_ACTION_ARG_SPEC)
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    require_libraries(module)
    p = module.params
    try:
        with server_module_errors(module, 'Rebuild of instance %s' % p['server']):
            access = authorized_server(p, 'rebuild', on_this_host=True)
            # Nova's compute API checks the lock and the state before the image
            check_rebuild_allowed(access.record, access.caller['is_admin'])
            spec = rebuild_request({'rebuild': p['rebuild']}, access.record, p['catalog'],
                                   p['context'], p['quotas'])
            result = rebuild(access.conn, dict(p, rebuild=spec, **access.caller),
                             module.run_command, check_mode=module.check_mode)
    except ValidationError as exc:
        module.fail_json(msg=str(exc), field=exc.field, rule=exc.rule)
    except QuotaExceeded as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**diff_as_asked(module, result))


if __name__ == '__main__':
    main()
