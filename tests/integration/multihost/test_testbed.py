# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The playbooks over SSH on three hypervisor hosts: each host answers as itself, reports its
own zone and capacity, and an anti-affinity group spreads a multi-create over all three."""
import json
import os
import re
import uuid

import pytest

from conftest import run_playbook
from multihost.conftest import run_ansible

pytestmark = pytest.mark.integration

HERE = os.path.dirname(os.path.abspath(__file__))
NETWORK_ID = '5f0c3a6e-8d2b-4d6e-9a51-2c3b6a1e0f01'
LIBVIRT_NETWORK = 'novalite-private'
ANTI_AFFINITY_GROUP = '3c9e2d1a-7b6f-4e5d-8c4b-1a2f3e4d5c6b'   # demo-anti in the catalog
# What up.sh gives host i (keyed by i, as the host names follow TESTBED_PREFIX): zone az<i>,
# reserved memory and RAM allocation ratio.
CAPACITY = {1: (512, 1.5), 2: (1024, 1.0), 3: (2048, 1.0)}


def host_states(testbed, out, **extra_vars):
    run = run_ansible('ansible-playbook', '-i', testbed.inventory, os.path.join(HERE, 'host_states.yml'),
                      '-e', json.dumps(dict(extra_vars, testbed_out=str(out))))
    assert run.rc == 0, run
    with open(str(out)) as f:
        return json.load(f)


def listed_servers(testbed, prefix):
    """{uuid: (name, status, host)} of the servers whose name starts with `prefix`, as the
    server_list playbook shows them (one line per server: ID | name | status | ... | host)."""
    run = run_playbook('server_list', inventory=testbed.inventory)
    assert run.rc == 0, run
    found = {}
    # The line comes as a YAML block scalar when it is long, else inline.
    for match in re.finditer(r'^\s+msg: (?:\|-\n((?:\s{8}.*\n)+)|(.*)$)', run.output, re.M):
        line = ' '.join(part.strip() for part in (match.group(1) or match.group(2)).splitlines())
        fields = [field.strip() for field in line.split('|')]
        if len(fields) >= 7 and fields[1].startswith(prefix):
            found[fields[0]] = (fields[1], fields[2], fields[-1])
    return found


def leftovers(testbed):
    """Per host: its domains, instance directories, claims and DHCP host entries."""
    left = {}
    for host in testbed.hosts:
        state = testbed.state_dir(host)
        domains = testbed.enter(host, 'virsh', '-q', '-c', 'qemu:///system', 'list', '--all', '--name')
        network = testbed.enter(host, 'virsh', '-c', 'qemu:///system', 'net-dumpxml', LIBVIRT_NETWORK)
        assert domains.returncode == 0 and network.returncode == 0, (domains.stdout, network.stdout)
        left[host] = {
            'domains': domains.stdout.split(),
            'instances': sorted(os.listdir(os.path.join(state, 'instances'))),
            'claims': sorted(os.listdir(os.path.join(state, 'claims'))) if os.path.isdir(os.path.join(state, 'claims')) else [],
            'dhcp_hosts': re.findall(r'<host mac=[^>]*>', network.stdout),
        }
    return left


def test_every_host_answers_over_ssh(testbed):
    run = run_ansible('ansible', '-i', testbed.inventory, 'hypervisors', '-m', 'ansible.builtin.ping')
    assert run.rc == 0, run
    for host in testbed.hosts:
        assert re.search(r'^%s \| SUCCESS' % host, run.output, re.M), run


def test_each_host_reports_its_own_state_and_the_cache_keeps_it(testbed, tmp_path):
    reports = host_states(testbed, tmp_path / 'gathered.json')
    assert sorted(reports) == testbed.hosts
    uuids = set()
    for index, host in enumerate(testbed.hosts, start=1):
        state = reports[host]['host_state']
        assert reports[host]['gathered'] is True
        assert state['host'] == host
        assert state['nodename'] == host                     # the host's own UTS hostname
        assert state['availability_zone'] == 'az%d' % index
        assert [a['name'] for a in state['aggregates']] == ['az%d' % index]
        assert (state['reserved_host_memory_mb'], state['ram_allocation_ratio']) == CAPACITY[index]
        assert state['num_instances'] == 0 and state['instances'] == {}
        uuids.update(re.findall(r'<host>\s*<uuid>([0-9a-f-]+)</uuid>', reports[host]['capabilities']))
    assert len(uuids) == len(testbed.hosts), uuids           # three libvirtds, not one

    # Fresh enough host states come from the fact cache: no host is asked again.
    cached = host_states(testbed, tmp_path / 'cached.json', hypervisor_facts_max_age=300)
    for host in testbed.hosts:
        assert cached[host]['gathered'] is False
        assert cached[host]['host_state'] == reports[host]['host_state']


def test_prepare_makes_the_catalog_network_on_every_host(prepared_testbed):
    run = run_ansible('ansible', '-i', prepared_testbed.inventory, 'hypervisors', '-m', 'ansible.builtin.command',
                      '-a', 'virsh -c qemu:///system net-info %s' % LIBVIRT_NETWORK)
    assert run.rc == 0, run
    assert len(re.findall(r'^Active:\s+yes$', run.output, re.M)) == len(prepared_testbed.hosts), run


def test_anti_affinity_spreads_a_multi_create_over_three_hosts(prepared_testbed):
    testbed = prepared_testbed
    name = 'nltest-%s' % uuid.uuid4().hex[:6]
    extra = {
        'novalite_server': {'name': name, 'flavorRef': 'm1.nano', 'imageRef': 'novalite-demo',
                            'networks': [{'uuid': NETWORK_ID}], 'key_name': 'demo',
                            'min_count': 3, 'max_count': 3},
        'novalite_scheduler_hints': {'group': ANTI_AFFINITY_GROUP},
        'novalite_wait_for_console': True,
    }
    created = run_playbook('create_server', extra, inventory=testbed.inventory)
    servers = listed_servers(testbed, name)
    try:
        assert created.rc == 0, created
        assert sorted(n for n, _status, _host in servers.values()) == ['%s-%d' % (name, i) for i in (1, 2, 3)]
        assert all(status == 'ACTIVE' for _name, status, _host in servers.values()), servers
        assert sorted(host for _name, _status, host in servers.values()) == testbed.hosts, servers
        for server_uuid, (_name, _status, host) in servers.items():
            # Each guest booted where the server list says, and read its config drive there.
            with open(os.path.join(testbed.state_dir(host), 'instances', server_uuid, 'console.log')) as f:
                assert 'NOVALITE-METADATA uuid=%s' % server_uuid in f.read()
            assert testbed.enter(host, 'virsh', '-q', '-c', 'qemu:///system', 'domstate',
                                 'instance-%s' % server_uuid).stdout.strip() == 'running'
    finally:
        for server_uuid in servers:
            deleted = run_playbook('delete_server', {'novalite_server_id': server_uuid}, inventory=testbed.inventory)
            assert deleted.rc == 0, deleted

    assert listed_servers(testbed, name) == {}
    empty = {'domains': [], 'instances': [], 'claims': [], 'dhcp_hosts': []}
    assert leftovers(testbed) == dict((host, empty) for host in testbed.hosts)
