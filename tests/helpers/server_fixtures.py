# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A running server with a record on libvirt's test:///default driver, for the tests of the
modules that act on an existing server."""

import contextlib
import uuid

from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record as sr

from libvirt_helpers import remove_domain
from module_runner import open_test_driver

# The server's owner and the callers the tests act as.
MEMBER = {'project_id': 'demo', 'user_id': 'demo-user', 'roles': ['member']}
READER = {'project_id': 'demo', 'user_id': 'demo-user', 'roles': ['reader']}
OTHER = {'project_id': 'other', 'user_id': 'mallory', 'roles': ['member']}
ADMIN = {'project_id': 'admin', 'user_id': 'admin', 'roles': ['admin']}


@contextlib.contextmanager
def recorded_server(tag, **record):
    """A running domain `nltest-<tag>-<hex>` whose record is an active server of project
    `demo` (user `demo-user`), with `record`'s fields on top; removed afterwards."""
    conn = open_test_driver()
    name = 'nltest-%s-%s' % (tag, uuid.uuid4().hex[:8])
    dom = conn.defineXML("<domain type='qemu'><name>%s</name><memory>65536</memory>"
                         "<vcpu>1</vcpu><os><type>hvm</type></os></domain>" % name)
    dom.create()
    values = dict(uuid=dom.UUIDString(), name=name, vm_state='active', project_id='demo',
                  user_id='demo-user')
    values.update(record)
    sr.write_record(dom, sr.new_record(**values))
    try:
        yield dom
    finally:
        remove_domain(conn, name)
