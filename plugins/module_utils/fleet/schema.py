# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet database's tables, in Nova's terms, and their versioned migrations.

`MIGRATIONS` is append-only: version N's statements take a database from N-1 to N. `upgrade`
applies the missing ones, each in its own transaction together with its row in
`schema_migrations`, so two controllers upgrading at once apply each version once (SQLite's
writer lock, PostgreSQL's primary key on the version). A database newer than this code is
refused rather than written by code that does not know its tables.

Times are seconds since the epoch (float). JSON columns hold what Nova keeps as JSON blobs.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible_collections.novalite.compute.plugins.module_utils.fleet.db import (
    Database, FleetDatabaseError, UniqueViolation)

_V1 = [
    # nova.services: the compute service of each host. last_seen_up is the heartbeat: the
    # last time the host itself reported (a build, a refresh), whatever its resource data.
    """CREATE TABLE services (
        host TEXT PRIMARY KEY,
        binary_name TEXT NOT NULL DEFAULT 'nova-compute',
        disabled INTEGER NOT NULL DEFAULT 0,
        disabled_reason TEXT,
        forced_down INTEGER NOT NULL DEFAULT 0,
        last_seen_up {float},
        report_count {bigint} NOT NULL DEFAULT 0)""",
    # nova.compute_nodes: the host state the scheduler reads. `host_state` is the whole
    # hypervisor_info dict (JSON); the usage columns repeat it for queries and operators.
    # `version` grows on every write: the scheduler's cache key. `updated_at` is when the
    # resource data was gathered on the host (its age decides a refresh, not liveness).
    """CREATE TABLE compute_nodes (
        host TEXT PRIMARY KEY REFERENCES services(host) ON DELETE CASCADE,
        hypervisor_hostname TEXT NOT NULL,
        vcpus INTEGER NOT NULL, vcpus_used INTEGER NOT NULL,
        memory_mb INTEGER NOT NULL, memory_mb_used INTEGER NOT NULL,
        local_gb INTEGER NOT NULL, local_gb_used INTEGER NOT NULL,
        running_vms INTEGER NOT NULL,
        host_state TEXT NOT NULL,
        version {bigint} NOT NULL,
        updated_at {float} NOT NULL)""",
    # nova.instances (cell database): one row per server, with its host and states, and the
    # flavor's amounts that quotas count (Nova counts instances, cores and ram from here).
    """CREATE TABLE instances (
        uuid TEXT PRIMARY KEY,
        display_name TEXT,
        project_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        host TEXT,
        node TEXT,
        vm_state TEXT NOT NULL,
        task_state TEXT,
        vcpus INTEGER NOT NULL DEFAULT 0,
        memory_mb INTEGER NOT NULL DEFAULT 0,
        root_gb INTEGER NOT NULL DEFAULT 0,
        ephemeral_gb INTEGER NOT NULL DEFAULT 0,
        swap INTEGER NOT NULL DEFAULT 0,
        flavor TEXT,
        reservation_id TEXT,
        created_at {float},
        updated_at {float})""",
    'CREATE INDEX instances_project_user_idx ON instances (project_id, user_id)',
    'CREATE INDEX instances_host_idx ON instances (host)',
    # nova.instance_group_member (API database).
    """CREATE TABLE instance_group_member (
        group_uuid TEXT NOT NULL,
        instance_uuid TEXT NOT NULL,
        project_id TEXT,
        user_id TEXT,
        created_at {float},
        PRIMARY KEY (group_uuid, instance_uuid))""",
    'CREATE INDEX instance_group_member_instance_idx ON instance_group_member (instance_uuid)',
    # Neutron's ports: a fixed IP and a MAC are each unique on their network. A port learned
    # from a host's servers table has no MAC (the table carries addresses only): NULL.
    """CREATE TABLE ports (
        id TEXT PRIMARY KEY,
        network_id TEXT NOT NULL,
        network_name TEXT,
        instance_uuid TEXT,
        host TEXT,
        mac_address TEXT,
        fixed_ip TEXT NOT NULL,
        created_at {float},
        CONSTRAINT ports_network_ip_unique UNIQUE (network_id, fixed_ip),
        CONSTRAINT ports_network_mac_unique UNIQUE (network_id, mac_address))""",
    'CREATE INDEX ports_instance_idx ON ports (instance_uuid)',
    # nova.quota_usages and nova.reservations (before Pike): in_use is recounted from the
    # instances in the transaction that reserves; user_id '' is the project's row.
    """CREATE TABLE quota_usages (
        id {serial},
        project_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        resource TEXT NOT NULL,
        in_use INTEGER NOT NULL DEFAULT 0,
        reserved INTEGER NOT NULL DEFAULT 0,
        updated_at {float},
        CONSTRAINT quota_usages_unique UNIQUE (project_id, user_id, resource))""",
    """CREATE TABLE reservations (
        uuid TEXT NOT NULL,
        project_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        resource TEXT NOT NULL,
        delta INTEGER NOT NULL,
        expire {float} NOT NULL,
        created_at {float},
        PRIMARY KEY (uuid, resource))""",
    'CREATE INDEX reservations_project_idx ON reservations (project_id, user_id)',
    # nova.build_requests (API database): an instance accepted by the API and not yet built.
    """CREATE TABLE build_requests (
        instance_uuid TEXT PRIMARY KEY,
        project_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        reservation_id TEXT,
        display_name TEXT,
        request_spec TEXT,
        created_at {float})""",
    # Server names held where osapi_compute_unique_server_name_scope asks for it; scope is
    # the project id ('project') or '' ('global').
    """CREATE TABLE instance_names (
        scope TEXT NOT NULL,
        name TEXT NOT NULL,
        instance_uuid TEXT NOT NULL,
        PRIMARY KEY (scope, name))""",
]

_V2 = [
    # Who is building each build request and where, so that the build request of a run that
    # died (a controller killed mid-create) is found and given up by the next refresh instead
    # of holding its quota and addresses until its reservation expires. `owner` is the run
    # (controller host, pid, process start time); `hosts` the instance's selected host and
    # alternates (JSON); `expire` when any controller may give it up.
    'ALTER TABLE build_requests ADD COLUMN owner TEXT',
    'ALTER TABLE build_requests ADD COLUMN hosts TEXT',
    'ALTER TABLE build_requests ADD COLUMN expire {float}',
]

_V3 = [
    # Neutron's securitygroupportbindings: the security groups of each port, so that a remote
    # group's members (the fixed IPs of its ports) and the hosts whose rulesets reference it
    # are read here, not gathered from every hypervisor.
    """CREATE TABLE securitygroupportbindings (
        port_id TEXT NOT NULL REFERENCES ports(id) ON DELETE CASCADE,
        security_group TEXT NOT NULL,
        PRIMARY KEY (port_id, security_group))""",
    'CREATE INDEX securitygroupportbindings_group_idx ON securitygroupportbindings (security_group)',
    # The existing ports have no bindings yet: every host's resource data is made old, so each
    # host reports its servers (and their groups) before it is next scheduled on. Liveness
    # (services.last_seen_up) is untouched.
    'UPDATE compute_nodes SET updated_at = 0',
]

_V4 = [
    # Each host's VXLAN address (Neutron's [vxlan] local_ip, which its agent reports as
    # tunneling_ip with its state), from the host state it reports: a create reads the flooding
    # list of a VXLAN network from here, not from every inventory host's variables. NULL: the
    # host has none.
    'ALTER TABLE compute_nodes ADD COLUMN local_ip TEXT',
    # The existing rows have no address yet: every host's resource data is made old, so each
    # host reports (its address with it) before it is next scheduled on. Liveness
    # (services.last_seen_up) is untouched.
    'UPDATE compute_nodes SET updated_at = 0',
]

# version -> statements; append, never edit a released version.
MIGRATIONS = [(1, _V1), (2, _V2), (3, _V3), (4, _V4)]
LATEST = MIGRATIONS[-1][0]


def current_version(db):
    """The schema version of the database, 0 when it has no schema yet."""
    if not _has_migrations_table(db):
        return 0
    return int(db.scalar('SELECT MAX(version) FROM schema_migrations') or 0)


def _has_migrations_table(db):
    if db.dialect == 'sqlite':
        sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    else:
        sql = "SELECT 1 FROM information_schema.tables WHERE table_name = 'schema_migrations' " \
              "AND table_schema = current_schema()"
    return db.scalar(sql) is not None


def upgrade(db, target=None):
    """Apply the migrations up to `target` (the latest by default); returns the versions
    applied. Safe to run from several controllers at once."""
    target = LATEST if target is None else target
    found = current_version(db)
    if found > LATEST:
        raise FleetDatabaseError('fleet database: schema version %d is newer than this '
                                 'collection knows (%d); upgrade the collection' % (found, LATEST))
    if not _has_migrations_table(db):
        try:
            with db.transaction():
                db.execute('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, '
                           'applied_at {float} NOT NULL)')
        except Exception:
            # Another controller created it first (PostgreSQL: a duplicate table error).
            if not _has_migrations_table(db):
                raise
    applied = []
    for version, statements in MIGRATIONS:
        if version > target:
            break
        try:
            with db.transaction():
                # Read again inside the write transaction: another controller may have won.
                if db.scalar('SELECT 1 FROM schema_migrations WHERE version = ?', (version,)):
                    continue
                db.execute('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)',
                           (version, time.time()))
                for statement in statements:
                    db.execute(statement)
        except UniqueViolation:
            continue
        applied.append(version)
    return applied


def connect(url, migrate=True):
    """A Database at `url` whose schema is the latest (migrated now unless `migrate` is
    False, in which case an out-of-date schema is refused)."""
    db = Database(url)
    try:
        if migrate:
            upgrade(db)
        elif current_version(db) != LATEST:
            raise FleetDatabaseError('fleet database: schema version %d, this collection needs %d'
                                     % (current_version(db), LATEST))
    except Exception:
        db.close()
        raise
    return db
