# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The compute tests' host: libvirt's test driver with a node of its own (build_fixtures'
NODE_XML; a test module that needs another node overrides `node_xml`), the host's paths
under the test's directory, and an image catalog of real qemu-img images (build_fixtures).
A test module with another kind of host defines its own `host`."""

import pytest

from build_fixtures import NODE_XML, image_catalog, open_test_host

from ansible_collections.novalite.compute.plugins.module_utils.compute.host_settings import HostSettings


@pytest.fixture
def node_xml():
    return NODE_XML


@pytest.fixture
def host(tmp_path, node_xml):
    conn = open_test_host(tmp_path, node_xml)
    yield conn
    conn.close()


@pytest.fixture
def settings(tmp_path):
    return HostSettings(state_path=str(tmp_path / 'state'), instances_path=str(tmp_path / 'inst'))


@pytest.fixture
def catalog(tmp_path):
    return image_catalog(tmp_path)
