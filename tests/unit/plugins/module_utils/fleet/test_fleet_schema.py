# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet database's connection layer and migrations, on SQLite and PostgreSQL."""

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.fleet import compute_nodes
from ansible_collections.novalite.compute.plugins.module_utils.fleet import db as fleet_db
from ansible_collections.novalite.compute.plugins.module_utils.fleet import schema

from fleet_fixtures import old_compute_node


def test_a_new_database_is_migrated_to_the_latest_version(fleet_url):
    database = fleet_db.Database(fleet_url)
    try:
        assert schema.current_version(database) == 0
        assert schema.upgrade(database) == [version for version, _s in schema.MIGRATIONS]
        assert schema.current_version(database) == schema.LATEST
        assert schema.upgrade(database) == []
    finally:
        database.close()


def test_a_database_newer_than_the_code_is_refused(fleet):
    fleet.execute('INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)',
                  (schema.LATEST + 1,))
    with pytest.raises(fleet_db.FleetDatabaseError) as err:
        schema.upgrade(fleet)
    assert 'newer than this collection knows' in str(err.value)


def test_connect_without_migrating_refuses_an_old_schema(fleet_url):
    with pytest.raises(fleet_db.FleetDatabaseError) as err:
        schema.connect(fleet_url, migrate=False)
    assert 'schema version 0' in str(err.value)


def test_a_transaction_rolls_back_on_error_and_nested_ones_join(fleet):
    with pytest.raises(RuntimeError):
        with fleet.transaction():
            fleet.execute("INSERT INTO services (host) VALUES ('hv1')")
            with fleet.transaction():
                fleet.execute("INSERT INTO services (host) VALUES ('hv2')")
            raise RuntimeError('undo')
    assert fleet.rows('SELECT host FROM services') == []


def test_a_unique_violation_in_a_savepoint_leaves_the_transaction_usable(fleet):
    with fleet.transaction():
        fleet.execute("INSERT INTO services (host) VALUES ('hv1')")
        with pytest.raises(fleet_db.UniqueViolation):
            with fleet.savepoint():
                fleet.execute("INSERT INTO services (host) VALUES ('hv1')")
        fleet.execute("INSERT INTO services (host) VALUES ('hv2')")
    assert [r['host'] for r in fleet.rows('SELECT host FROM services ORDER BY host')] == ['hv1', 'hv2']


@pytest.mark.parametrize('url, dialect, target', [
    ('sqlite:////var/x/fleet.sqlite', 'sqlite', '/var/x/fleet.sqlite'),
    ('sqlite:///fleet.sqlite', 'sqlite', 'fleet.sqlite'),
    ('/srv/fleet.sqlite', 'sqlite', '/srv/fleet.sqlite'),
    ('postgresql://nova@db/fleet', 'postgresql', 'postgresql://nova@db/fleet'),
    ('postgres://nova@db/fleet', 'postgresql', 'postgres://nova@db/fleet'),
])
def test_parse_url(url, dialect, target):
    assert fleet_db.parse_url(url) == (dialect, target)


@pytest.mark.parametrize('url', ['', None, 'mysql://x/y'])
def test_parse_url_refuses_what_it_cannot_open(url):
    with pytest.raises(fleet_db.FleetDatabaseError) as err:
        fleet_db.parse_url(url)
    assert 'fleet database' in str(err.value)



@pytest.mark.parametrize('url', ['mysql://nova:s3cret@db/fleet', 'mysql://nova:s3cret@a@db/fleet',
                                 'odbc://:s3cret@db/fleet'])
def test_a_refused_url_never_shows_its_password(url):
    with pytest.raises(fleet_db.FleetDatabaseError) as err:
        fleet_db.parse_url(url)
    assert 's3cret' not in str(err.value) and '***' in str(err.value)


@pytest.mark.parametrize('url, shown', [
    ('postgresql://nova:s3cret@db:5432/fleet', 'postgresql://nova:***@db:5432/fleet'),
    ('postgresql://nova@db/fleet', 'postgresql://nova@db/fleet'),
    ('/srv/fleet.sqlite', '/srv/fleet.sqlite'),
])
def test_redacted(url, shown):
    assert fleet_db.redacted(url) == shown

def test_a_sqlite_file_in_a_missing_directory_is_refused_with_the_path(tmp_path):
    with pytest.raises(fleet_db.FleetDatabaseError) as err:
        fleet_db.Database(str(tmp_path / 'nope' / 'fleet.sqlite'))
    assert 'does not exist' in str(err.value)


def test_version_4_makes_every_row_report_its_vxlan_address_before_it_is_scheduled_on(fleet_url):
    """Rows written before version 4 have no address: the migration makes them stale, so each
    host reports (with its address) before a create schedules on it; until then it is no
    peer."""
    database = fleet_db.Database(fleet_url)
    try:
        assert schema.upgrade(database, target=3) == [1, 2, 3]
        now = 1796000000.0
        for host in ('hv1', 'hv2'):
            old_compute_node(database, host, now)
        assert compute_nodes.stale_hosts(database, ['hv1', 'hv2'], 300, now=now) == []
        assert schema.upgrade(database) == [4]
        assert compute_nodes.stale_hosts(database, ['hv1', 'hv2'], 300, now=now) == ['hv1', 'hv2']
        assert compute_nodes.vxlan_peers(database, ['hv1', 'hv2']) == []
        # Liveness is untouched: the hosts are still up while they report.
        assert [row['last_seen_up'] for row in database.rows('SELECT last_seen_up FROM services')] == [now, now]
        compute_nodes.report(database, {
            'host': 'hv1', 'vcpus_total': 8, 'vcpus_used': 0, 'memory_mb_total': 4096, 'memory_mb_used': 0,
            'disk_gb_total': 50, 'disk_gb_used': 0, 'local_ip': '10.81.0.11',
            'updated': compute_nodes.iso(now + 1)})
        assert compute_nodes.stale_hosts(database, ['hv1', 'hv2'], 300, now=now + 1) == ['hv2']
        assert compute_nodes.vxlan_peers(database, ['hv1', 'hv2']) == ['10.81.0.11']
    finally:
        database.close()
