# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The compute tests' host: libvirt's test driver with a node of its own, and an image
catalog of real qemu-img images (build_fixtures). A test module with another host defines
its own `host`."""

import pytest

from build_fixtures import image_catalog, open_test_host


@pytest.fixture
def host(tmp_path):
    conn = open_test_host(tmp_path)
    yield conn
    conn.close()


@pytest.fixture
def catalog(tmp_path):
    return image_catalog(tmp_path)
