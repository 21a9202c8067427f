# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A vxlan network spanning the testbed's three hosts, with real guests pinging from inside:
the members of `default` on three hosts reach each other; a server in `closed` (no ingress
rule) is not reachable until a rule lets ICMP in; a guest that sends from another IP or MAC
gets nothing through. The guests run scripts/guest/{ping-peers,spoof}.sh as user_data and
say what they saw on their serial consoles."""
import base64
import concurrent.futures
import os
import re
import time

import pytest
import yaml

from conftest import REPO, run_playbook

pytestmark = pytest.mark.integration

GUEST_SCRIPTS = os.path.join(REPO, 'scripts', 'guest')
TENANT = '0e7d1a2b-3c4d-4e5f-8a9b-7c6d5e4f3a2b'   # added to the testbed's catalog by up.sh
MEMBERS = {'net-1': ('az1', '10.82.0.21'), 'net-2': ('az2', '10.82.0.22'), 'net-3': ('az3', '10.82.0.23')}
CLOSED = ('net-4', 'az1', '10.82.0.24')
SPOOFER = ('net-5', 'az2', '10.82.0.25')


def user_data(script):
    with open(os.path.join(GUEST_SCRIPTS, script), 'rb') as f:
        return base64.b64encode(f.read()).decode()


def create(testbed, name, zone, address, groups, script):
    server = {'name': name, 'flavorRef': 'm1.nano', 'imageRef': 'novalite-demo',
              'availability_zone': zone, 'networks': [{'uuid': TENANT, 'fixed_ip': address}],
              'security_groups': [{'name': group} for group in groups],
              'user_data': user_data(script)}
    return run_playbook('create_server', {'novalite_server': server}, inventory=testbed.inventory)


def find_console(testbed, name):
    """(host, serial console text) of the server called `name`; (None, '') until it has one."""
    for host in testbed.hosts:
        instances = os.path.join(testbed.state_dir(host), 'instances')
        for uuid in os.listdir(instances) if os.path.isdir(instances) else []:
            path = os.path.join(instances, uuid, 'console.log')
            if not os.path.exists(path):
                continue
            with open(path, errors='replace') as f:
                text = f.read().replace('\r', '')
            if 'NOVALITE-METADATA uuid=%s ' % uuid in text and ' name=%s\n' % name in text:
                return host, text
    return None, ''


def console(testbed, name):
    return find_console(testbed, name)[1]


def wait_for(testbed, name, pattern, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if re.search(pattern, console(testbed, name), re.M):
            return True
        time.sleep(1)
    return False


def pings(testbed, name):
    return set(re.findall(r'^NOVALITE-PING (\S+) ok$', console(testbed, name), re.M))


@pytest.fixture(scope='module')
def servers(prepared_testbed):
    """The five servers, created at once (one request each, a zone each for the host)."""
    wanted = [(name, zone, addr, ['default'], 'ping-peers.sh') for name, (zone, addr) in sorted(MEMBERS.items())]
    wanted += [CLOSED + (['closed'], 'ping-peers.sh'), SPOOFER + (['default'], 'spoof.sh')]
    try:
        with concurrent.futures.ThreadPoolExecutor(len(wanted)) as pool:
            runs = list(pool.map(lambda args: create(prepared_testbed, *args), wanted))
        for run in runs:
            assert run.rc == 0, run
        yield prepared_testbed
    finally:
        with concurrent.futures.ThreadPoolExecutor(len(wanted)) as pool:
            deletes = list(pool.map(lambda args: run_playbook(
                'delete_server', {'novalite_server_id': args[0], 'delete_missing_ok': True},
                inventory=prepared_testbed.inventory), wanted))
        assert all(run.rc == 0 for run in deletes), deletes


def open_closed_group(testbed):
    """Give `closed` an ICMP ingress rule from anywhere, as an operator would in the catalog, and
    run prepare_hypervisors."""
    with open(os.path.join(testbed.inventory, 'group_vars', 'all', 'catalog.yml')) as f:
        groups = yaml.safe_load(f)['novalite_security_groups']
    for group in groups:
        if group['name'] == 'closed':
            group['rules'] = [{'direction': 'ingress', 'protocol': 'icmp', 'remote_ip_prefix': '0.0.0.0/0'}]
    run = run_playbook('prepare_hypervisors', {'novalite_security_groups': groups}, inventory=testbed.inventory)
    assert run.rc == 0, run


def test_members_of_one_network_on_three_hosts_reach_each_other(servers):
    for name, (_zone, address) in MEMBERS.items():
        others = set(addr for other, (_z, addr) in MEMBERS.items() if other != name)
        assert wait_for(servers, name, r'^NOVALITE-MTU eth0 1450$', 60), console(servers, name)
        deadline = time.time() + 90
        while not others <= pings(servers, name) and time.time() < deadline:
            time.sleep(1)
        assert others <= pings(servers, name), console(servers, name)
    # one server a host: the pings crossed VXLAN between the hosts
    assert sorted(find_console(servers, name)[0] for name in MEMBERS) == servers.hosts


def test_closed_group_blocks_until_a_rule_opens_it_and_spoofing_never_passes(servers):
    closed, _zone, closed_ip = CLOSED
    assert wait_for(servers, closed, r'^NOVALITE-READY$', 60), console(servers, closed)
    # the members have long been pinging each other, and net-4 too: nothing came back from it
    assert wait_for(servers, 'net-1', r'^NOVALITE-PING 10\.82\.0\.22 ok$', 90)
    time.sleep(5)
    for name in MEMBERS:
        assert closed_ip not in pings(servers, name), console(servers, name)
    # and net-4, in no group that default admits, reaches none of them
    assert pings(servers, closed) == set(), console(servers, closed)
    assert 'NOVALITE-SPOOF reach ok' not in console(servers, SPOOFER[0])

    open_closed_group(servers)
    for name in MEMBERS:
        assert wait_for(servers, name, r'^NOVALITE-PING %s ok$' % re.escape(closed_ip), 60), console(servers, name)
    # stateful: their echo requests come back through default's ingress, net-4's own do not
    assert pings(servers, closed) == set(), console(servers, closed)

    # the rule admits any source, so only anti-spoofing stops the other IP and MAC
    spoofer = SPOOFER[0]
    assert wait_for(servers, spoofer, r'^NOVALITE-SPOOF reach at last ok$', 120), console(servers, spoofer)
    text = console(servers, spoofer)
    for line in ('reach ok', 'ip blocked', 'reach again ok', 'mac blocked'):
        assert 'NOVALITE-SPOOF %s\n' % line in text, text
