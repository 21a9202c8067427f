# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Quota usages and reservations in the fleet database: count, check and reserve in one
transaction.

Nova counts usage from its instances since Pike and rechecks after creating them, because two
API workers can both pass the first check. Here the count and the reservation are one
transaction that holds the project's `quota_usages` row (PostgreSQL: `SELECT ... FOR UPDATE`;
SQLite: the writer lock), so a second request of the project counts after the first has
reserved: there is nothing left for a recheck to catch. The limits and the messages are
api/quota.py's.

Usage = the project's (and user's) live instances + the unexpired reservations. A reservation
is per instance (its `uuid` is the instance uuid): when the instance's row is written after
its build (instances.record_build) the reservation goes in the same transaction, and when the
instance cannot be built it is released (instances.forget), so usage never counts an
instance twice nor loses one. An abandoned reservation (a controller that died) expires after
`RESERVATION_EXPIRE` seconds, Nova's [quota] reservation_expire.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible_collections.novalite.compute.plugins.module_utils.api import quota
from ansible_collections.novalite.compute.plugins.module_utils.errors import QuotaExceeded

RESERVATION_EXPIRE = 86400
PROJECT_ROW = ''  # quota_usages.user_id of the project's own rows
_LIVE = "vm_state <> 'deleted'"


def _ensure_usage_rows(db, project_id, user_id):
    for uid in (PROJECT_ROW, user_id):
        for res in quota.COUNTED:
            db.execute('INSERT INTO quota_usages (project_id, user_id, resource, in_use, reserved, '
                       'updated_at) VALUES (?, ?, ?, 0, 0, ?) '
                       'ON CONFLICT (project_id, user_id, resource) DO NOTHING',
                       (project_id, uid, res, time.time()))


def _excluded(column, uuids):
    """(' AND <column> NOT IN (?, ...)', params) or ('', ())."""
    if not uuids:
        return '', ()
    return ' AND %s NOT IN (%s)' % (column, ', '.join('?' * len(uuids))), tuple(uuids)


def _counted(db, project_id, user_id, exclude):
    """{'in_use': {scope: totals}, 'reserved': {scope: totals}} for scope project and user."""
    clause, params = _excluded('uuid', exclude)
    result = {'in_use': {}, 'reserved': {}}
    for scope, user_clause, user_params in (('project', '', ()), ('user', ' AND user_id = ?', (user_id,))):
        row = db.row('SELECT COUNT(*) AS instances, COALESCE(SUM(vcpus), 0) AS cores, '
                     'COALESCE(SUM(memory_mb), 0) AS ram FROM instances WHERE project_id = ? AND '
                     + _LIVE + user_clause + clause,
                     (project_id,) + user_params + params)
        result['in_use'][scope] = dict((res, int(row[res])) for res in quota.COUNTED)
        reserved = dict((res, 0) for res in quota.COUNTED)
        for item in db.rows('SELECT resource, COALESCE(SUM(delta), 0) AS total FROM reservations '
                            'WHERE project_id = ? AND expire > ?' + user_clause + clause
                            + ' GROUP BY resource', (project_id, time.time()) + user_params + params):
            reserved[item['resource']] = int(item['total'])
        result['reserved'][scope] = reserved
    return result


def usage(db, project_id, user_id, exclude=()):
    """{'project': {instances, cores, ram}, 'user': {...}}: live instances plus reservations."""
    return usage_from(_counted(db, project_id, user_id, exclude))


def _store_usages(db, project_id, user_id, counted):
    now = time.time()
    for scope, uid in (('project', PROJECT_ROW), ('user', user_id)):
        for res in quota.COUNTED:
            db.execute('UPDATE quota_usages SET in_use = ?, reserved = ?, updated_at = ? '
                       'WHERE project_id = ? AND user_id = ? AND resource = ?',
                       (counted['in_use'][scope][res], counted['reserved'][scope][res], now,
                        project_id, uid, res))


def _group_members(db, group_uuid, user_id, exclude):
    clause, params = _excluded('instance_uuid', exclude)
    return int(db.scalar('SELECT COUNT(*) FROM instance_group_member WHERE group_uuid = ? AND '
                         'user_id = ?' + clause, (group_uuid, user_id) + params))


