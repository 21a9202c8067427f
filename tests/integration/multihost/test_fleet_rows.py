# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet database across hosts: a create schedules on the hosts' rows without asking any
host, only the hosts that build are contacted, and when a row is stale (another controller,
with a database of its own, filled the host) the claim on the host still keeps it within its
capacity."""
import re

import pytest

from multihost.cross_host import (
    BUILD_TASK, GATHER_TASK, NO_DEBRIS, PACK_ONLY, debris, delete_servers, host_contents,
    host_states, nano_capacity, run, server_request, servers, task_results, unique_name,
    write_inventory,
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


def test_an_action_asks_only_the_host_the_rows_give_for_the_server(prepared_testbed, tmp_path):
    testbed = prepared_testbed
    inventory = write_inventory(testbed, tmp_path / 'inventory', {})
    name = unique_name('find')
    host_states(inventory, tmp_path / 'rows.json')            # every host in the rows now
    # Rows just written: trusted whatever their heartbeat's age under a loaded machine.
    fresh = {'novalite_fleet_heartbeat_max_age': -1}
    try:
        created = run('create_server', inventory, {'novalite_server': server_request(name, networks='none')})
        assert created.rc == 0, created
        placed = servers(dict((host, host_contents(testbed, host)) for host in testbed.hosts), name)
        (server_uuid, server), = placed.items()

        # By name and by uuid: only the server's host is asked, and the action happens there.
        for ref in (name, server_uuid):
            stopped = run('stop_server', inventory, dict(fresh, novalite_server_id=ref))
            assert stopped.rc == 0, stopped
            assert task_results(stopped.output, FIND_TASK) == [{server['host']: 'ok'}], stopped
        assert servers({server['host']: host_contents(testbed, server['host'])}, name)[server_uuid]['vm_state'] == 'stopped'

        # A server the rows do not hold: no host is asked, and Nova's answer comes back.
        missing = run('stop_server', inventory, dict(fresh, novalite_server_id='%s-nope' % name))
        assert missing.rc != 0
        assert task_results(missing.output, FIND_TASK) == [], missing
        assert "No server with a name or ID of '%s-nope' exists." % name in missing.output, missing
    finally:
        delete_servers(testbed, inventory, name)
