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


def old_compute_node(db, host, updated_at):
    """A service and compute node row as schema versions 1 to 3 hold them (the code's own
    `compute_nodes.report` writes the latest version's columns), for the migrations' tests."""
    with db.transaction():
        db.execute('INSERT INTO services (host, last_seen_up) VALUES (?, ?)', (host, updated_at))
        db.execute('INSERT INTO compute_nodes (host, hypervisor_hostname, vcpus, vcpus_used, memory_mb, '
                   'memory_mb_used, local_gb, local_gb_used, running_vms, host_state, version, updated_at) '
                   'VALUES (?, ?, 8, 0, 4096, 0, 50, 0, 0, ?, 1, ?)', (host, host, '{}', updated_at))