def reserve(db, request_spec, quotas, expire=RESERVATION_EXPIRE):
    """Nova's check_num_instances_quota and the reservation of what it allows, atomically.

    `request_spec` needs project_id, user_id, flavor, num_instances (max_count),
    min_num_instances and instance_uuids; its instance_group, when set, is checked against
    server_group_members and its new members are recorded. Returns quota_check's result:
    {num_instances, limits, usage, instance_uuids (trimmed to the allowed count)}. Raises
    QuotaExceeded (nothing reserved). Reserving again for the same instance uuids replaces
    their reservations (a retried run)."""
    spec = request_spec
    project_id, user_id = spec['project_id'], spec['user_id']
    project_limits, user_limits = quota.resolve_limits(quotas, project_id, user_id)
    limits = {'project': project_limits, 'user': user_limits}
    uuids = list(spec.get('instance_uuids') or [])
    flavor = spec['flavor']
    with db.transaction():
        _ensure_usage_rows(db, project_id, user_id)
        # The project's rows are the lock every reservation of the project queues on.
        db.lock_rows('SELECT id FROM quota_usages WHERE project_id = ? AND user_id = ?',
                     (project_id, PROJECT_ROW))
        db.execute('DELETE FROM reservations WHERE expire <= ?', (time.time(),))
        counted = _counted(db, project_id, user_id, uuids)
        used = usage_from(counted)
        num = quota.check_num_instances(flavor, spec.get('min_num_instances', 1),
                                        spec['num_instances'], limits, used)
        group = spec.get('instance_group')
        if group:
            members = _group_members(db, group['uuid'], user_id, uuids)
            limit = user_limits['server_group_members']
            if limit != quota.UNLIMITED and members + num > limit:
                raise QuotaExceeded('Quota exceeded, too many servers in group',
                                    ['server_group_members'])
        kept = uuids[:num]
        _reserve_instances(db, spec, kept, expire)
        if group:
            add_group_members(db, group['uuid'], kept, project_id, user_id)
        _store_usages(db, project_id, user_id, _counted(db, project_id, user_id, ()))
    return {'num_instances': num, 'limits': limits, 'usage': used, 'instance_uuids': kept}


def check_upsize(db, project_id, user_id, old_flavor, new_flavor, quotas):
    """api/quota.py check_upsize against the project's and user's usage in the database
    (the resized server counted at its old flavor). Reserves nothing: Nova's resize claims
    its quota with the instance's new flavor once it is recorded. Returns {limits, usage,
    deltas}; raises QuotaExceeded."""
    project_limits, user_limits = quota.resolve_limits(quotas, project_id, user_id)
    limits = {'project': project_limits, 'user': user_limits}
    used = usage(db, project_id, user_id)
    deltas = quota.check_upsize(old_flavor, new_flavor, limits, used)
    return {'limits': limits, 'usage': used, 'deltas': deltas}


def usage_from(counted):
    """The usage quotas check: in use plus reserved, per scope."""
    return dict((scope, dict((res, counted['in_use'][scope][res] + counted['reserved'][scope][res])
                             for res in quota.COUNTED)) for scope in ('project', 'user'))


def _reserve_instances(db, spec, uuids, expire):
    deltas = {'instances': 1, 'cores': int(spec['flavor'].get('vcpus') or 0),
              'ram': int(spec['flavor'].get('memory_mb') or 0)}
    now = time.time()
    for instance_uuid in uuids:
        db.execute('DELETE FROM reservations WHERE uuid = ?', (instance_uuid,))
        for res in quota.COUNTED:
            db.execute('INSERT INTO reservations (uuid, project_id, user_id, resource, delta, '
                       'expire, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
                       (instance_uuid, spec['project_id'], spec['user_id'], res, deltas[res],
                        now + expire, now))


def add_group_members(db, group_uuid, instance_uuids, project_id, user_id):
    for instance_uuid in instance_uuids:
        db.execute('INSERT INTO instance_group_member (group_uuid, instance_uuid, project_id, '
                   'user_id, created_at) VALUES (?, ?, ?, ?, ?) '
                   'ON CONFLICT (group_uuid, instance_uuid) DO NOTHING',
                   (group_uuid, instance_uuid, project_id, user_id, time.time()))


def release(db, instance_uuids):
    """Drop the reservations of these instances (built and recorded, or given up)."""
    with db.transaction():
        for instance_uuid in instance_uuids:
            db.execute('DELETE FROM reservations WHERE uuid = ?', (instance_uuid,))
