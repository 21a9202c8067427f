# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resource fitting, the one rule shared by the scheduler and the compute claim.

Placement's view (what RamFilter/CoreFilter/DiskFilter did before it): for each resource class,
capacity = (total - reserved) * allocation_ratio, and a host fits a flavor when
used + requested <= capacity, and no single instance asks for more than the host's total.
`memory_mb_used` and `disk_gb_used` in a host state count instances and in-flight claims
only, never reserved; `vcpus_used` also counts the reserved host CPUs, as Nova's resource
tracker reports it (`_update_available_resource` starts it at reserved_host_cpus), so
placement's VCPU usage is vcpus_used - reserved_host_cpus.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math

RESOURCE_CLASSES = ('VCPU', 'MEMORY_MB', 'DISK_GB')


def flavor_resources(flavor, is_bfv=False):
    """What one instance of `flavor` (request spec names) asks for, by resource class.

    A volume-backed server keeps its root disk off the host, so its root_gb is not counted
    (Nova's `resources_from_request_spec`)."""
    root_gb = 0 if is_bfv else int(flavor.get('root_gb') or 0)
    return {
        'VCPU': int(flavor.get('vcpus') or 0),
        'MEMORY_MB': int(flavor.get('memory_mb') or 0),
        'DISK_GB': root_gb + int(flavor.get('ephemeral_gb') or 0)
        + int(math.ceil(int(flavor.get('swap') or 0) / 1024.0)),
    }


def free_disk_consumed_mb(flavor):
    """What one instance takes off a host state's free_disk_mb: (root + ephemeral) GiB in
    MiB, swap not counted and a volume-backed root counted all the same (Nova's
    `HostState._locked_consume_from_request` reads the flavor's root_gb)."""
    return (int(flavor.get('root_gb') or 0) + int(flavor.get('ephemeral_gb') or 0)) * 1024


def host_inventory(host_state):
    """Per resource class: total, reserved, allocation_ratio, used, capacity."""
    rows = {
        'VCPU': (host_state['vcpus_total'], host_state.get('reserved_host_cpus', 0),
                 host_state['cpu_allocation_ratio'],
                 host_state['vcpus_used'] - host_state.get('reserved_host_cpus', 0)),
        'MEMORY_MB': (host_state['memory_mb_total'], host_state.get('reserved_host_memory_mb', 0),
                      host_state['ram_allocation_ratio'], host_state['memory_mb_used']),
        'DISK_GB': (host_state['disk_gb_total'],
                    int(math.ceil(host_state.get('reserved_host_disk_mb', 0) / 1024.0)),
                    host_state['disk_allocation_ratio'], host_state['disk_gb_used']),
    }
    inventory = {}
    for rc, (total, reserved, ratio, used) in rows.items():
        inventory[rc] = {
            'total': total, 'reserved': reserved, 'allocation_ratio': ratio, 'used': used,
            'capacity': int((total - reserved) * ratio),
        }
    return inventory


def fit_failures(host_state, requested):
    """Reasons `requested` (flavor_resources) does not fit on the host; empty when it fits."""
    failures = []
    for rc, inv in host_inventory(host_state).items():
        amount = requested.get(rc, 0)
        if not amount:
            continue
        if amount > inv['total']:
            failures.append('%s: requested %d exceeds the host total %d' % (rc, amount, inv['total']))
        elif inv['used'] + amount > inv['capacity']:
            failures.append('%s: requested %d, used %d of capacity %d'
                            % (rc, amount, inv['used'], inv['capacity']))
    return failures
