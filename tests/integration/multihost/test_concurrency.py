# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Create-server runs at once. Four, each for two servers, where only five fit and the
project may have four: the claims keep every host within its capacity, the quota reservations
let no more than four through, each run succeeds or says why not, and no host keeps debris.
Two controllers of six servers each on one network, on SQLite and on PostgreSQL: twelve
distinct addresses and MACs, DHCP agreeing on every host, the quota exact."""
import re
import sqlite3

import netaddr

import pytest

from multihost.cross_host import (
    NETWORK_ID, NO_DEBRIS, PACK_ONLY, debris, delete_servers, host_contents, nano_capacity,
    run_at_once, server_request, servers, unique_name, write_inventory,
)

pytestmark = pytest.mark.integration

RUNS = 4
QUOTA = 4
# What a run that did not get its two servers may say: no host fits (scheduler), no host
# could build after the alternates (claims refused), or the quota reservation found the quota
# exceeded. (An address taken at the same time by another run is no longer possible: the fleet
# database allocates them.)
CLEAR_FAILURES = re.compile(
    r'No valid host was found'
    r'|Build of \S+ \(\S+\) failed after \d attempt\(s\): \S+: Build of instance \S+ failed on \S+ at step '
    r'(claim: .*VCPU: requested 1, used \d+ of capacity \d+|network: .*fixed_ip: \S+ is already in use)'
    r'|Quota exceeded for instances: Requested [12], but already used \d+ of %d instances' % QUOTA)


def failure_message(output):
    """The message of the run's final failure on the controller."""
    found = re.findall(r'^fatal: \[localhost\]: FAILED! => \n\s+(?:changed: false\n\s+)?msg: (.*(?:\n {8}.*)*)',
                       output, re.M)
    return ' '.join(' '.join(found[-1].split()).strip("'\"").split()) if found else None


def test_four_runs_at_once_for_more_than_fits(prepared_testbed, vcpu_totals, tmp_path):
    testbed = prepared_testbed
    nanos = dict(zip(testbed.hosts, (2, 2, 1)))
    inventory = write_inventory(testbed, tmp_path / 'inventory', dict(
        (host, nano_capacity(vcpu_totals[host], n)) for host, n in nanos.items()))
    name = unique_name('race')
    names = ['%s-r%d' % (name, run) for run in range(1, RUNS + 1)]
    try:
        runs = run_at_once('create_server', inventory, [{
            'novalite_server': server_request(run_name, count=2),
            'novalite_scheduler': PACK_ONLY,
            'novalite_quotas': {'projects': {'demo': {'instances': QUOTA}}},
        } for run_name in names])
        contents = dict((host, host_contents(testbed, host)) for host in testbed.hosts)
        made = servers(contents, name)
        outcomes = []
        for run_name, created in zip(names, runs):
            mine = sorted(server['name'] for server in made.values() if server['name'].startswith(run_name + '-'))
            if created.rc == 0:
                assert mine == [run_name + '-1', run_name + '-2'], (created, mine)
                outcomes.append('%s: 2 servers' % run_name)
            else:
                message = failure_message(created.output)
                assert message and CLEAR_FAILURES.search(message), created
                # A failed build of one instance leaves the other built, as in Nova.
                assert len(mine) < 2, (created, mine)
                outcomes.append('%s: %d server(s), %s' % (run_name, len(mine), message[:100]))
        print('\n'.join(outcomes))

        # The reservations are counted in one transaction each: never more than the quota.
        assert len(made) <= QUOTA, made
        assert set((server['vm_state'], server['running']) for server in made.values()) == {('active', True)}, made
        for host in testbed.hosts:
            used = sum(dom['record']['vcpus'] for dom in contents[host]['domains'].values())
            assert used <= nanos[host], (host, contents[host])
            assert debris(contents[host]) == NO_DEBRIS, (host, contents[host])
    finally:
        delete_servers(testbed, inventory, name)


@pytest.fixture(params=['sqlite', 'postgresql'])
def shared_database(request, tmp_path):
    """The fleet database both controllers use: the inventory's SQLite file (the default), or
    a real PostgreSQL (Debian's server, a throwaway cluster the tests start), as for AWX."""
    if request.param == 'sqlite':
        return {}
    return {'novalite_fleet_database': request.getfixturevalue('postgres_cluster').create_database()}


