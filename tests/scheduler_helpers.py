# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host states for the tests of the scheduler's module and filter plugins."""


def host(name, ram_used=0, **fields):
    """A host state with 4 vCPUs, 4 GiB and 50 GB, no overcommit; `fields` override."""
    data = dict(host=name, vcpus_total=4, vcpus_used=0, memory_mb_total=4096, memory_mb_used=ram_used,
                disk_gb_total=50, disk_gb_used=0, cpu_allocation_ratio=1.0,
                ram_allocation_ratio=1.0, disk_allocation_ratio=1.0)
    data.update(fields)
    return data
