# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared helpers for the tests that talk to libvirt's test:///default driver."""

from libvirt_helpers import TEST_URI

from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import open_connection


def connect_test_driver():
    return open_connection(TEST_URI)