def _fleet_rows(shared_database, inventory_dir, query, params=()):
    url = shared_database.get('novalite_fleet_database')
    if url is None:
        with sqlite3.connect(str(inventory_dir / '.fleet.sqlite')) as db:
            return db.execute(query, params).fetchall()
    import psycopg
    with psycopg.connect(url) as db:
        return db.execute(query.replace('?', '%s'), params).fetchall()


def test_two_controllers_of_six_servers_on_one_network(prepared_testbed, vcpu_totals, tmp_path, shared_database):
    """Two controllers (two ansible-playbook processes sharing one fleet database) create six
    servers each at once on one network: twelve ACTIVE servers with twelve distinct fixed IPs
    and MACs, each host's DHCP entries those of its servers, and the quota of twelve exactly
    used, so that a thirteenth is refused."""
    testbed = prepared_testbed
    inventory = write_inventory(testbed, tmp_path / 'inventory', dict(
        (host, nano_capacity(vcpu_totals[host], 4)) for host in testbed.hosts))
    name = unique_name('pair')
    quotas = {'projects': {'demo': {'instances': 12}}}
    try:
        runs = run_at_once('create_server', inventory, [dict(shared_database, **{
            'novalite_server': server_request('%s-c%d' % (name, controller), count=6),
            'novalite_scheduler': PACK_ONLY, 'novalite_quotas': quotas,
        }) for controller in (1, 2)])
        for created in runs:
            assert created.rc == 0, created
        contents = dict((host, host_contents(testbed, host)) for host in testbed.hosts)
        made = servers(contents, name)
        assert len(made) == 12, made
        assert set((server['vm_state'], server['running']) for server in made.values()) == {('active', True)}, made
        addresses = [address for server in made.values() for address in server['ips']]
        assert len(addresses) == 12 and len(set(addresses)) == 12, addresses
        assert all(netaddr.IPAddress(a) in netaddr.IPNetwork('10.254.0.0/24') for a in addresses)
        pairs = dict((host, set()) for host in testbed.hosts)
        for server_uuid, server in made.items():
            [mac] = contents[server['host']]['domains'][server_uuid]['macs']
            pairs[server['host']].add((mac, server['ips'][0]))
        macs = [mac for found in pairs.values() for mac, _ip in found]
        assert len(set(macs)) == 12, macs
        for host in testbed.hosts:
            # The host's DHCP serves each of its servers its allocated address, nothing else of ours.
            served = set((entry['mac'], entry['ip']) for entry in contents[host]['dhcp'])
            assert pairs[host] <= served, (host, pairs[host], served)
            assert not (served - pairs[host]) & set((mac, ip) for found in pairs.values() for mac, ip in found), host
        inventory_dir = tmp_path / 'inventory'
        assert _fleet_rows(shared_database, inventory_dir,
                           "SELECT COUNT(*) FROM instances WHERE project_id = 'demo'") == [(12,)]
        assert _fleet_rows(shared_database, inventory_dir, 'SELECT COUNT(*) FROM reservations') == [(0,)]
        assert _fleet_rows(shared_database, inventory_dir, 'SELECT COUNT(*) FROM build_requests') == [(0,)]
        ports = _fleet_rows(shared_database, inventory_dir,
                            'SELECT mac_address, fixed_ip FROM ports WHERE network_id = ?', (NETWORK_ID,))
        # Servers other tests left on the hosts may hold rows too: ours are exactly these.
        assert sorted(port for port in ports if port[1] in set(addresses)) == \
            sorted(pair for found in pairs.values() for pair in found)
        over = run_at_once('create_server', inventory, [dict(shared_database, **{
            'novalite_server': server_request('%s-c3' % name), 'novalite_quotas': quotas})])[0]
        assert over.rc != 0 and 'Quota exceeded for instances: Requested 1, but already used 12 of 12' \
            in failure_message(over.output), over
        for host in testbed.hosts:
            assert debris(contents[host]) == NO_DEBRIS, (host, contents[host])
    finally:
        delete_servers(testbed, inventory, name)
