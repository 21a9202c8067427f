#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: libvirt_domain
short_description: Declarative libvirt domain (defined, running, stopped or absent)
version_added: 1.0.0
description:
  - Defines a libvirt domain from typed options (built like a Nova guest) or from raw XML, and
    brings it to the wanted power state.
  - Only the managed fields are compared (name, uuid, type, vcpus, memory, CPU mode, OS boot
    settings, disks, interfaces, console log file, server record), projected from libvirt's
    normalised inactive XML, so a second run with the same options reports no change.
  - On redefine the UUID, interface MACs and C(<metadata>) the options leave unset are
    carried over from the existing definition.
  - Redefining a running domain updates its persistent definition; the change takes effect
    at the next start (the module warns).
extends_documentation_fragment:
  - novalite.compute.attributes.declarative
  - novalite.compute.libvirt
options:
  name:
    description:
      - The domain name. Required unless O(uuid) or O(xml) names the domain.
    type: str
  uuid:
    description:
      - The domain UUID. When set, the domain is looked up by UUID.
    type: str
  state:
    description:
      - V(present) defines the domain and leaves its power state alone.
      - V(running) defines it when a definition is given, then starts or resumes it.
      - V(stopped) defines it when a definition is given, then shuts it down gracefully.
      - V(absent) destroys a running domain, undefines it and waits until it is gone.
    type: str
    choices: [present, running, stopped, absent]
    default: present
  xml:
    description:
      - A whole domain XML. Mutually exclusive with the typed options.
    type: str
  vcpus:
    description: Number of virtual CPUs.
    type: int
  memory_mb:
    description: Memory in MiB.
    type: int
  virt_type:
    description:
      - The domain type (Nova's C([libvirt] virt_type)). V(qemu) is software emulation (TCG),
        which works everywhere.
    type: str
    choices: [kvm, qemu]
    default: qemu
  cpu_mode:
    description:
      - The guest CPU mode; unset means libvirt's default CPU model.
    type: str
    choices: [host-model, host-passthrough]
  machine_type:
    description: The machine type (an alias such as V(pc) matches its canonical version).
    type: str
    default: pc
  kernel:
    description: Path on the hypervisor of a kernel to boot directly.
    type: path
  ramdisk:
    description: Path on the hypervisor of the initrd; needs O(kernel).
    type: path
  cmdline:
    description: Kernel command line; needs O(kernel).
    type: str
  disks:
    description: File-backed disks, in order.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Path of the image file on the hypervisor.
        type: path
        required: true
      format:
        description: Image format.
        type: str
        choices: [qcow2, raw]
        default: qcow2
      device:
        description: Device kind.
        type: str
        choices: [disk, cdrom]
        default: disk
      bus:
        description: Disk bus.
        type: str
        choices: [virtio, ide, scsi, sata]
        default: virtio
      target_dev:
        description: Target device name in the guest, for example V(vda) or V(hdc).
        type: str
        required: true
      readonly:
        description: Attach read-only.
        type: bool
        default: false
  interfaces:
    description: Network interfaces, in order.
    type: list
    elements: dict
    default: []
    suboptions:
      mac:
        description: MAC address; unset keeps the existing one or lets libvirt pick one.
        type: str
      model:
        description: NIC model.
        type: str
        default: virtio
      network:
        description: libvirt network name. Exactly one of O(interfaces[].network) and O(interfaces[].bridge).
        type: str
      bridge:
        description: Host bridge name.
        type: str
      mtu:
        description: MTU of the interface.
        type: int
  console_log:
    description: File the serial console writes to; unset gives a pty serial console.
    type: path
  shutdown_timeout:
    description:
      - Seconds to wait for a graceful shutdown (the ACPI power button is pressed again every
        10 seconds, as Nova does).
    type: int
    default: 120
  start_timeout:
    description: Seconds to wait for a started domain to be running.
    type: int
    default: 60
  force:
    description:
      - Destroy the domain when it did not shut down within O(shutdown_timeout). Without it
        the module fails instead.
    type: bool
    default: false
attributes:
  diff_mode:
    support: full
    description: The diff shows the managed fields and the power state before and after.
author:
  - novalite.compute contributors (@novalite)
'''

EXAMPLES = r'''
- name: A tiny direct-boot guest, running
  novalite.compute.libvirt_domain:
    name: demo-1
    state: running
    vcpus: 1
    memory_mb: 128
    virt_type: qemu
    kernel: /var/lib/novalite/demo/vmlinuz
    ramdisk: /var/lib/novalite/demo/initrd.img
    cmdline: console=ttyS0 panic=-1
    disks:
      - path: /var/lib/novalite/demo/demo-1.qcow2
        target_dev: vda
    interfaces:
      - network: default
    console_log: /var/lib/novalite/demo/demo-1.console.log

- name: Stop it, destroying it when it ignores the power button for a minute
  novalite.compute.libvirt_domain:
    name: demo-1
    state: stopped
    shutdown_timeout: 60
    force: true

- name: Define from raw XML
  novalite.compute.libvirt_domain:
    xml: "{{ lookup('ansible.builtin.file', 'domain.xml') }}"

- name: Remove it
  novalite.compute.libvirt_domain:
    name: demo-1
    state: absent
'''

RETURN = r'''
actions:
  description: What was done (or would be in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: [define, start]
domain:
  description: The domain after the run.
  returned: always
  type: dict
  contains:
    name:
      description: Domain name.
      type: str
    uuid:
      description: Domain UUID (null when absent, or in check mode for a new domain without one).
      type: str
    state:
      description: Power state (running, shutoff, paused, ...) or absent.
      type: str
  sample: {name: demo-1, uuid: 0b1c7e8e-94b0-4d5d-8d65-2b0c2b9f8c11, state: running}
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.novalite.compute.plugins.module_utils.args_common import LIBVIRT_ARG_SPEC
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import (
    DomainStopped, libvirt_errors, open_connection, require_libraries,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.domain_state import (
    DomainError, DomainManager, STATES,
)

DISK_SPEC = dict(
    path=dict(type='path', required=True),
    format=dict(type='str', choices=['qcow2', 'raw'], default='qcow2'),
    device=dict(type='str', choices=['disk', 'cdrom'], default='disk'),
    bus=dict(type='str', choices=['virtio', 'ide', 'scsi', 'sata'], default='virtio'),
    target_dev=dict(type='str', required=True),
    readonly=dict(type='bool', default=False),
)
INTERFACE_SPEC = dict(
    mac=dict(type='str'),
    model=dict(type='str', default='virtio'),
    network=dict(type='str'),
    bridge=dict(type='str'),
    mtu=dict(type='int'),
)
TYPED = ['vcpus', 'memory_mb', 'cpu_mode', 'kernel', 'ramdisk', 'cmdline', 'console_log']


def argument_spec():
    spec = dict(
        name=dict(type='str'),
        uuid=dict(type='str'),
        state=dict(type='str', choices=list(STATES), default='present'),
        xml=dict(type='str'),
        vcpus=dict(type='int'),
        memory_mb=dict(type='int'),
        virt_type=dict(type='str', choices=['kvm', 'qemu'], default='qemu'),
        cpu_mode=dict(type='str', choices=['host-model', 'host-passthrough']),
        machine_type=dict(type='str', default='pc'),
        kernel=dict(type='path'),
        ramdisk=dict(type='path'),
        cmdline=dict(type='str'),
        disks=dict(type='list', elements='dict', options=DISK_SPEC, default=[]),
        interfaces=dict(type='list', elements='dict', options=INTERFACE_SPEC, default=[]),
        console_log=dict(type='path'),
        shutdown_timeout=dict(type='int', default=120),
        start_timeout=dict(type='int', default=60),
        force=dict(type='bool', default=False),
    )
    spec.update(LIBVIRT_ARG_SPEC)
    return spec


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        mutually_exclusive=[['xml', option] for option in TYPED],
        required_one_of=[['name', 'uuid', 'xml']],
        required_together=[['vcpus', 'memory_mb']],
        supports_check_mode=True,
    )
    require_libraries(module)
    params = dict(module.params)
    if params['xml'] and (params['disks'] or params['interfaces']):
        module.fail_json(msg='xml: mutually exclusive with disks and interfaces')
    try:
        with libvirt_errors(module, 'libvirt', also=(TimeoutError, DomainStopped)):
            conn = open_connection(params['uri'])
            result = DomainManager(conn, params, check_mode=module.check_mode).run()
    except DomainError as exc:
        module.fail_json(msg=str(exc))
    for warning in result.pop('warnings', []):
        module.warn(warning)
    if not module._diff:
        result.pop('diff')
    module.exit_json(**result)


if __name__ == '__main__':
    main()
