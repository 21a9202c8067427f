# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The libvirt driver's helpers (Nova's `nova/virt/libvirt/`).

- `connection.py`   opening connections, library checks, lookups, waiting for a state.
- `domain_xml.py`   the guest domain XML (LibvirtConfigGuest) and its managed projection.
- `blockinfo.py`    an instance's disks in Nova's order, their buses and target devices.
- `domain_state.py` a declarative domain (the `libvirt_domain` module's logic).
- `guest.py`        start, stop (ACPI with retries, then destroy) and undefine a domain
                    (Nova's `guest.py`): the one way every module does these.
- `dac.py`          who QEMU runs as (libvirt's DAC driver), so instance files are closed
                    to everyone else.
- `network.py`      declarative libvirt networks and their static DHCP host entries.
- `virt_type.py`    `[libvirt] virt_type`: kvm only when KVM proves it runs a guest."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type
