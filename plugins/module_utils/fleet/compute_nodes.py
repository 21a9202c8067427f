# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compute node and service rows: the host states a scheduler reads, and their liveness.

Two ages, kept apart as Nova keeps them:
- the **heartbeat** (`services.last_seen_up`): the last time the host itself reported, by a
  build or a refresh. ComputeFilter judges a host up or down from it with `service_down_time`
  (the host state's `heartbeat` key);
- the **resource data age** (`compute_nodes.updated_at`, the host state's `updated`): when the
  usage was gathered on the host. A row older than the create path's `max_age` is refreshed
  before it is scheduled on (`stale_hosts`); a build writes its host's new state back.

Who writes: `report` (a refresh: hypervisor_info's host state; a build: its host's state after
the build; either carries the host's VXLAN `local_ip`), `heartbeat` (any contact with the
host). Who reads: `host_states` (the scheduler, through `HostStateCache`), `stale_hosts` (the
create path), `vxlan_peers` (the create's VXLAN flooding list).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import json
import time

from ansible_collections.novalite.compute.plugins.module_utils.scheduler.host_state import HostStates

_UTC = datetime.timezone.utc


def iso(stamp):
    """Seconds since the epoch as the host state's ISO 8601 UTC form."""
    if stamp is None:
        return None
    return datetime.datetime.fromtimestamp(stamp, _UTC).strftime('%Y-%m-%dT%H:%M:%SZ')


def epoch(value):
    """A host state's `updated` (ISO 8601 with Z, or seconds) as seconds since the epoch."""
    if value in (None, ''):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    if text.endswith('Z'):
        text = text[:-1] + '+00:00'
    stamp = datetime.datetime.fromisoformat(text)
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=_UTC)
    return stamp.timestamp()


def _upsert_service(db, host, seen, disabled=None, disabled_reason=None):
    db.execute('INSERT INTO services (host, last_seen_up, report_count) VALUES (?, ?, 0) '
               'ON CONFLICT (host) DO NOTHING', (host, seen))
    db.execute('UPDATE services SET last_seen_up = ?, report_count = report_count + 1 '
               'WHERE host = ? AND (last_seen_up IS NULL OR last_seen_up < ?)', (seen, host, seen))
    if disabled is not None:
        db.execute('UPDATE services SET disabled = ?, disabled_reason = ? WHERE host = ?',
                   (1 if disabled else 0, disabled_reason, host))


def heartbeat(db, host, at=None):
    """The host reported (it answered a build or a check): it is up as of `at` (now)."""
    with db.transaction():
        _upsert_service(db, host, time.time() if at is None else at)


def report(db, host_state, heartbeat_at=None):
    """Write a host state gathered on its host (hypervisor_info's, or a build's): the
    compute node row (its version grows) and the service's heartbeat and disabled flag.
    A state gathered before the row's is not written over it. Returns the row's version."""
    host = host_state['host']
    updated = epoch(host_state.get('updated')) or time.time()
    seen = updated if heartbeat_at is None else heartbeat_at
    state = dict(host_state)
    with db.transaction():
        _upsert_service(db, host, seen, bool(state.get('service_disabled')),
                        state.get('service_disabled_reason'))
        current = db.row('SELECT version, updated_at FROM compute_nodes WHERE host = ?', (host,))
        if current and current['updated_at'] > updated:
            # Gathered before the row's data (another controller's report came first): the
            # newer data stays; the host still answered, so its heartbeat moved.
            return int(current['version'])
        version = int(current['version'] if current else 0) + 1
        values = (state.get('nodename') or host, int(state['vcpus_total']), int(state['vcpus_used']),
                  int(state['memory_mb_total']), int(state['memory_mb_used']),
                  int(state['disk_gb_total']), int(state['disk_gb_used']),
                  int(state.get('num_instances') or 0), json.dumps(state, sort_keys=True),
                  version, updated, state.get('local_ip') or None)
        if version == 1:
            db.execute('INSERT INTO compute_nodes (hypervisor_hostname, vcpus, vcpus_used, memory_mb, '
                       'memory_mb_used, local_gb, local_gb_used, running_vms, host_state, version, '
                       'updated_at, local_ip, host) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
                       values + (host,))
        else:
            db.execute('UPDATE compute_nodes SET hypervisor_hostname = ?, vcpus = ?, vcpus_used = ?, '
                       'memory_mb = ?, memory_mb_used = ?, local_gb = ?, local_gb_used = ?, '
                       'running_vms = ?, host_state = ?, version = ?, updated_at = ?, local_ip = ? '
                       'WHERE host = ?', values + (host,))
    return version


def set_service(db, host, disabled=None, disabled_reason=None, forced_down=None):
    """The operator's switches (Nova's os-services): disabled with a reason, forced_down."""
    with db.transaction():
        db.execute('INSERT INTO services (host) VALUES (?) ON CONFLICT (host) DO NOTHING', (host,))
        if disabled is not None:
            db.execute('UPDATE services SET disabled = ?, disabled_reason = ? WHERE host = ?',
                       (1 if disabled else 0, disabled_reason, host))
        if forced_down is not None:
            db.execute('UPDATE services SET forced_down = ? WHERE host = ?',
                       (1 if forced_down else 0, host))


def versions(db, hosts=None):
    """{host: version} of the compute node rows (of `hosts`, or all)."""
    rows = db.rows('SELECT host, version FROM compute_nodes')
    wanted = None if hosts is None else set(hosts)
    return dict((row['host'], int(row['version'])) for row in rows
                if wanted is None or row['host'] in wanted)


def vxlan_peers(db, hosts):
    """The distinct VXLAN addresses (`local_ip`) of the rows of `hosts`, sorted: the flooding
    list of a VXLAN network, the same for every host (each leaves its own out,
    compute/segments.py). Only the hosts asked for: a row outlives its host's removal from the
    inventory. A row without an address adds none (its host has none, or has not reported
    since schema version 4; that migration makes every row stale, so it reports before it is
    next scheduled on)."""
    wanted = set(hosts)
    return sorted(set(row['local_ip'] for row in db.rows(
        'SELECT host, local_ip FROM compute_nodes WHERE local_ip IS NOT NULL')
        if row['host'] in wanted))


def stale_hosts(db, hosts, max_age, now=None, heartbeat_max_age=None):
    """The hosts of `hosts` with no compute node row, one gathered more than `max_age`
    seconds ago (max_age 0: every host), or, with `heartbeat_max_age`, a heartbeat older than
    that (a host nobody heard from lately must report before the scheduler would take it as
    down), in the order given."""
    now = time.time() if now is None else now
    if max_age <= 0:
        return list(hosts)
    rows = dict((row['host'], row) for row in db.rows(
        'SELECT c.host, c.updated_at, s.last_seen_up FROM compute_nodes c '
        'JOIN services s ON s.host = c.host'))

    def stale(host):
        row = rows.get(host)
        if row is None or now - row['updated_at'] > max_age:
            return True
        return heartbeat_max_age is not None and (
            row['last_seen_up'] is None or now - row['last_seen_up'] > heartbeat_max_age)
    return [host for host in hosts if stale(host)]


def _row_state(row):
    """The host state of a row, with the service's liveness: `heartbeat` (the last report),
    `forced_down`, and the operator's disabled flag."""
    state = json.loads(row['host_state'])
    state['updated'] = iso(row['updated_at'])
    state['heartbeat'] = iso(row['last_seen_up'])
    state['forced_down'] = bool(row['forced_down'])
    state['service_disabled'] = bool(row['disabled'])
    state['service_disabled_reason'] = row['disabled_reason']
    return state


_STATE_QUERY = ('SELECT c.host, c.version, c.host_state, c.updated_at, s.last_seen_up, '
                's.forced_down, s.disabled, s.disabled_reason FROM compute_nodes c '
                'JOIN services s ON s.host = c.host')


def host_states(db, hosts=None):
    """Host-state dicts of the rows (of `hosts`, or all), sorted by host."""
    wanted = None if hosts is None else set(hosts)
    return [_row_state(row) for row in db.rows(_STATE_QUERY + ' ORDER BY c.host')
            if wanted is None or row['host'] in wanted]


class HostStateCache(object):
    """Loaded HostStates kept while the rows do not change (Nova's HostManager keeps its host
    states between requests). The key is every row's (host, version) plus the services'
    liveness: a build's write-back or a refresh changes a version, a heartbeat the liveness;
    only then are the rows read and parsed again, and then only the changed ones."""

    def __init__(self):
        self.key = None
        self.loaded = None
        self._parsed = {}

    def get(self, db, hosts=None):
        """HostStates of the rows (of `hosts`, or all), reused when nothing changed."""
        wanted = None if hosts is None else set(hosts)
        heads = [row for row in db.rows(
            'SELECT c.host, c.version, s.last_seen_up, s.forced_down, s.disabled, '
            's.disabled_reason FROM compute_nodes c JOIN services s ON s.host = c.host '
            'ORDER BY c.host') if wanted is None or row['host'] in wanted]
        key = tuple((r['host'], r['version'], r['last_seen_up'], r['forced_down'], r['disabled'],
                     r['disabled_reason']) for r in heads)
        if key == self.key:
            return self.loaded
        changed = [r['host'] for r in heads
                   if self._parsed.get(r['host'], (None,))[0] != r['version']]
        if changed:
            for row in db.rows(_STATE_QUERY + ' WHERE c.host IN (%s)' % ', '.join('?' * len(changed)),
                               tuple(changed)):
                self._parsed[row['host']] = (row['version'], _row_state(row))
        states = []
        for head in heads:
            state = dict(self._parsed[head['host']][1])
            state['heartbeat'] = iso(head['last_seen_up'])
            state['forced_down'] = bool(head['forced_down'])
            state['service_disabled'] = bool(head['disabled'])
            state['service_disabled_reason'] = head['disabled_reason']
            states.append(state)
        self.loaded = HostStates(states)
        self.key = key
        return self.loaded
