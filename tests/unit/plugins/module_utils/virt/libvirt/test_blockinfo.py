# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Disk buses and target device names, in Nova's order."""

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt import blockinfo


@pytest.mark.parametrize('flavor,bus,expected', [
    ({'ephemeral_gb': 0, 'swap': 0}, 'virtio', ['vda', 'hdc']),
    ({'ephemeral_gb': 1, 'swap': 0}, 'virtio', ['vda', 'vdb', 'hdc']),
    ({'ephemeral_gb': 1, 'swap': 1}, 'ide', ['hda', 'hdb', 'hdc', 'hdd']),
    ({'ephemeral_gb': 1, 'swap': 1}, 'scsi', ['sda', 'sdb', 'sdc', 'hdc']),
])
def test_disk_targets(flavor, bus, expected):
    srv = {'flavor': flavor, 'image': {'properties': {'hw_disk_bus': bus}}}
    layout = blockinfo.disk_layout(srv)
    assert blockinfo.target_devs(layout) == expected


@pytest.mark.parametrize('props,bus,dev', [
    ({}, 'ide', 'hdc'),
    ({'hw_machine_type': 'pc-i440fx-7.2'}, 'ide', 'hdc'),
    # q35 has no IDE controller: Nova puts its cdrom on SATA.
    ({'hw_machine_type': 'q35'}, 'sata', 'sdc'),
    ({'hw_machine_type': 'pc-q35-7.2'}, 'sata', 'sdc'),
    ({'hw_machine_type': 'q35', 'hw_cdrom_bus': 'scsi'}, 'scsi', 'sdc'),
])
def test_config_drive_bus_follows_the_machine_type(props, bus, dev):
    srv = {'flavor': {}, 'image': {'properties': props}}
    layout = blockinfo.disk_layout(srv)
    assert layout[-1] == ('disk.config', 'raw', 'cdrom', bus)
    assert blockinfo.target_devs(layout)[-1] == dev
