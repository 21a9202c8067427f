# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host state of one hypervisor (Nova's HostState, as the resource tracker fills it).

Totals come from libvirt and the instances filesystem; usage is recomputed every time from
the servers recorded in the domains' metadata plus the in-flight claims, so there is no
counter to drift.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

try:
    from lxml import etree
except ImportError:
    pass  # modules check libvirt_utils.HAS_LXML and fail with missing_required_lib

from ansible_collections.novalite.compute.plugins.module_utils.compute import layout
from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.resources import flavor_resources
from ansible_collections.novalite.compute.plugins.module_utils.compute.server_record import (
    list_servers, now_iso,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute.claims import list_claims
from ansible_collections.novalite.compute.plugins.module_utils.compute.server_table import server_table
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.virt_type import resolve_virt_type

GIB = 1024 ** 3
# nova/compute/stats.py io_workload: builds plus these I/O heavy task states.
IO_TASK_STATES = ('resize_migrating', 'rebuilding', 'resize_prep', 'image_snapshot',
                  'image_backup', 'rescuing', 'unshelving')
# Servers in these vm_states hold no resources on the host (Nova's stats skip them too).
GONE_VM_STATES = ('deleted', 'shelved_offloaded')


def _existing_dir(path):
    """`path`, or its nearest existing parent (the instances path may not exist yet)."""
    path = os.path.abspath(path)
    while not os.path.isdir(path):
        path = os.path.dirname(path)
    return path


def _disk_totals(instances_path):
    """(total GB, free bytes) of the filesystem holding the instances."""
    st = os.statvfs(_existing_dir(instances_path))
    return st.f_blocks * st.f_frsize // GIB, st.f_bavail * st.f_frsize


def cpu_info(caps_root):
    """A compact cpu_info (Nova's keys) from the capabilities' host CPU."""
    cpu = caps_root.find('host/cpu')
    topology = cpu.find('topology') if cpu is not None else None
    return {
        'arch': cpu.findtext('arch') if cpu is not None else None,
        'model': cpu.findtext('model') if cpu is not None else None,
        'vendor': cpu.findtext('vendor') if cpu is not None else None,
        'topology': {key: int(topology.get(key)) for key in ('sockets', 'cores', 'threads')}
        if topology is not None else {},
        'features': sorted(f.get('name') for f in cpu.findall('feature')) if cpu is not None else [],
    }


def supported_instances(caps_root, virt_type):
    """[arch, hv_type, vm_mode] triples the host can run with its virt type.

    QEMU (TCG) always works where the emulator exists; KVM is offered only when the host
    runs with virt_type kvm (libvirt advertises kvm even where it does not work)."""
    usable = {virt_type, 'qemu'}
    found = []
    for guest in caps_root.findall('guest'):
        vm_mode = guest.findtext('os_type')
        arch = guest.find('arch')
        if arch is None:
            continue
        for domain in arch.findall('domain'):
            triple = [arch.get('name'), domain.get('type'), vm_mode]
            if domain.get('type') in usable and triple not in found:
                found.append(triple)
    return found


def _overcommit_bytes(instances_path, record):
    """Bytes the server's sparse disks may still grow (virtual size from the flavor minus the
    space the files take now), as Nova's disk_over_committed does with qemu-img info."""
    flavor = record.get('flavor') or {}
    sizes = {'disk': int(flavor.get('root_gb') or 0) * GIB,
             'disk.eph0': int(flavor.get('ephemeral_gb') or 0) * GIB,
             'disk.swap': int(flavor.get('swap') or 0) * 1024 * 1024}
    total = 0
    for name, virtual in sizes.items():
        try:
            st = os.stat(os.path.join(layout.instance_dir(instances_path, record.get('uuid') or ''), name))
        except OSError:
            continue
        total += max(0, virtual - st.st_blocks * 512)
    return total


def _stats(records, claims, failed_builds):
    """Nova's resource tracker stats (num_vm_*, num_task_*, num_proj_*, io_workload)."""
    stats = {}

    def bump(key):
        stats[key] = stats.get(key, 0) + 1

    for rec in records:
        bump('num_instances')
        bump('num_vm_%s' % rec.get('vm_state'))
        bump('num_task_%s' % rec.get('task_state'))
        bump('num_proj_%s' % rec.get('project_id'))
    for _claim in claims:
        # A claim is a build whose domain is not defined yet: building, spawning.
        bump('num_instances')
        bump('num_vm_building')
        bump('num_task_spawning')
    stats['io_workload'] = stats.get('num_vm_building', 0) + sum(
        stats.get('num_task_%s' % state, 0) for state in IO_TASK_STATES)
    stats['failed_builds'] = failed_builds
    return stats


def _usage(records, claims):
    used = {'VCPU': 0, 'MEMORY_MB': 0, 'DISK_GB': 0}
    for rec in records:
        # A resize on this host not confirmed yet holds its old flavor too (Nova's migration
        # allocation) until confirmResize or revertResize frees one of the two; the source
        # copy of a resize to another host holds its old flavor as its `flavor`.
        flavors = [rec.get('flavor')]
        if server_record.counts_old_flavor(rec):
            flavors.append(rec.get('old_flavor'))
        for flavor in flavors:
            for rc, amount in flavor_resources(flavor or {}).items():
                used[rc] += amount
    for claim in claims:
        used['VCPU'] += int(claim.get('vcpus') or 0)
        used['MEMORY_MB'] += int(claim.get('memory_mb') or 0)
        used['DISK_GB'] += int(claim.get('disk_gb') or 0)
    return used


def gather_host_state(conn, settings, *, host, availability_zone, aggregates, virt_type, claims,
                      local_ip=None):
    """(host_state, servers): the host state (DESIGN.md names + virt_type, claims, local_ip) and
    the table of the servers still holding resources (server_table.py), from libvirt, the
    instances filesystem and `claims` (claims.list_claims). `settings` is the host's
    HostSettings; `virt_type` the one its virt_type resolved to; `local_ip` the host's VXLAN
    address (None: it has none), reported so that the fleet's peers are read from the reports."""
    all_records = list_servers(conn)
    records = [rec for rec in all_records if rec.get('vm_state') not in GONE_VM_STATES]
    known = {rec.get('uuid') for rec in all_records}
    # A claim is released once its domain is defined; never count both.
    claims = [c for c in claims if c.get('instance_uuid') not in known]
    info = conn.getInfo()
    caps = etree.fromstring(conn.getCapabilities().encode('utf-8'))
    disk_total_gb, disk_free_bytes = _disk_totals(settings.instances_path)
    used = _usage(records, claims)
    over = sum(_overcommit_bytes(settings.instances_path, rec) for rec in records)
    # The server of a source copy is its destination's: only its usage stays here.
    records = [rec for rec in records if not server_record.is_source_copy(rec)]
    failed_builds = layout.read_failed_builds(settings.state_path)
    stats = _stats(records, claims, failed_builds)
    instances = {rec['uuid']: (rec.get('instance_group') or {}).get('uuid') for rec in records}
    instances.update((c['instance_uuid'], None) for c in claims)
    # Sorted as server_table pairs them, so a reader sees rows and uuids in the same order.
    instances = dict(sorted(instances.items()))
    host_state = {
        'host': host,
        'nodename': settings.nodename or conn.getHostname(),
        'availability_zone': availability_zone,
        'aggregates': aggregates,
        'vcpus_total': int(info[2]),
        # Nova's resource tracker starts vcpus_used at the reserved host CPUs; the
        # memory and disk usage leave reserved out (it comes off the capacity instead).
        'vcpus_used': used['VCPU'] + settings.reserved_host_cpus,
        'memory_mb_total': int(info[1]),
        'memory_mb_used': used['MEMORY_MB'],
        'disk_gb_total': int(disk_total_gb),
        'disk_gb_used': used['DISK_GB'],
        'free_ram_mb': int(info[1]) - settings.reserved_host_memory_mb - used['MEMORY_MB'],
        'free_disk_mb': (int(disk_total_gb) * 1024 - settings.reserved_host_disk_mb
                         - used['DISK_GB'] * 1024),
        'disk_available_least': int((disk_free_bytes - over) // GIB),
        'cpu_allocation_ratio': settings.cpu_allocation_ratio,
        'ram_allocation_ratio': settings.ram_allocation_ratio,
        'disk_allocation_ratio': settings.disk_allocation_ratio,
        'reserved_host_memory_mb': settings.reserved_host_memory_mb,
        'reserved_host_disk_mb': settings.reserved_host_disk_mb,
        'reserved_host_cpus': settings.reserved_host_cpus,
        # Nova reports QEMU for both the kvm and the qemu virt types.
        'hypervisor_type': 'QEMU',
        # conn.getVersion() already is Nova's major * 1000000 + minor * 1000 + release.
        'hypervisor_version': int(conn.getVersion()),
        'cpu_info': cpu_info(caps),
        'supported_instances': supported_instances(caps, virt_type),
        'num_instances': stats.get('num_instances', 0),
        'num_io_ops': stats['io_workload'],
        'instances': instances,
        'service_disabled': settings.service_disabled,
        'service_disabled_reason': settings.service_disabled_reason,
        'forced_down': settings.forced_down,
        'failed_builds': failed_builds,
        'stats': stats,
        'metrics': [],
        'updated': now_iso(),
        'virt_type': virt_type,
        'claims': claims,
        'local_ip': local_ip or None,
    }
    return host_state, server_table(records)


def report_host_state(conn, settings, *, host, availability_zone=None, local_ip=None, virt_type=None):
    """(host_state, servers) of this host now, its live claims counted, as hypervisor_info
    reports them: what server_build returns with report_host_state once its builds ended, for
    the controller's fleet database. The zone is the caller's to give (the built servers' zone,
    which the conductor made their host's); aggregates and the service's disabled flag are the
    controller's to fill: the host does not know them. `virt_type` is the one the host's
    virt_type resolved to (None: resolve it here)."""
    if virt_type is None:
        virt_type = resolve_virt_type(settings.virt_type)[0]
    return gather_host_state(conn, settings, host=host, availability_zone=availability_zone,
                             aggregates=[], virt_type=virt_type,
                             claims=list_claims(settings.state_path), local_ip=local_ip)
