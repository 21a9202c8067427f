# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the fleet database tests, loaded for every test by tests/conftest.py.

`fleet_url` and `fleet` run a test twice: on SQLite (a file in tmp_path) and on a real
PostgreSQL (a throwaway cluster started once for the session, a new schema per test)."""

import pytest

from postgresql import ThrowawayCluster


@pytest.fixture(scope='session')
def postgres_cluster():
    cluster = ThrowawayCluster()
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture(params=['sqlite', 'postgresql'])
def fleet_url(request, tmp_path):
    if request.param == 'sqlite':
        return 'sqlite:///%s' % (tmp_path / 'fleet.sqlite')
    return request.getfixturevalue('postgres_cluster').create_database()


@pytest.fixture
def fleet(fleet_url):
    # Imported here: this plugin loads before the collection's import path is set up.
    from ansible_collections.novalite.compute.plugins.module_utils.fleet import schema
    db = schema.connect(fleet_url)
    yield db
    db.close()
