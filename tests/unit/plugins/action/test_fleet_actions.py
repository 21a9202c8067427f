# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet action plugins' logic on a real database: fleet_schedule's one transaction
(quota, ports, group, selections; nothing kept on failure or in check mode) and
fleet_report's reading of a build round; a killed run's build requests given back."""

import json
import os
import subprocess
import time

import pytest
from ansible.inventory import manager as inventory_manager

from ansible_collections.novalite.compute.plugins.action import fleet_hosts, fleet_report, fleet_schedule
from ansible_collections.novalite.compute.plugins.module_utils.fleet import compute_nodes, instances, ipam, quotas, runs
from ansible_collections.novalite.compute.plugins.plugin_utils import fleet_database

FLAVOR = {'name': 'm1.nano', 'flavorid': '1', 'vcpus': 1, 'memory_mb': 128, 'root_gb': 1,
          'ephemeral_gb': 0, 'swap': 0, 'extra_specs': {}}
NET = {'network_id': 'n1', 'network_name': 'private', 'cidr': '10.254.0.0/24',
       'gateway': '10.254.0.1', 'allocation_pools': [{'start': '10.254.0.10', 'end': '10.254.0.20'}],
       'fixed_ip': None, 'port_id': None}


def host_state(name, vcpus=4):
    return {'host': name, 'vcpus_total': vcpus, 'vcpus_used': 0, 'memory_mb_total': 4096,
            'memory_mb_used': 0, 'disk_gb_total': 50, 'disk_gb_used': 0,
            'cpu_allocation_ratio': 1.0, 'ram_allocation_ratio': 1.0, 'disk_allocation_ratio': 1.0,
            'availability_zone': 'az-' + name, 'instances': {},
            'updated': compute_nodes.iso(__import__('time').time())}


def args(count=2, hosts=('hv1', 'hv2'), quota_limit=10, group=None):
    uuids = ['inst-%d' % n for n in range(count)]
    spec = {'instance_uuids': uuids, 'num_instances': count, 'min_num_instances': 1,
            'flavor': FLAVOR, 'image': {'id': 'img', 'properties': {}}, 'availability_zone': None,
            'force_hosts': [], 'force_nodes': [], 'ignore_hosts': [], 'scheduler_hints': {},
            'instance_group': group, 'security_groups': ['default'], 'is_bfv': False}
    return {'request_spec': spec,
            'instances': [{'uuid': u, 'name': 'web-%d' % (n + 1), 'networks': [dict(NET)]}
                          for n, u in enumerate(uuids)],
            'hosts': list(hosts), 'context': {'project_id': 'p1', 'user_id': 'u1', 'roles': []},
            'quotas': {'defaults': {'instances': quota_limit}}, 'catalog': {}, 'scheduler': {},
            'unique_server_name_scope': ''}


@pytest.fixture
def rows(fleet):
    compute_nodes.report(fleet, host_state('hv1'))
    compute_nodes.report(fleet, host_state('hv2'))
    return fleet


def test_reserves_allocates_and_selects_in_one_go(rows):
    out = fleet_schedule.reserve_and_schedule(rows, args(), cache=compute_nodes.HostStateCache())
    assert out['num_instances'] == 2
    assert sorted(selection[0]['host'] for selection in out['selections']) == ['hv1', 'hv2']
    assert out['host_zones'] == {'hv1': 'az-hv1', 'hv2': 'az-hv2'}
    addresses = [inst['networks'][0]['fixed_ip'] for inst in out['instances']]
    assert len(set(addresses)) == 2
    assert [p['fixed_ip'] for p in ipam.ports_of(rows, 'inst-0')] == [addresses[0]]
    assert out['instances'][0]['networks'][0]['mac'] == ipam.ports_of(rows, 'inst-0')[0]['mac']
    assert quotas.usage(rows, 'p1', 'u1')['project']['instances'] == 2


def test_each_instance_gets_alternates_up_to_max_attempts(rows):
    compute_nodes.report(rows, host_state('hv3'))
    compute_nodes.report(rows, host_state('hv4'))
    out = fleet_schedule.reserve_and_schedule(rows, args(1, hosts=('hv1', 'hv2', 'hv3', 'hv4')),
                                              cache=compute_nodes.HostStateCache())
    assert len(out['selections'][0]) == 3


def test_a_multi_create_is_trimmed_to_the_quota(rows):
    quotas.reserve(rows, dict(args(1)['request_spec'], instance_uuids=['other'], project_id='p1',
                              user_id='u1'), {'defaults': {'instances': 2}})
    out = fleet_schedule.reserve_and_schedule(rows, args(2, quota_limit=2), cache=compute_nodes.HostStateCache())
    assert out['num_instances'] == 1 and len(out['instances']) == len(out['selections']) == 1
    assert out['request_spec']['instance_uuids'] == ['inst-0']


def test_no_valid_host_keeps_nothing(rows):
    big = args()
    big['request_spec']['flavor'] = dict(FLAVOR, vcpus=64)
    big['quotas'] = {'defaults': {'cores': -1}}
    with pytest.raises(fleet_schedule.Failed) as err:
        fleet_schedule.reserve_and_schedule(rows, big, cache=compute_nodes.HostStateCache())
    assert err.value.msg.startswith('No valid host was found.') and err.value.extra['trace']
    assert ipam.used_addresses(rows, 'n1') == set()
    assert quotas.usage(rows, 'p1', 'u1')['project']['instances'] == 0


def test_over_quota_fails_with_the_resources_and_keeps_nothing(rows):
    with pytest.raises(fleet_schedule.Failed) as err:
        fleet_schedule.reserve_and_schedule(rows, dict(args(), quotas={'defaults': {'instances': 0}}),
                                            cache=compute_nodes.HostStateCache())
    assert err.value.extra['overs'] == ['instances']
    assert ipam.used_addresses(rows, 'n1') == set()


def test_check_mode_computes_the_same_and_writes_nothing(rows):
    out = fleet_schedule.reserve_and_schedule(rows, args(), check_mode=True, cache=compute_nodes.HostStateCache())
    assert out['num_instances'] == 2 and len(out['selections']) == 2
    assert ipam.used_addresses(rows, 'n1') == set()
    assert quotas.usage(rows, 'p1', 'u1')['project']['instances'] == 0


def test_hosts_without_a_row_are_left_out_and_a_down_host_is_filtered(rows):
    compute_nodes.heartbeat(rows, 'hv2', at=1.0)
    rows.execute("UPDATE services SET last_seen_up = 1.0 WHERE host = 'hv2'")
    out = fleet_schedule.reserve_and_schedule(rows, args(1, hosts=('hv1', 'hv2', 'hv9')),
                                              cache=compute_nodes.HostStateCache())
    assert [item['host'] for item in out['selections'][0]] == ['hv1']


def test_build_results_become_reports_built_servers_and_heartbeats():
    results = [
        {'host': 'hv1', 'failed': False, 'server': {'uuid': 'a'}, 'host_state': {'host': 'hv1'},
         'servers': {'rows': []}},
        {'host': 'hv2', 'failed': True, 'msg': 'image', 'host_state': {'host': 'hv2', 'failed_builds': 1}},
        {'host': 'hv3', 'failed': True, 'msg': 'claim', 'server': {'uuid': 'planned'}},
        {'unreachable': True, 'msg': 'gone'},
    ]
    spread = fleet_report.with_build_results({'reports': [], 'built': [], 'heartbeats': [],
                                              'build_results': results})
    assert spread['built'] == [{'uuid': 'a'}]
    assert spread['reports'] == [{'host_state': {'host': 'hv1'}, 'servers': {'rows': []}},
                                 {'host_state': {'host': 'hv2', 'failed_builds': 1}, 'servers': None}]
    assert spread['heartbeats'] == ['hv1', 'hv2', 'hv3']


def test_a_hosts_batch_result_gives_each_built_server_and_one_report():
    """What server_build with `servers` registered on a host: one entry of builds a server."""
    results = [{'host': 'hv1', 'failed': True, 'host_state': {'host': 'hv1'}, 'servers': {'rows': []},
                'builds': [{'instance_uuid': 'a', 'server': {'uuid': 'a'}},
                           {'instance_uuid': 'b', 'failed': True, 'msg': 'claim', 'server': {'uuid': 'b'}},
                           {'instance_uuid': 'c', 'server': {'uuid': 'c'}}]}]
    spread = fleet_report.with_build_results({'reports': [], 'built': [], 'heartbeats': [],
                                              'build_results': results})
    assert spread['built'] == [{'uuid': 'a'}, {'uuid': 'c'}]
    assert spread['reports'] == [{'host_state': {'host': 'hv1'}, 'servers': {'rows': []}}]
    assert spread['heartbeats'] == ['hv1']


def test_the_default_database_lies_next_to_the_inventory(tmp_path):
    inventory_dir = tmp_path / 'inv'
    inventory_dir.mkdir()
    (tmp_path / 'hosts.yml').write_text('all: {}\n')
    assert fleet_database.default_url({'ansible_inventory_sources': [str(inventory_dir)]}) == \
        str(inventory_dir / '.fleet.sqlite')
    assert fleet_database.default_url({'ansible_inventory_sources': [str(tmp_path / 'hosts.yml')]}) == \
        str(tmp_path / '.fleet.sqlite')
    assert fleet_database.database_url({'database': 'postgresql://x/y'}, {}) == 'postgresql://x/y'
    assert fleet_database.database_url({}, {'novalite_fleet_database': '/srv/f.sqlite'}) == '/srv/f.sqlite'


def test_an_inventory_directory_never_reads_the_default_database_as_a_source():
    # Ansible parses every file of an inventory directory except the ones it ignores.
    for name in (fleet_database.DEFAULT_FILE, fleet_database.DEFAULT_FILE + '-wal',
                 fleet_database.DEFAULT_FILE + '-shm', fleet_database.DEFAULT_FILE + '-journal'):
        assert inventory_manager.IGNORED.search(name.encode()), name


def test_the_environment_gives_the_database_when_no_variable_does(tmp_path, monkeypatch):
    """An AWX credential injects NOVALITE_FLEET_DATABASE: below the task's option and the
    inventory variable, above the default file."""
    monkeypatch.setenv('NOVALITE_FLEET_DATABASE', 'postgresql://nova:pw@db/fleet')
    sources = {'ansible_inventory_sources': [str(tmp_path)]}
    assert fleet_database.database_url({}, sources) == 'postgresql://nova:pw@db/fleet'
    assert fleet_database.database_url({}, dict(sources, novalite_fleet_database='/srv/f.sqlite')) == '/srv/f.sqlite'
    assert fleet_database.database_url({'database': '/x.sqlite'}, sources) == '/x.sqlite'
    monkeypatch.delenv('NOVALITE_FLEET_DATABASE')
    assert fleet_database.database_url({}, sources) == str(tmp_path / '.fleet.sqlite')


def test_more_attempts_than_build_rounds_is_refused_with_the_field(rows):
    with pytest.raises(fleet_schedule.Failed) as err:
        fleet_schedule.reserve_and_schedule(rows, dict(args(), scheduler={'max_attempts': 11}),
                                            cache=compute_nodes.HostStateCache())
    assert err.value.msg.startswith('scheduler.max_attempts: must be at most 10')
    assert quotas.usage(rows, 'p1', 'u1')['project']['instances'] == 0


def test_a_killed_runs_instances_are_given_back_before_the_next_create_counts(rows):
    """A run killed after scheduling: its build requests name it and their hosts; once those
    hosts reported without the instances, the next create gets the quota and addresses back."""
    child = subprocess.Popen(['sleep', '0'])
    killed = runs.owner(child.pid)
    child.wait()
    first = fleet_schedule.reserve_and_schedule(rows, args(2, quota_limit=2), owner=killed,
                                                cache=compute_nodes.HostStateCache())
    stored = rows.rows('SELECT instance_uuid, owner, hosts FROM build_requests ORDER BY instance_uuid')
    assert [row['owner'] for row in stored] == [killed, killed]
    assert [json.loads(row['hosts'])[0] for row in stored] == \
        [selection[0]['host'] for selection in first['selections']]
    later = args(1, quota_limit=2)
    later['request_spec']['instance_uuids'] = ['next']
    later['instances'][0]['uuid'] = 'next'
    with pytest.raises(fleet_schedule.Failed) as err:
        fleet_schedule.reserve_and_schedule(rows, later, cache=compute_nodes.HostStateCache())
    assert err.value.extra['overs'] == ['instances']
    compute_nodes.report(rows, dict(host_state('hv1'), updated=compute_nodes.iso(time.time() + 1)))
    compute_nodes.report(rows, dict(host_state('hv2'), updated=compute_nodes.iso(time.time() + 1)))
    again = fleet_schedule.reserve_and_schedule(rows, args(2, quota_limit=2), owner=runs.owner(os.getpid()),
                                                cache=compute_nodes.HostStateCache())
    assert again['num_instances'] == 2
    assert quotas.usage(rows, 'p1', 'u1')['project']['instances'] == 2
    # The killed run's ports are gone: only the new instances hold addresses.
    assert ipam.used_addresses(rows, 'n1') == set(inst['networks'][0]['fixed_ip'] for inst in again['instances'])
    assert [row['owner'] for row in rows.rows('SELECT owner FROM build_requests')] == [runs.owner(os.getpid())] * 2


def test_the_remote_groups_members_include_the_requests_instances(rows):
    request = args(2)
    request['instances'][0]['security_groups'] = ['web']
    request['instances'][1]['security_groups'] = ['default', 'web']
    out = fleet_schedule.reserve_and_schedule(rows, request, cache=compute_nodes.HostStateCache())
    first, second = [inst['networks'][0]['fixed_ip'] for inst in out['instances']]
    assert out['security_group_members'] == {
        'default': [second], 'web': sorted([first, second], key=lambda ip: int(ip.rsplit('.', 1)[1]))}


def test_a_vxlan_request_gets_the_peers_from_the_rows_of_its_hosts(rows):
    compute_nodes.report(rows, dict(host_state('hv1'), local_ip='10.81.0.11'))
    compute_nodes.report(rows, dict(host_state('hv2'), local_ip='10.81.0.12'))
    compute_nodes.report(rows, dict(host_state('hv3'), local_ip='10.81.0.13'))   # not in the group
    compute_nodes.report(rows, host_state('hv4'))                                 # no address
    request = args(1, hosts=('hv1', 'hv2', 'hv4'))
    request['instances'][0]['networks'] = [dict(NET, network_type='vxlan', segmentation_id=1081)]
    out = fleet_schedule.reserve_and_schedule(rows, request, cache=compute_nodes.HostStateCache())
    assert out['vxlan_peers'] == ['10.81.0.11', '10.81.0.12']


@pytest.mark.parametrize('networks', [[dict(NET, libvirt_network='novalite-private')],
                                      [dict(NET, network_type='flat', physical_network='physnet1')], []])
def test_a_request_without_a_vxlan_network_gets_no_peers(rows, networks):
    compute_nodes.report(rows, dict(host_state('hv1'), local_ip='10.81.0.11'))
    request = args(1)
    request['instances'][0]['networks'] = networks
    out = fleet_schedule.reserve_and_schedule(rows, request, cache=compute_nodes.HostStateCache())
    assert out['vxlan_peers'] == []


def test_fleet_hosts_names_the_hosts_whose_rules_name_a_changed_group(rows):
    instances.record_build(rows, {'uuid': 'a', 'name': 'a', 'project_id': 'p1', 'user_id': 'u1', 'flavor': FLAVOR,
                                  'host': 'hv2', 'security_groups': ['default'],
                                  'ports': [{'id': 'pa', 'network_id': 'n1', 'network_name': 'private',
                                             'mac': 'fa:16:3e:00:00:01', 'fixed_ip': '10.254.0.11'}]})
    asked = {'hosts': ['hv1', 'hv2'], 'member_changes': ['default'], 'security_groups': [{'name': 'default'}],
             'built_hosts': [], 'members_used': {}}
    found = fleet_hosts.ActionModule._rulesets(rows, asked)
    assert found == {'security_group_hosts': ['hv2'], 'security_group_members': {'default': ['10.254.0.11']}}
    # hv2 built with these very members: nothing to rewrite; with other members, it rewrites.
    unchanged = dict(asked, built_hosts=['hv2'], members_used={'default': ['10.254.0.11']})
    assert fleet_hosts.ActionModule._rulesets(rows, unchanged)['security_group_hosts'] == []
    changed = dict(asked, built_hosts=['hv2'], members_used={'default': []})
    assert fleet_hosts.ActionModule._rulesets(rows, changed)['security_group_hosts'] == ['hv2']
    assert fleet_hosts.ActionModule._rulesets(rows, {'hosts': ['hv1'], 'member_changes': [], 'security_groups': []}) == \
        {'security_group_hosts': [], 'security_group_members': {}}


def test_fleet_hosts_names_the_hosts_of_the_projects_servers_of_those_names(rows):
    instances.record_build(rows, {'uuid': 'a', 'name': 'web-1', 'project_id': 'p1', 'user_id': 'u1', 'flavor': FLAVOR,
                                  'host': 'hv2', 'ports': []})
    assert fleet_hosts.ActionModule._server_hosts(rows, {'hosts': ['hv1', 'hv2'], 'server_names': ['web-1', 'web-2'],
                                                         'project_id': 'p1', 'server_uuids': []}) == ['hv2']
    assert fleet_hosts.ActionModule._server_hosts(rows, {'hosts': ['hv1'], 'server_names': ['web-1'],
                                                         'project_id': 'p1', 'server_uuids': []}) == []
    with pytest.raises(fleet_hosts.AnsibleActionFail, match='project_id is required with server_names'):
        fleet_hosts.ActionModule._server_hosts(rows, {'hosts': ['hv1'], 'server_names': ['web-1'], 'project_id': None,
                                                      'server_uuids': []})


def test_check_mode_writes_what_hosts_said_and_nothing_else(fleet):
    """A check-mode refresh keeps the host's row and heartbeat (a check-mode create schedules
    on them in the same run; ComputeFilter would take an old heartbeat as a down host), and
    writes no built server, forgets nothing and gives up no build request."""
    compute_nodes.report(fleet, host_state('hv1'))
    fleet.execute('UPDATE services SET last_seen_up = ? WHERE host = ?', (time.time() - 3600, 'hv1'))
    instances.record_build(fleet, {'uuid': 'keep', 'name': 'kept', 'host': 'hv1', 'project_id': 'p1',
                                   'user_id': 'u1', 'flavor': FLAVOR, 'ports': []})
    args = {'reports': [{'host_state': host_state('hv2')}], 'heartbeats': ['hv1'], 'networks': [],
            'built': [{'uuid': 'planned', 'name': 'plan', 'host': 'hv2', 'project_id': 'p1',
                       'user_id': 'u1', 'flavor': FLAVOR, 'ports': []}],
            'forget': ['keep']}
    written = {'hosts': [], 'servers': 0, 'forgotten': 0, 'port_conflicts': [], 'abandoned': []}
    with fleet.transaction():
        fleet_report.ActionModule._write(fleet, args, written, check_mode=True)
    assert written['hosts'] == ['hv2'] and written['servers'] == 0 and written['forgotten'] == 0
    seen = dict((row['host'], row['last_seen_up']) for row in fleet.rows('SELECT host, last_seen_up FROM services'))
    assert time.time() - seen['hv1'] < 60 and 'hv2' in seen
    uuids = sorted(row['uuid'] for row in fleet.rows('SELECT uuid FROM instances'))
    assert uuids == ['keep']


def test_fleet_hosts_names_the_hosts_of_servers_by_uuid_in_any_project(rows):
    for uuid, name, project, host in (('a', 'web-1', 'p1', 'hv2'), ('b', 'web-1', 'p2', 'hv3'), ('c', 'db', 'p1', 'hv1')):
        instances.record_build(rows, {'uuid': uuid, 'name': name, 'project_id': project, 'user_id': 'u1',
                                      'flavor': FLAVOR, 'host': host, 'ports': []})
    asked = {'hosts': ['hv1', 'hv2', 'hv3'], 'server_names': [], 'project_id': None}
    assert fleet_hosts.ActionModule._server_hosts(rows, dict(asked, server_uuids=['a', 'b'])) == ['hv2', 'hv3']
    assert fleet_hosts.ActionModule._server_hosts(rows, dict(asked, server_uuids=['c', 'zzz'])) == ['hv1']
    assert fleet_hosts.ActionModule._server_hosts(rows, dict(asked, server_uuids=[])) == []
    # Names are not looked up here: only every hypervisor can say which servers hold one.
    assert fleet_hosts.ActionModule._server_hosts(rows, dict(asked, server_uuids=['web-1'])) == []
    # A deleted server has no host to ask.
    rows.execute("UPDATE instances SET vm_state = 'deleted' WHERE uuid = 'c'")
    assert fleet_hosts.ActionModule._server_hosts(rows, dict(asked, server_uuids=['c'])) == []
