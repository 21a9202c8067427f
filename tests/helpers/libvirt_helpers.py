# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""libvirt helpers for the unit and the integration tests alike (tests/ is on sys.path by
its conftest.py)."""

import uuid

import libvirt

TEST_URI = 'test:///default'


def unique_name(tag='dom'):
    return 'nltest-%s-%s' % (tag, uuid.uuid4().hex[:8])


def minimal_xml(name):
    """A domain libvirt defines on any driver (never started: it has no disk)."""
    return ("<domain type='qemu'><name>%s</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
            "<os><type arch='x86_64'>hvm</type></os></domain>" % name)


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


class DefinedDomains:
    """Domains a test defines on `conn` (minimal_xml, never started by this), all removed when
    the `with` block ends: `with DefinedDomains(conn) as domains: dom = domains.define('tag')`."""

    def __init__(self, conn):
        self.conn, self.names = conn, []

    def define(self, tag='dom'):
        self.names.append(unique_name(tag))
        return self.conn.defineXML(minimal_xml(self.names[-1]))

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        for name in self.names:
            remove_domain(self.conn, name)
