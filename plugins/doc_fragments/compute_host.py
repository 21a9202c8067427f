# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """The per-hypervisor settings (nova.conf's [DEFAULT] of a compute host).

    DOCUMENTATION, the node and its resource accounting, is the twin of
    args_common.COMPUTE_HOST_ARG_SPEC; PATHS, the directories alone, of
    args_common.COMPUTE_HOST_PATHS_ARG_SPEC; BUILDS, the bound on concurrent builds, of
    args_common.COMPUTE_HOST_BUILDS_ARG_SPEC."""

    DOCUMENTATION = r'''
options:
  nodename:
    description: The hypervisor node name; default the name libvirt reports for the host.
    type: str
  virt_type:
    description:
      - The domain type. V(auto) uses V(kvm) only after proving KVM works, else V(qemu).
    type: str
    choices: [auto, kvm, qemu]
    default: auto
  cpu_allocation_ratio:
    description: Virtual CPUs per physical CPU.
    type: float
    default: 16.0
  ram_allocation_ratio:
    description: Virtual RAM per physical RAM.
    type: float
    default: 1.5
  disk_allocation_ratio:
    description: Virtual disk per physical disk.
    type: float
    default: 1.0
  reserved_host_memory_mb:
    description: Memory kept for the host itself, in MiB.
    type: int
    default: 512
  reserved_host_disk_mb:
    description: Disk kept for the host itself, in MiB.
    type: int
    default: 0
  reserved_host_cpus:
    description: CPUs kept for the host itself.
    type: int
    default: 0
'''

    PATHS = r'''
options:
  instances_path:
    description:
      - Where the instances' directories (disks, config drive, console log) live (Nova's
        C(instances_path)).
    type: path
    default: /var/lib/novalite/instances
  state_path:
    description: Where the image cache, the claims and the lock live (Nova's C(state_path)).
    type: path
    default: /var/lib/novalite
'''

    BUILDS = r'''
options:
  max_concurrent_builds:
    description:
      - How many builds run at once on this hypervisor (Nova's C(max_concurrent_builds)); a
        build waits for a free slot before it claims. V(0) sets no bound.
      - The slots are flock files under O(state_path)C(/locks), held by each build's process,
        so the bound holds across processes and a killed build frees its slot.
    type: int
    default: 10
'''
