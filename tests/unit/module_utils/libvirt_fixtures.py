# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared helpers for the tests that talk to libvirt's test:///default driver."""

import uuid

import libvirt

from ansible_collections.novalite.compute.plugins.module_utils.libvirt_utils import open_connection

TEST_URI = 'test:///default'


def unique_name(tag='dom'):
    return 'nltest-%s-%s' % (tag, uuid.uuid4().hex[:8])


def remove_domain(conn, name):
    """Destroy and undefine `name` if it exists (test cleanup)."""
    try:
        dom = conn.lookupByName(name)
    except libvirt.libvirtError:
        return
    if dom.isActive():
        dom.destroy()
    try:
        dom.undefine()
    except libvirt.libvirtError:
        pass  # transient domains vanish with destroy


def minimal_xml(name):
    return ("<domain type='qemu'><name>%s</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
            "<os><type arch='x86_64'>hvm</type></os></domain>" % name)


def connect_test_driver():
    return open_connection(TEST_URI)
