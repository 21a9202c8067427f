# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The per-hypervisor settings the compute modules share.

Each constant is the twin of a part of the `novalite.compute.compute_host` doc fragment: a
module documents the options by extending the fragment and accepts them by merging the
constant into its argument spec.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# novalite.compute.compute_host: the node and its resource accounting.
COMPUTE_HOST_ARG_SPEC = dict(
    nodename=dict(type='str'),
    virt_type=dict(type='str', choices=['auto', 'kvm', 'qemu'], default='auto'),
    cpu_allocation_ratio=dict(type='float', default=16.0),
    ram_allocation_ratio=dict(type='float', default=1.5),
    disk_allocation_ratio=dict(type='float', default=1.0),
    reserved_host_memory_mb=dict(type='int', default=512),
    reserved_host_disk_mb=dict(type='int', default=0),
    reserved_host_cpus=dict(type='int', default=0),
)

# novalite.compute.compute_host.paths: where the instances and the host's state live.
COMPUTE_HOST_PATHS_ARG_SPEC = dict(
    instances_path=dict(type='path', default='/var/lib/novalite/instances'),
    state_path=dict(type='path', default='/var/lib/novalite'),
)
