# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who QEMU runs as, so the instance's files can be closed to everyone else.

The instance directory holds the config drive (adminPass, user_data, injected files) and the
guest's disks. It is root's and QEMU's group's, mode 0750, and the config drive 0640: the
hypervisor's QEMU user (libvirt's DAC driver, which also relabels the disks it opens) can
read them, other users of the host cannot. The group is the one libvirt's qemu driver
reports in its capabilities (the DAC secmodel's baselabel for the domain type, `+uid:+gid`),
i.e. qemu.conf's `group`, whatever the distribution calls it.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

INSTANCE_DIR_MODE = 0o750
SECRET_FILE_MODE = 0o640


def qemu_gid(conn, virt_type):
    """The gid QEMU runs with for `virt_type` domains, or None when libvirt reports no DAC
    label (a driver without QEMU, such as the test driver)."""
    from lxml import etree
    caps = etree.fromstring(conn.getCapabilities().encode())
    for label in caps.xpath("/capabilities/host/secmodel[model='dac']/baselabel"):
        if label.get('type') == virt_type:
            _user, _sep, group = (label.text or '').partition(':')
            if group.lstrip('+').isdigit():
                return int(group.lstrip('+'))
    return None


def restrict(path, mode, gid):
    """Give `path` to root's `gid` (when known) with `mode`: group first, so the mode never
    opens a file to a group it is not meant for."""
    if gid is not None:
        os.chown(path, -1, gid)
    os.chmod(path, mode)
