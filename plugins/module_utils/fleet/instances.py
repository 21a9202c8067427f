# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Instances, build requests, server group members and unique names in the fleet database.

Who writes: the conductor after each build round (`record_build` for a built server, `forget`
for an instance no host could build), a refresh (`sync_host`: a host's servers as its
hypervisor reported them; `give_up_abandoned`: what a dead run's build requests held), the API
step (`add_build_requests`, `set_build_hosts`, `claim_name`). Who reads: the
quota count (fleet/quotas.py), the server group bookkeeping (`populate_group`), listings
(`servers`).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import time

from ansible_collections.novalite.compute.plugins.module_utils.errors import ValidationError
from ansible_collections.novalite.compute.plugins.module_utils.fleet import ipam, quotas, security_groups
from ansible_collections.novalite.compute.plugins.module_utils.fleet.db import UniqueViolation

# Nova's osapi_compute_unique_server_name_scope: '' (no check), 'project', 'global'.
NAME_SCOPES = ('', 'project', 'global')
# Seconds after which any controller gives up a build request nobody finished: a run on
# another controller whose process this one cannot see (fleet/runs.py). An hour, not the
# reservation's day: a build longer than that is recorded again by its own run or the next
# refresh of its host.
BUILD_REQUEST_EXPIRE = 3600


def _flavor(server):
    return server.get('flavor') or {}


def _group_uuid(server):
    group = server.get('instance_group')
    return group.get('uuid') if isinstance(group, dict) else group


def _upsert(db, server, host):
    flavor = _flavor(server)
    now = time.time()
    values = (server.get('name'), server['project_id'], server['user_id'], host,
              server.get('node') or host, server.get('vm_state') or 'active', server.get('task_state'),
              int(flavor.get('vcpus') or 0), int(flavor.get('memory_mb') or 0),
              int(flavor.get('root_gb') or 0), int(flavor.get('ephemeral_gb') or 0),
              int(flavor.get('swap') or 0), json.dumps(flavor, sort_keys=True),
              server.get('reservation_id'), now)
    db.execute('DELETE FROM instances WHERE uuid = ?', (server['uuid'],))
    db.execute('INSERT INTO instances (display_name, project_id, user_id, host, node, vm_state, '
               'task_state, vcpus, memory_mb, root_gb, ephemeral_gb, swap, flavor, reservation_id, '
               'updated_at, created_at, uuid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
               values + (server.get('created_at') or now, server['uuid']))
    group = _group_uuid(server)
    if group:
        quotas.add_group_members(db, group, [server['uuid']], server['project_id'], server['user_id'])


def record_build(db, server, host=None):
    """A server built on its host (its record, server_record.py's shape): its instance row,
    its ports as the host bound them, its group membership; its quota reservation and build
    request end in the same transaction, so usage counts it exactly once. Returns the port
    conflicts (ports another instance holds in the table; normally none)."""
    host = host or server.get('host')
    conflicts = []
    with db.transaction():
        _upsert(db, server, host)
        db.execute('DELETE FROM reservations WHERE uuid = ?', (server['uuid'],))
        db.execute('DELETE FROM build_requests WHERE instance_uuid = ?', (server['uuid'],))
        db.execute('DELETE FROM ports WHERE instance_uuid = ?', (server['uuid'],))
        for port in server.get('ports') or []:
            try:
                with db.savepoint():
                    ipam._insert(db, dict(port, instance_uuid=server['uuid'], host=host,
                                          mac=ipam.normalize_mac(port['mac']) if port.get('mac') else None))
            except UniqueViolation:
                conflicts.append(port)
        security_groups.bind_instance(db, server['uuid'], server.get('security_groups'))
    return conflicts


def forget(db, instance_uuid):
    """An instance that will not exist (no host could build it, or it was deleted): its
    reservation, build request, ports, group membership, name and row go."""
    with db.transaction():
        for table, column in (('reservations', 'uuid'), ('build_requests', 'instance_uuid'),
                              ('ports', 'instance_uuid'), ('instance_group_member', 'instance_uuid'),
                              ('instance_names', 'instance_uuid'), ('instances', 'uuid')):
            db.execute('DELETE FROM %s WHERE %s = ?' % (table, column), (instance_uuid,))


def sync_host(db, host, servers, networks=None, as_of=None):
    """Make the instance rows of `host` what it reported: `servers` are server records
    (server_info's, with ports) or hypervisor_servers dicts (`id`, `addresses`; their ports
    then come from the addresses and `networks`, the catalog, with no MAC known). Instances
    the host no longer has are removed with their ports; instances still being built
    elsewhere are untouched.

    `as_of` (seconds since the epoch) is when the host gathered them: rows written after that
    (a build another controller recorded meanwhile) are newer than the report and stay."""
    reported = set()
    as_of = time.time() if as_of is None else as_of
    with db.transaction():
        for server in servers:
            server = _as_record(server, networks)
            reported.add(server['uuid'])
            if server.get('vm_state') == 'deleted':
                continue
            _upsert(db, server, host)
            # The server exists on its host: its reservation and build request end, as in
            # record_build.
            db.execute('DELETE FROM reservations WHERE uuid = ?', (server['uuid'],))
            db.execute('DELETE FROM build_requests WHERE instance_uuid = ?', (server['uuid'],))
        for row in db.rows('SELECT uuid FROM instances WHERE host = ? AND updated_at < ?', (host, as_of)):
            if row['uuid'] not in reported:
                forget(db, row['uuid'])
        ports = [dict(port, instance_uuid=server_uuid)
                 for server_uuid, port in _reported_ports(db, servers, networks)]
        conflicts = ipam.replace_host_ports(db, host, ports, as_of)
        for server in servers:
            if server.get('vm_state') != 'deleted':
                security_groups.bind_instance(db, _as_record(server, networks)['uuid'],
                                              server.get('security_groups'))
        return conflicts


def _as_record(server, networks):
    if 'uuid' in server:
        return server
    record = dict(server, uuid=server['id'])
    return record


def _reported_ports(db, servers, networks):
    by_name = dict((net.get('name'), net.get('id')) for net in networks or [])
    for server in servers:
        if server.get('vm_state') == 'deleted':
            continue
        if 'uuid' in server:
            for port in server.get('ports') or []:
                yield server['uuid'], port
            continue
        for net_name, addresses in (server.get('addresses') or {}).items():
            # A network the catalog does not name: the one the instance's port was allocated on.
            network_id = by_name.get(net_name) or db.scalar(
                'SELECT network_id FROM ports WHERE instance_uuid = ? AND network_name = ?',
                (server['id'], net_name))
            if not network_id:
                continue
            for address in addresses:
                mac = address.get('OS-EXT-IPS-MAC:mac_addr') or address.get('mac')
                if address.get('addr'):
                    yield server['id'], {'id': '%s-%s' % (server['id'], address['addr']),
                                         'network_id': network_id, 'network_name': net_name,
                                         'mac': mac, 'fixed_ip': address['addr']}


def servers(db, project_id=None):
    """Live instances as the quota and listing code reads servers: {id, host, name,
    project_id, user_id, flavor, vm_state, task_state, instance_group}."""
    query = ('SELECT i.uuid, i.host, i.display_name, i.project_id, i.user_id, i.flavor, '
             'i.vm_state, i.task_state, g.group_uuid FROM instances i LEFT JOIN '
             'instance_group_member g ON g.instance_uuid = i.uuid WHERE i.vm_state <> ?')
    params = ('deleted',)
    if project_id is not None:
        query += ' AND i.project_id = ?'
        params += (project_id,)
    return [{'id': row['uuid'], 'host': row['host'], 'name': row['display_name'],
             'project_id': row['project_id'], 'user_id': row['user_id'],
             'flavor': json.loads(row['flavor'] or '{}'), 'vm_state': row['vm_state'],
             'task_state': row['task_state'],
             'instance_group': {'uuid': row['group_uuid']} if row['group_uuid'] else None}
            for row in db.rows(query + ' ORDER BY i.uuid', params)]


def hosts_with_names(db, project_id, names):
    """The hosts of the project's live instances named one of `names` (a by-name lookup asks
    only them)."""
    if not names:
        return []
    marks = ', '.join('?' * len(names))
    return [row['host'] for row in db.rows(
        'SELECT DISTINCT host FROM instances WHERE project_id = ? AND vm_state <> ? AND host IS NOT NULL '
        'AND display_name IN (%s) ORDER BY host' % marks, (project_id, 'deleted') + tuple(names))]


def hosts_with_uuids(db, uuids):
    """The hosts of the live instances whose uuid is one of `uuids`, in any project: a lookup
    by uuid asks them first (the policy on the host decides what the caller may see)."""
    if not uuids:
        return []
    marks = ', '.join('?' * len(uuids))
    return [row['host'] for row in db.rows(
        'SELECT DISTINCT host FROM instances WHERE vm_state <> ? AND host IS NOT NULL '
        'AND uuid IN (%s) ORDER BY host' % marks, ('deleted',) + tuple(uuids))]


def populate_group(db, group):
    """Nova's _populate_group_info from the database: the group's `members` (every member,
    built or being built) and `hosts` (where the built ones are)."""
    if not group:
        return group
    rows = db.rows('SELECT g.instance_uuid, i.host FROM instance_group_member g LEFT JOIN '
                   'instances i ON i.uuid = g.instance_uuid WHERE g.group_uuid = ? '
                   'ORDER BY g.instance_uuid', (group['uuid'],))
    populated = dict(group)
    populated['members'] = [row['instance_uuid'] for row in rows]
    populated['hosts'] = sorted(set(row['host'] for row in rows if row['host']))
    return populated


def add_build_requests(db, request_spec, instances, owner=None, expire=BUILD_REQUEST_EXPIRE):
    """Nova's BuildRequest: each accepted instance, until it is built or given up. `owner`
    is the run building it (runs.owner)."""
    spec = json.dumps(request_spec, sort_keys=True, default=str)
    now = time.time()
    with db.transaction():
        for inst in instances:
            db.execute('DELETE FROM build_requests WHERE instance_uuid = ?', (inst['uuid'],))
            db.execute('INSERT INTO build_requests (instance_uuid, project_id, user_id, '
                       'reservation_id, display_name, request_spec, created_at, owner, expire) '
                       'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
                       (inst['uuid'], request_spec['project_id'], request_spec['user_id'],
                        inst.get('reservation_id'), inst.get('name'), spec, now, owner,
                        now + expire))


def set_build_hosts(db, hosts_by_uuid):
    """Where each build request may be built: its selected host and alternates."""
    with db.transaction():
        for instance_uuid, hosts in hosts_by_uuid.items():
            db.execute('UPDATE build_requests SET hosts = ? WHERE instance_uuid = ?',
                       (json.dumps(list(hosts)), instance_uuid))


def _reported_since(db, hosts, since):
    """Whether every one of `hosts` reported its servers (a refresh or a build) at or after
    `since`: a build request none of them reported is on none of them."""
    for host in hosts:
        updated = db.scalar('SELECT updated_at FROM compute_nodes WHERE host = ?', (host,))
        if updated is None or updated < since:
            return False
    return True


def abandoned_build_requests(db, run_alive, now=None):
    """The instance uuids of build requests no run will finish: expired ones, and those of
    a dead run (`run_alive(owner)` is False) whose hosts all reported since, without the
    instance. A live run's, or another controller's before it expires, are not."""
    now = time.time() if now is None else now
    found = []
    for row in db.rows('SELECT instance_uuid, owner, hosts, created_at, expire FROM build_requests '
                       'ORDER BY instance_uuid'):
        if row['expire'] is not None and row['expire'] <= now:
            found.append(row['instance_uuid'])
        elif run_alive(row['owner']) is False and _reported_since(
                db, json.loads(row['hosts'] or '[]'), row['created_at'] or 0):
            found.append(row['instance_uuid'])
    return found


def give_up_abandoned(db, run_alive, now=None):
    """Forget what abandoned build requests hold (reservation, ports, membership, name,
    row): Nova deletes the build request and the quota follows the instances that exist.
    Returns the instance uuids given up."""
    with db.transaction():
        found = abandoned_build_requests(db, run_alive, now)
        for instance_uuid in found:
            forget(db, instance_uuid)
    return found


def claim_name(db, scope, project_id, name, instance_uuid):
    """Hold `name` for the instance under Nova's osapi_compute_unique_server_name_scope:
    '' holds nothing; 'project' makes names unique in the project, 'global' everywhere.
    Raises ValidationError naming `server.name` when another instance holds it."""
    if scope not in NAME_SCOPES:
        raise ValidationError('unique_server_name_scope', 'must be one of %s'
                              % ', '.join(repr(s) for s in NAME_SCOPES))
    if not scope:
        return
    key = project_id if scope == 'project' else ''
    with db.transaction():
        try:
            with db.savepoint():
                db.execute('INSERT INTO instance_names (scope, name, instance_uuid) VALUES (?, ?, ?)',
                           (key, name, instance_uuid))
        except UniqueViolation:
            holder = db.scalar('SELECT instance_uuid FROM instance_names WHERE scope = ? AND name = ?',
                               (key, name))
            if holder != instance_uuid:
                raise ValidationError('server.name', 'must be unique (%s scope): %r is held by '
                                      'instance %s' % (scope, name, holder))
