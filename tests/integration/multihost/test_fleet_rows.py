# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet database across hosts: a create schedules on the hosts' rows without asking any
host, only the hosts that build are contacted, and when a row is stale (another controller,
with a database of its own, filled the host) the claim on the host still keeps it within its
capacity. An action by uuid asks the host the rows give for the server, and only when the
server is not there the other hosts: the rows are an index, the hosts the record."""
import os
import re
import sqlite3
import uuid

import pytest

from multihost.cross_host import (
    BUILD_TASK, GATHER_TASK, NO_DEBRIS, PACK_ONLY, debris, delete_servers, host_contents,
    host_states, nano_capacity, run, server_request, servers, task_results, task_results_by_play,
    unique_name, write_inventory,
)

pytestmark = pytest.mark.integration


def test_fresh_rows_are_not_gathered_and_a_stale_one_cannot_overcommit(prepared_testbed, vcpu_totals, tmp_path):
    testbed = prepared_testbed
    first, alternate, _last = testbed.hosts
    nanos = dict(zip(testbed.hosts, (2, 3, 4)))
    inventory = write_inventory(testbed, tmp_path / 'inventory', dict(
        (host, nano_capacity(vcpu_totals[host], n)) for host, n in nanos.items()))
    name = unique_name('cache')
    host_states(inventory, tmp_path / 'rows.json')            # every host empty, in the rows now
    try:
        # Another controller (its own database) takes one of the first host's two places.
        other = run('create_server', inventory, {'novalite_server': server_request('%s-other' % name),
                                                 'novalite_scheduler': PACK_ONLY},
                    database=tmp_path / 'other-controller.sqlite')
        assert other.rc == 0, other

        # Without a network: the addresses this controller would choose on its stale view are
        # not what this test is about.
        created = run('create_server', inventory, {'novalite_server': server_request(name, count=2, networks='none'),
                                                   'novalite_scheduler': PACK_ONLY})
        assert created.rc == 0, created
        # Scheduled on the rows: no host was asked before the build, nor after it.
        gathers = task_results(created.output, GATHER_TASK)
        assert gathers == [], gathers
        # The rows said two places on the first host: both went there, its claim took one.
        rounds = task_results(created.output, BUILD_TASK)
        assert [sorted(r) for r in rounds[:2]] == [[first], [alternate]], rounds
        assert re.search(r'failed on %s at step claim: .*VCPU: requested 1, used 2 of capacity 2' % first,
                         created.output), created

        contents = dict((host, host_contents(testbed, host)) for host in testbed.hosts)
        for host in testbed.hosts:
            used = sum(dom['record']['vcpus'] for dom in contents[host]['domains'].values())
            assert used <= nanos[host], (host, contents[host])
            assert debris(contents[host]) == NO_DEBRIS, host
        placed = servers(contents, name).values()
        assert sorted(server['host'] for server in placed) == [first, first, alternate], placed
        assert set(server['vm_state'] for server in placed) == {'active'}, placed
    finally:
        delete_servers(testbed, inventory, name)


FIND_TASK = 'novalite.compute.find_server : Look for the servers in the domain metadata and the build journals'
# The two find plays of playbooks/find_servers.yml.
FIRST = 'Find the servers on the hypervisors asked first'
OTHERS = 'Find the servers the fleet database did not place on the other hypervisors'
# Rows just written: trusted whatever their heartbeat's age under a loaded machine.
FRESH = {'novalite_fleet_heartbeat_max_age': -1}


def everywhere(testbed, prefix):
    return servers(dict((host, host_contents(testbed, host)) for host in testbed.hosts), prefix)


def test_an_action_by_uuid_asks_the_host_the_rows_give_and_the_others_only_when_it_is_not_there(
        prepared_testbed, tmp_path):
    testbed = prepared_testbed
    inventory = write_inventory(testbed, tmp_path / 'inventory', {})
    name = unique_name('find')
    host_states(inventory, tmp_path / 'rows.json')            # every host in the rows now
    try:
        created = run('create_server', inventory, {'novalite_server': server_request(name, networks='none')})
        assert created.rc == 0, created
        (server_uuid, server), = everywhere(testbed, name).items()
        host = server['host']

        # Its host alone is asked, in one lookup: no second lookup on the others.
        stopped = run('stop_server', inventory, dict(FRESH, novalite_server_id=server_uuid))
        assert stopped.rc == 0, stopped
        assert task_results_by_play(stopped.output, FIND_TASK) == [(FIRST, {host: 'ok'})], stopped
        assert everywhere(testbed, name)[server_uuid]['vm_state'] == 'stopped'

        # The rows place it on another host (an index gone wrong): that host first, then the
        # others, where it is found and acted on.
        wrong = next(other for other in testbed.hosts if other != host)
        rows = sqlite3.connect(os.path.join(inventory, '.fleet.sqlite'))
        with rows:
            assert rows.execute('UPDATE instances SET host = ? WHERE uuid = ?', (wrong, server_uuid)).rowcount == 1
        rows.close()
        started = run('start_server', inventory, dict(FRESH, novalite_server_id=server_uuid))
        assert started.rc == 0, started
        assert task_results_by_play(started.output, FIND_TASK) == [
            (FIRST, {wrong: 'ok'}),
            (OTHERS, dict((other, 'ok') for other in testbed.hosts if other != wrong))], started
        assert everywhere(testbed, name)[server_uuid]['vm_state'] == 'active'

        # A uuid no host holds: no host in the rows, every hypervisor asked, then Nova's answer.
        nowhere = str(uuid.uuid4())
        missing = run('stop_server', inventory, dict(FRESH, novalite_server_id=nowhere))
        assert missing.rc != 0
        assert task_results_by_play(missing.output, FIND_TASK) == [
            (OTHERS, dict((other, 'ok') for other in testbed.hosts))], missing
        assert "No server with a name or ID of '%s' exists." % nowhere in missing.output, missing
    finally:
        delete_servers(testbed, inventory, name)


def test_servers_the_rows_do_not_know_are_found_by_uuid_and_by_name_and_a_name_stays_ambiguous(
        prepared_testbed, tmp_path):
    """Servers built through another controller's fleet database: this controller's rows are
    fresh and do not know them; the hosts do."""
    testbed = prepared_testbed
    inventory = write_inventory(testbed, tmp_path / 'inventory', {})
    name = unique_name('unknown')
    host_states(inventory, tmp_path / 'rows.json')            # every host in the rows now
    every_host = dict((host, 'ok') for host in testbed.hosts)
    try:
        created = run('create_server', inventory, {'novalite_server': server_request(name, count=2, networks='none')},
                      database=tmp_path / 'other-controller.sqlite')
        assert created.rc == 0, created
        placed = dict((server['name'], (server_uuid, server)) for server_uuid, server in everywhere(testbed, name).items())
        first_uuid, _first = placed['%s-1' % name]
        second_uuid, second = placed['%s-2' % name]

        # By uuid: the rows place it nowhere, so the other hypervisors (all of them) are asked.
        by_uuid = run('stop_server', inventory, dict(FRESH, novalite_server_id=first_uuid))
        assert by_uuid.rc == 0, by_uuid
        assert task_results_by_play(by_uuid.output, FIND_TASK) == [(OTHERS, every_host)], by_uuid
        # By name: every hypervisor, in one lookup (names are not unique, the rows cannot settle one).
        by_name = run('stop_server', inventory, dict(FRESH, novalite_server_id='%s-2' % name))
        assert by_name.rc == 0, by_name
        assert task_results_by_play(by_name.output, FIND_TASK) == [(FIRST, every_host)], by_name
        found = everywhere(testbed, name)
        assert (found[first_uuid]['vm_state'], found[second_uuid]['vm_state']) == ('stopped', 'stopped'), found

        # Another server of the second's name on another host, through this controller's
        # database: its rows know that one only, and the name is still refused as ambiguous.
        elsewhere = next(host for host in testbed.hosts if host != second['host'])
        twin = run('create_server', inventory, {
            'novalite_server': server_request('%s-2' % name, networks='none',
                                              availability_zone='az%d' % (testbed.hosts.index(elsewhere) + 1)),
            'novalite_if_exists': 'create'})
        assert twin.rc == 0, twin
        twin_uuid, = [server_uuid for server_uuid, server in everywhere(testbed, name).items()
                      if server['name'] == '%s-2' % name and server_uuid != second_uuid]
        ambiguous = run('stop_server', inventory, dict(FRESH, novalite_server_id='%s-2' % name))
        assert ambiguous.rc != 0
        assert "More than one server exists with the name '%s-2'" % name in ambiguous.output, ambiguous
        assert second_uuid in ambiguous.output and twin_uuid in ambiguous.output, ambiguous
        assert everywhere(testbed, name)[twin_uuid]['vm_state'] == 'active'
    finally:
        delete_servers(testbed, inventory, name)
