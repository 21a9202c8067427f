# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared helpers for the tests that talk to libvirt's test:///default driver."""

import uuid

from libvirt_helpers import TEST_URI

from ansible_collections.novalite.compute.plugins.module_utils.libvirt_utils import open_connection


def unique_name(tag='dom'):
    return 'nltest-%s-%s' % (tag, uuid.uuid4().hex[:8])


def minimal_xml(name):
    return ("<domain type='qemu'><name>%s</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
            "<os><type arch='x86_64'>hvm</type></os></domain>" % name)


def connect_test_driver():
    return open_connection(TEST_URI)
