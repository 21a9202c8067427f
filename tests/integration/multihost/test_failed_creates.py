# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Creates that fail after scheduling hold nothing in the fleet database afterwards: a build
that failed on every alternate gives its reservation, build request, ports and rows back at
the end of its run; a run killed after scheduling is cleaned by the next refresh of its hosts
(refresh_hypervisors.yml), not a day later when its reservation would expire."""
import os
import shutil
import signal
import sqlite3
import subprocess
import time

import pytest

from multihost.cross_host import (
    NO_DEBRIS, PACK_ONLY, _command, _env, debris, delete_servers, host_contents, nano_capacity,
    run, server_request, servers, start_libvirtd, stop_libvirtd, unique_name, write_inventory,
)
from conftest import REPO

pytestmark = pytest.mark.integration

QUOTAS = {'projects': {'demo': {'instances': 3}}}


def rows(inventory_dir, query, params=()):
    with sqlite3.connect(str(inventory_dir / '.fleet.sqlite')) as db:
        return db.execute(query, params).fetchall()


def held(inventory_dir, uuids):
    """What the fleet database holds for these instances: {table: count}."""
    marks = ', '.join('?' * len(uuids))
    return dict((table, rows(inventory_dir, 'SELECT COUNT(*) FROM %s WHERE %s IN (%s)' % (table, column, marks),
                             tuple(uuids))[0][0])
                for table, column in (('reservations', 'uuid'), ('build_requests', 'instance_uuid'),
                                      ('ports', 'instance_uuid'), ('instances', 'uuid'),
                                      ('instance_names', 'instance_uuid')))


NOTHING = {'reservations': 0, 'build_requests': 0, 'ports': 0, 'instances': 0, 'instance_names': 0}


def inventory_of(testbed, vcpu_totals, tmp_path):
    return write_inventory(testbed, tmp_path / 'inventory', dict(
        (host, nano_capacity(vcpu_totals[host], 2)) for host in testbed.hosts))


def test_a_build_that_failed_on_every_alternate_gives_everything_back(prepared_testbed, vcpu_totals, tmp_path):
    testbed = prepared_testbed
    name = unique_name('allfail')
    # The failed builds are counted under a state path of this test's own, so that the
    # BuildFailureWeigher of later tests does not see them.
    state_path = '/var/lib/novalite/%s' % name
    inventory = write_inventory(testbed, tmp_path / 'inventory', dict(
        (host, dict(nano_capacity(vcpu_totals[host], 2), novalite_state_path=state_path)) for host in testbed.hosts))
    refreshed = run('refresh_hypervisors', inventory)
    assert refreshed.rc == 0, refreshed
    stopped = []
    try:
        # The rows are fresh, so the create schedules on them; every host's libvirtd is down.
        for host in testbed.hosts:
            stop_libvirtd(testbed, host)
            stopped.append(host)
        created = run('create_server', inventory, {
            'novalite_server': server_request(name),
            'novalite_scheduler': dict(PACK_ONLY, max_attempts=3), 'novalite_quotas': QUOTAS,
            'novalite_unique_server_name_scope': 'project'})
    finally:
        for host in stopped:
            start_libvirtd(testbed, host)
        contents = dict((host, host_contents(testbed, host, state_path=state_path)) for host in testbed.hosts)
        for host in testbed.hosts:
            shutil.rmtree(os.path.join(testbed.state_dir(host), name), ignore_errors=True)
    assert created.rc != 0 and 'failed after 3 attempt(s)' in created.output, created
    assert rows(tmp_path / 'inventory', 'SELECT COUNT(*) FROM reservations') == [(0,)]
    assert rows(tmp_path / 'inventory', 'SELECT COUNT(*) FROM build_requests') == [(0,)]
    assert rows(tmp_path / 'inventory', 'SELECT COUNT(*) FROM instance_names') == [(0,)]
    assert rows(tmp_path / 'inventory', "SELECT COUNT(*) FROM instances WHERE display_name = ?", (name,)) == [(0,)]
    # Ports left are other servers' (reported by the refresh), none of an instance that was never built.
    assert rows(tmp_path / 'inventory', 'SELECT COUNT(*) FROM ports WHERE instance_uuid NOT IN '
                '(SELECT uuid FROM instances)') == [(0,)]
    for host in testbed.hosts:
        assert contents[host]['failed_builds'] == 1, host
        assert debris(contents[host]) == NO_DEBRIS, host


def _scheduled(inventory_dir):
    """The instance uuids of build requests whose hosts are chosen (fleet_schedule committed)."""
    path = inventory_dir / '.fleet.sqlite'
    if not path.exists():
        return []
    try:
        return [row[0] for row in rows(inventory_dir, 'SELECT instance_uuid FROM build_requests WHERE hosts IS NOT NULL')]
    except sqlite3.OperationalError:
        return []  # the schema is being created


def test_a_run_killed_after_scheduling_is_cleaned_by_the_next_refresh(prepared_testbed, vcpu_totals, tmp_path):
    testbed = prepared_testbed
    inventory = inventory_of(testbed, vcpu_totals, tmp_path)
    inventory_dir = tmp_path / 'inventory'
    name = unique_name('killed')
    refreshed = run('refresh_hypervisors', inventory)
    assert refreshed.rc == 0, refreshed
    proc = subprocess.Popen(_command('create_server', inventory, {
        'novalite_server': server_request(name, count=2), 'novalite_scheduler': PACK_ONLY,
        'novalite_quotas': QUOTAS, 'novalite_unique_server_name_scope': 'project'}),
        cwd=REPO, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    uuids = []
    try:
        deadline = time.monotonic() + 300
        while not uuids and proc.poll() is None and time.monotonic() < deadline:
            uuids = _scheduled(inventory_dir)
            time.sleep(0.02)
        # The controller dies at once, workers, SSH and all, as a killed job does.
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        assert len(uuids) == 2, 'the run ended before it scheduled (rc %s)' % proc.returncode
        before = held(inventory_dir, uuids)
        assert before['reservations'] + before['instances'] > 0, before
        refreshed = run('refresh_hypervisors', inventory)
        assert refreshed.rc == 0, refreshed
        # A build that got as far as a domain before the kill is a server now, counted as one;
        # everything else the run held is given back.
        built = servers(dict((host, host_contents(testbed, host)) for host in testbed.hosts), name)
        after = held(inventory_dir, uuids)
        assert after['reservations'] == 0 and after['build_requests'] == 0, after
        assert after['instances'] == len(built), (after, built)
        assert after['ports'] == len(built), (after, built)
        # The quota follows the servers that exist: a create of what is left fits.
        created = run('create_server', inventory, {
            'novalite_server': server_request(name + '-next', count=3 - len(built)),
            'novalite_scheduler': PACK_ONLY, 'novalite_quotas': QUOTAS})
        assert created.rc == 0, created
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        delete_servers(testbed, inventory, name)
        # A build killed on its host leaves its claim and directory (no journal yet to name them).
        for host in testbed.hosts:
            for instance_uuid in uuids:
                testbed.enter(host, 'rm', '-rf', '/var/lib/novalite/instances/%s' % instance_uuid,
                              '/var/lib/novalite/claims/%s.json' % instance_uuid)
