#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: server_build
short_description: Build and start one server on this hypervisor (Nova's build_and_run_instance)
version_added: 1.0.0
description:
  - Runs on the hypervisor the scheduler selected and does what Nova's compute manager and
    libvirt driver do for a new server, in this order, each step timed.
  - C(claim) - under the host lock O(state_path)C(/compute.lock), recomputes the host's usage
    from its domains and the in-flight claims and checks that the flavor still fits with
    the allocation ratios and reserved amounts; writes a claim.
  - C(network) - under the same lock, one port per requested network, a C(fa:16:3e) MAC and
    a fixed IP from the allocation pools unused on this host, and a static DHCP host entry on
    the libvirt network when the network has C(dhcp). The segment of a C(vxlan), C(flat) or
    C(vlan) network is plugged when missing (bridge, VXLAN or VLAN device, peers), and with
    O(security_groups) the host's nftables ruleset is rewritten with the new ports before the
    guest exists.
  - C(image) - fetches the image (and kernel and ramdisk) once into O(state_path)C(/_base),
    verifies its checksum, and makes a qcow2 overlay sized to the flavor's root disk, plus the
    ephemeral and swap disks.
  - C(config_drive) - an ISO 9660 config drive labelled C(config-2) with the OpenStack
    metadata (meta_data.json, network_data.json, user_data, vendor data, injected files).
  - C(define) and C(start) - defines the domain C(instance-<uuid>) with the server record in
    its metadata, starts it and waits until it runs; the server is then C(active).
  - A failure after the claim removes everything the build made (domain, disks, config
    drive, instance directory, DHCP entries, claim), counts a failed build in
    O(state_path)C(/failed_builds) (Nova's BuildFailureWeigher input; reset by a successful
    build), and fails with RV(failed_step) and RV(reschedule). A libvirtd that cannot be
    reached counts as a failed build too; a refused claim does not (it stands for placement's
    allocation claim, which Nova retries on an alternate without counting).
  - When the server's domain already exists, nothing changes and its record is returned.
  - On a remote hypervisor, the module's action plugin first asks the host which images with
    a C(location) on the controller (a path or a C(file://) URL) its image cache lacks, and
    transfers only those. The cache is keyed by image id and checksum, never by location.
  - At most O(max_concurrent_builds) builds run at once on the hypervisor, those of this
    task (O(servers)) and those of others alike; the others wait for a free slot before they
    claim.
extends_documentation_fragment:
  - novalite.compute.compute_host
  - novalite.compute.compute_host.paths
  - novalite.compute.compute_host.builds
  - novalite.compute.libvirt
  - novalite.compute.network_host
options:
  server:
    description:
      - The per-instance build data from M(novalite.compute.server_request) (one item of its
        C(instances) list) - C(uuid), C(name), C(hostname), C(flavor), C(image) (with
        C(location), C(checksum), C(disk_format), C(properties)), C(kernel), C(ramdisk),
        C(networks), C(public_keys), C(metadata) and the other fields the server record keeps.
      - C(request_spec) (C({availability_zone}), the zone the create asked for or null) is kept
        in the record as it is, for M(novalite.compute.fleet_resize); without it the record's
        C(request_spec) is null and a resize asks for no zone. Any other shape is refused.
      - Image properties used - C(os_command_line), C(hw_machine_type) (default C(pc)),
        C(hw_disk_bus) (C(virtio)), C(hw_cdrom_bus) (C(ide), C(sata) on a q35 machine),
        C(hw_vif_model) (C(virtio)), C(architecture) (C(x86_64)).
      - The build of O(server) is that of O(servers) with a list of one, in the module's own
        process; the result is its entry of RV(builds) without C(instance_uuid), with
        RV(host_state) and RV(servers), and a failed build fails the task.
      - Exactly one of O(server) and O(servers).
    type: dict
  servers:
    description:
      - Several servers to build on this hypervisor from one command, as O(server) each, at
        most O(max_concurrent_builds) at once (Nova's compute manager builds each instance in
        a greenthread of its own), each in a process of its own with its own claim, journal
        and build slot.
      - The result then has one entry a server in RV(builds), in this order; a failed build
        is an entry with C(failed), not a failure of the task, so the others are kept. The
        secrets options apply to every server.
      - An empty list builds nothing; the result has an empty RV(builds), C(changed=false) and,
        with O(report_host_state), the host's state (its C(availability_zone) null, as no
        server names it).
      - Exactly one of O(server) and O(servers).
    type: list
    elements: dict
    version_added: 3.0.0
  host:
    description: The inventory name of this hypervisor, recorded as the server's host.
    type: str
    required: true
  boot_timeout:
    description: Seconds to wait for the domain to be running after the start.
    type: int
    default: 60
  user_data:
    description: The server's user data, base64-encoded as in Nova's API.
    type: str
  admin_pass:
    description:
      - The administrator password given to the guest in the config drive's meta_data.json.
      - None is generated when it is absent.
    type: str
  injected_files:
    description: Files to put on the config drive (Nova's personality).
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The path of the file in the guest.
        type: str
        required: true
      contents:
        description: The file's contents, base64-encoded.
        type: str
        required: true
  request_id:
    description: The request id recorded with the server's C(create) action.
    type: str
  report_host_state:
    description:
      - Also return the host's state and servers after the build (C(host_state), C(servers), as
        M(novalite.compute.hypervisor_info) returns them), so the controller can write them to
        its fleet database without asking the host again.
    type: bool
    default: false
  controller_images:
    description:
      - Which of the server's images (C(image), C(kernel), C(ramdisk)) live on the
        controller. When the host's image cache lacks one of them, the module fails before
        anything is claimed or counted, with C(images_needed) listing them; the action plugin
        sets this, transfers what is needed and runs the build again.
    type: list
    elements: str
    choices: [image, kernel, ramdisk]
    default: []
attributes:
  action:
    support: full
    description:
      - An action plugin runs on the controller. On a remote hypervisor it runs the build
        saying which images live on the controller; only when the host's cache lacks some
        (C(images_needed)) does it transfer them and run the build again, so a warm cache
        costs one round trip.
  async:
    support: none
    description:
      - The options carry the server's secrets and Ansible's async wrapper would write them to
        a file on the host; several builds go on at once with O(servers) instead.
  check_mode:
    support: full
    description:
      - Checks that the flavor fits and plans the ports and the domain with the same code as
        a real run, changing nothing; fails where the real run would fail at the claim or
        the network step.
  diff_mode:
    support: full
    description: Before is empty, after is the managed fields of the domain.
  idempotent:
    support: full
    description: When the server's domain already exists, nothing changes and its record is returned.
  platform:
    support: full
    platforms: posix
    description: Runs on the hypervisor.
notes:
  - The secrets (O(user_data), O(admin_pass), O(injected_files)) go only to the config drive;
    neither the server record nor the result holds them.
requirements:
  - pycdlib
  - netaddr
  - qemu-img
author:
  - novalite.compute contributors (@novalite)
'''

EXAMPLES = r'''
- name: Build the server on the selected hypervisor
  novalite.compute.server_build:
    server: "{{ request.instances[0] }}"
    host: "{{ inventory_hostname }}"
    virt_type: "{{ novalite_virt_type | default('auto') }}"
    user_data: "{{ novalite_server.user_data | default(omit) }}"
    admin_pass: "{{ novalite_server.adminPass | default(omit) }}"
    request_id: "{{ request.reservation_id }}"
  delegate_to: "{{ selection.host }}"
  register: built

- name: Build the instances this host was chosen for, at most 10 at once, in one command
  novalite.compute.server_build:
    servers: "{{ request.instances }}"
    host: "{{ inventory_hostname }}"
    max_concurrent_builds: 10
    report_host_state: true
  register: batch

- name: The failed builds, each with the step that failed
  ansible.builtin.debug:
    msg: "{{ batch.builds | selectattr('failed', 'defined') | selectattr('failed') | map(attribute='msg') | list }}"

- name: Try the next alternate when another host may succeed
  ansible.builtin.debug:
    msg: "{{ built.failed_step }} failed; reschedule={{ built.reschedule }}"
  when: built is failed
'''

RETURN = r'''
server:
  description:
    - The server record as kept in the domain's metadata (no secrets).
    - In check mode, the record the build would write.
  returned: success
  type: dict
  sample:
    uuid: 0b1c7e8e-94b0-4d5d-8d65-2b0c2b9f8c11
    name: web-1
    host: hv1
    vm_state: active
    task_state: null
    power_state: 1
    ports: [{id: 5e0c..., network_id: 9a1f..., network_name: private,
             mac: "fa:16:3e:12:34:56", fixed_ip: 10.254.0.10}]
host:
  description: O(host).
  returned: always
  type: str
  sample: hv1
timings:
  description: Seconds spent in each step that ran.
  returned: always
  type: dict
  sample: {claim: 0.05, network: 0.3, image: 0.4, config_drive: 0.05, define: 0.05, start: 0.6}
network_timings:
  description: The parts of the C(network) step, in seconds - C(plug) (the segments of the
    server's networks) and C(firewall) (this host's security group ruleset); with ports on a
    libvirt network, C(dhcp) (adding their DHCP entries, in the background while the build
    goes on) and C(dhcp_wait) (how long the paused guest waited for them).
  returned: when the server was built
  type: dict
  sample: {plug: 0.02, firewall: 0.03, dhcp: 0.25, dhcp_wait: 0.0}
plan:
  description: In check mode, the steps the build would run and what each would do.
  returned: check mode
  type: list
  elements: dict
  sample:
    - {step: claim, detail: "claim DISK_GB 1, MEMORY_MB 128, VCPU 1"}
    - {step: image, detail: "6f1c... to fetch from /var/lib/novalite/demo/disk.qcow2"}
host_state:
  description:
    - With O(report_host_state), the host state after the build (the host state of
      M(novalite.compute.hypervisor_info); C(availability_zone), C(aggregates) and the
      service's disabled flag are left for the controller to fill). Its C(local_ip) is
      O(local_ip) (or null), which the fleet database keeps as the host's VXLAN address.
  returned: with O(report_host_state) after a build or a failed one, not in check mode
  type: dict
  sample: {host: hv1, vcpus_total: 8, vcpus_used: 2, num_instances: 2, local_ip: 10.81.0.11,
           updated: "2026-11-21T06:20:00Z"}
servers:
  description: With O(report_host_state), the host's servers table (as M(novalite.compute.hypervisor_info)).
  returned: with O(report_host_state) after a build or a failed one, not in check mode
  type: dict
  sample: {columns: [name, project_id, user_id, flavor, states, addresses], rows: []}
images_transferred:
  description:
    - The images (C(image), C(kernel), C(ramdisk)) whose O(server) C(location) is a path on
      the controller and that this run copied to the remote hypervisor, into
      O(state_path)C(/_staging), for the build to move into its image cache.
    - Empty when the host's cache already had them, on the local connection and in check mode.
  returned: always
  type: list
  elements: str
  sample: [image, kernel, ramdisk]
builds:
  description:
    - With O(servers), one entry a server in their order - C(instance_uuid), then the keys a
      build of one O(server) returns (RV(server), RV(timings), C(diff) or C(failed),
      C(msg), RV(failed_step), RV(reschedule)).
    - RV(host_state) and RV(servers) are the task's, gathered once after all the builds.
  returned: with O(servers)
  type: list
  elements: dict
  sample:
    - {instance_uuid: 0b1c7e8e-94b0-4d5d-8d65-2b0c2b9f8c11, changed: true, server: {name: web-1}, timings: {claim: 0.05}}
    - {instance_uuid: 5d0e3c1a-0a5e-4b7e-9a55-1f2d3c4b5a69, failed: true, failed_step: claim, reschedule: true,
       msg: "Build of instance 5d0e... failed on hv1 at step claim: ..."}
images_needed:
  description:
    - The images of O(controller_images) that the host's cache lacks; the build did not
      start. The action plugin answers this itself, so a task sees it only when the module
      runs without the plugin.
  returned: when the host's cache lacks an image of O(controller_images)
  type: list
  elements: str
  sample: [image]
failed_step:
  description: The step that failed (C(validate), C(claim), C(network), C(image),
    C(config_drive), C(define), C(start)).
  returned: failure
  type: str
  sample: image
reschedule:
  description: Whether another host may succeed where this one failed (resources, image,
    libvirt); false for errors in the request itself.
  returned: failure
  type: bool
  sample: true
'''

import traceback

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.novalite.compute.plugins.module_utils.args_common import (
    COMPUTE_HOST_ARG_SPEC, COMPUTE_HOST_BUILDS_ARG_SPEC, COMPUTE_HOST_PATHS_ARG_SPEC,
    LIBVIRT_ARG_SPEC, NETWORK_HOST_ARG_SPEC,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute import build_batch, image_cache
from ansible_collections.novalite.compute.plugins.module_utils.compute.build import (
    BuildError, Builder, ImagesNeeded, connect,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute.host_settings import HostSettings
from ansible_collections.novalite.compute.plugins.module_utils.compute.resource_tracker import report_host_state
from ansible_collections.novalite.compute.plugins.module_utils.compute.config_drive import (
    HAS_PYCDLIB, PYCDLIB_IMPORT_ERROR,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import (
    open_connection, require_libraries,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute.network import (
    HAS_NETADDR, NETADDR_IMPORT_ERROR,
)

INJECTED_FILE_SPEC = dict(path=dict(type='str', required=True),
                          contents=dict(type='str', required=True, no_log=True))


def argument_spec():
    spec = dict(
        server=dict(type='dict'),
        servers=dict(type='list', elements='dict'),
        host=dict(type='str', required=True),
        boot_timeout=dict(type='int', default=60),
        user_data=dict(type='str', no_log=True),
        admin_pass=dict(type='str', no_log=True),
        # Only the contents are secret: a no_log on the whole list would also mask the paths
        # wherever they appear in the output.
        injected_files=dict(type='list', elements='dict', options=INJECTED_FILE_SPEC, default=[]),
        request_id=dict(type='str'),
        report_host_state=dict(type='bool', default=False),
        controller_images=dict(type='list', elements='str', default=[],
                               choices=['image', 'kernel', 'ramdisk']),
    )
    spec.update(COMPUTE_HOST_ARG_SPEC)
    spec.update(COMPUTE_HOST_PATHS_ARG_SPEC)
    spec.update(COMPUTE_HOST_BUILDS_ARG_SPEC)
    spec.update(LIBVIRT_ARG_SPEC)
    spec.update(NETWORK_HOST_ARG_SPEC)
    return spec


def check_requirements(module):
    require_libraries(module, (HAS_PYCDLIB, 'pycdlib', PYCDLIB_IMPORT_ERROR),
                      (HAS_NETADDR, 'netaddr', NETADDR_IMPORT_ERROR))
    if not module.get_bin_path('qemu-img'):
        module.fail_json(msg='qemu-img is required on the hypervisor (package qemu-utils)')


def host_report(module, gather):
    """{host_state, servers} of the host now, with report_host_state (a failed build counts on
    the host, and the BuildFailureWeigher reads it); else {}. `gather()` gives them. A report
    that cannot be gathered is a warning: it must not change the builds' outcome."""
    if not module.params['report_host_state'] or module.check_mode:
        return {}
    try:
        host_state, servers = gather()
    except Exception as exc:
        module.warn('The host state could not be gathered for the report: %s' % exc)
        return {}
    return {'host_state': host_state, 'servers': servers}


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           mutually_exclusive=[('server', 'servers')],
                           required_one_of=[('server', 'servers')])
    check_requirements(module)
    if module.params['servers'] is None:
        result = one_server(build_servers(module, [module.params['server']]))
    else:
        result = build_servers(module, module.params['servers'])
    if result.get('failed'):
        module.fail_json(**result)
    module.exit_json(**result)


def one_server(result):
    """The result of a build of `server` (a list of one): its entry of `builds`, without the
    uuid it was given, and the host's report; a failure of the whole task as it is."""
    if 'builds' not in result:
        return result
    entry = dict(result['builds'][0])
    del entry['instance_uuid']
    entry.update((key, result[key]) for key in ('host_state', 'servers') if key in result)
    return entry


def build_servers(module, servers):
    """The result of building every server of `servers`, concurrently in child processes (in
    check mode, or for one server, one after the other in this process): one entry a server
    and one report of the host; a failure of the whole task when images are needed first."""
    params = module.params
    # Asked for all the servers before any build claims, so the action plugin transfers each
    # image once.
    needed = image_cache.missing(params['state_path'], servers, params['controller_images'])
    if needed:
        return {'failed': True, 'msg': 'Builds on %s need images first: %s' % (params['host'], ', '.join(needed)),
                'images_needed': needed, 'failed_step': 'image', 'reschedule': True,
                'host': params['host'], 'timings': {}}
    builds = build_batch.run_builds(lambda server: build_one(module, server), servers,
                                    params['max_concurrent_builds'],
                                    fork=not module.check_mode and len(servers) > 1)
    result = {'changed': any(b.get('changed') for b in builds), 'host': params['host'], 'builds': builds}
    # The host's state once all the builds ended, on a connection of its own, which counts no
    # failed build when libvirtd is out of reach. The servers of one host share its zone; with
    # none (nothing to build) the zone is left for the controller, which keeps the one it knows.
    zone = servers[0].get('availability_zone') if servers else None
    result.update(host_report(module, lambda: report_host_state(
        open_connection(params['uri']), HostSettings.from_params(params), host=params['host'],
        availability_zone=zone, local_ip=params['local_ip'])))
    return result


def build_one(module, server):
    """The result of building `server` (planning it in check mode), with `failed` when the
    build failed."""
    params = dict(module.params, server=server)
    params.pop('servers')
    uri = params.pop('uri')
    host = params['host']
    instance_uuid = (server or {}).get('uuid')
    try:
        conn = connect(uri, params['state_path'])
    except Exception as exc:  # libvirtd out of reach: a failed build another host may fix
        return {'failed': True, 'msg': 'libvirt (%s): %s' % (uri, exc), 'exception': traceback.format_exc(),
                'failed_step': 'validate', 'reschedule': True, 'host': host, 'timings': {}}
    builder = Builder(conn, params, module.run_command)
    try:
        if module.check_mode:
            result = builder.plan()
            result['timings'] = {}
        else:
            result = builder.build()
    except BuildError as exc:
        return {'failed': True, 'msg': exc.message(instance_uuid, host), 'failed_step': exc.step,
                'reschedule': exc.reschedule, 'host': host, 'timings': builder.timings}
    except ImagesNeeded as exc:
        return {'failed': True, 'msg': 'Build of instance %s on %s needs images first: %s'
                % (instance_uuid, host, exc), 'images_needed': exc.keys, 'failed_step': 'image',
                'reschedule': True, 'host': host, 'timings': {}}
    except Exception as exc:  # an unforeseen error must still say which server and host
        return {'failed': True, 'msg': 'Build of instance %s failed on %s: %s' % (instance_uuid, host, exc),
                'exception': traceback.format_exc(), 'host': host, 'timings': builder.timings}
    diff = result.pop('diff')
    result['host'] = host
    if module._diff and diff is not None:
        result['diff'] = diff
    return result


if __name__ == '__main__':
    main()
