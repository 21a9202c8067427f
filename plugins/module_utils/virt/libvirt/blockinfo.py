# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Disk buses and device names (Nova's nova/virt/libvirt/blockinfo.py): an instance's disks in
Nova's order and the target device each takes, for the build, the rebuild and the resize."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

BUS_PREFIX = {'virtio': 'vd', 'ide': 'hd', 'scsi': 'sd', 'sata': 'sd'}
# The config drive's usual place, as on Nova's default ide cdrom.
CONFIG_DRIVE_DEV = 'hdc'


def disk_layout(server):
    """The instance's disks in Nova's order (disk, ephemeral, swap, config drive):
    [(file name, format, device, bus)]."""
    props = (server.get('image') or {}).get('properties') or {}
    flavor = server['flavor']
    disk_bus = props.get('hw_disk_bus') or 'virtio'
    layout = [('disk', 'qcow2', 'disk', disk_bus)]
    if int(flavor.get('ephemeral_gb') or 0):
        layout.append(('disk.eph0', 'qcow2', 'disk', disk_bus))
    if int(flavor.get('swap') or 0):
        layout.append(('disk.swap', 'qcow2', 'disk', disk_bus))
    if server.get('config_drive', True):
        layout.append(('disk.config', 'raw', 'cdrom', props.get('hw_cdrom_bus')
                       or default_cdrom_bus(props.get('hw_machine_type'))))
    return layout


def default_cdrom_bus(machine_type):
    """Nova's cdrom bus for x86 (blockinfo.get_disk_bus_for_device_type): q35 has no IDE
    controller, so its cdrom goes on SATA; the i440fx `pc` machines keep IDE."""
    return 'sata' if 'q35' in (machine_type or '') else 'ide'


def target_devs(layout):
    """Device names per bus (vda, vdb, ...); the config drive takes hdc when that is free."""
    taken, devs = set(), []
    for name, _fmt, device, bus in layout:
        prefix = BUS_PREFIX[bus]
        if device == 'cdrom' and prefix + CONFIG_DRIVE_DEV[2] not in taken:
            dev = prefix + CONFIG_DRIVE_DEV[2]
        else:
            dev = next(prefix + letter for letter in 'abcdefghijklmnopqrstuvwxyz'
                       if prefix + letter not in taken)
        taken.add(dev)
        devs.append(dev)
    return devs
