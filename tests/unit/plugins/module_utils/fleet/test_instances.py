# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Instances, their ports and groups, refreshes from a host, unique names, build requests
of runs that died."""

import time

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.compute.network import NetworkError
from ansible_collections.novalite.compute.plugins.module_utils.errors import ValidationError
from ansible_collections.novalite.compute.plugins.module_utils.fleet import compute_nodes, instances, ipam, quotas

FLAVOR = {'name': 'm1.nano', 'vcpus': 1, 'memory_mb': 128, 'root_gb': 1}
NET = {'network_id': 'n1', 'network_name': 'private', 'cidr': '10.254.0.0/24',
       'gateway': '10.254.0.1', 'allocation_pools': [{'start': '10.254.0.10', 'end': '10.254.0.50'}]}


def record(uuid, host='hv1', ip='10.254.0.20', mac='fa:16:3e:00:00:20', group=None):
    return {'uuid': uuid, 'name': 'vm-' + uuid, 'project_id': 'p1', 'user_id': 'u1', 'flavor': FLAVOR,
            'vm_state': 'active', 'task_state': None, 'host': host,
            'instance_group': {'uuid': group} if group else None,
            'ports': [{'id': 'port-' + uuid, 'network_id': 'n1', 'network_name': 'private',
                       'mac': mac, 'fixed_ip': ip}]}


def test_record_build_writes_the_instance_its_port_and_group(fleet):
    allocated = ipam.allocate_port(fleet, NET, 'a')
    built = record('a', ip=allocated['fixed_ip'], mac=allocated['mac'], group='g1')
    assert instances.record_build(fleet, built) == []
    [server] = instances.servers(fleet)
    assert server['id'] == 'a' and server['host'] == 'hv1' and server['instance_group'] == {'uuid': 'g1'}
    assert server['flavor']['vcpus'] == 1
    [port] = ipam.ports_of(fleet, 'a')
    assert port['host'] == 'hv1' and port['fixed_ip'] == allocated['fixed_ip']
    group = instances.populate_group(fleet, {'uuid': 'g1', 'policy': 'anti-affinity'})
    assert group['members'] == ['a'] and group['hosts'] == ['hv1']


def test_forget_removes_everything_of_an_instance(fleet):
    instances.record_build(fleet, record('a', group='g1'))
    instances.claim_name(fleet, 'project', 'p1', 'vm-a', 'a')
    instances.forget(fleet, 'a')
    assert instances.servers(fleet) == [] and ipam.ports_of(fleet, 'a') == []
    assert instances.populate_group(fleet, {'uuid': 'g1'})['members'] == []
    instances.claim_name(fleet, 'project', 'p1', 'vm-a', 'b')


def test_sync_host_makes_the_rows_what_the_host_reported(fleet):
    instances.record_build(fleet, record('gone', ip='10.254.0.30', mac='fa:16:3e:00:00:30'))
    instances.record_build(fleet, record('elsewhere', host='hv2', ip='10.254.0.31', mac='fa:16:3e:00:00:31'))
    pending = ipam.allocate_port(fleet, dict(NET, fixed_ip='10.254.0.45'), 'pending')
    deleted = dict(record('del', ip='10.254.0.40'), vm_state='deleted')
    conflicts = instances.sync_host(fleet, 'hv1', [record('a'), deleted])
    assert conflicts == []
    assert sorted(s['id'] for s in instances.servers(fleet)) == ['a', 'elsewhere']
    assert ipam.ports_of(fleet, 'gone') == [] and ipam.ports_of(fleet, 'pending') == [pending]
    assert ipam.used_addresses(fleet, 'n1') == {'10.254.0.20', '10.254.0.31', pending['fixed_ip']}


def test_sync_host_takes_hypervisor_servers_dicts_with_the_catalog(fleet):
    reported = [{'id': 'a', 'name': 'vm-a', 'host': 'hv1', 'project_id': 'p1', 'user_id': 'u1',
                 'flavor': FLAVOR, 'vm_state': 'active', 'task_state': None, 'instance_group': None,
                 'addresses': {'private': [{'addr': '10.254.0.20', 'mac': 'fa:16:3e:00:00:20'}]}}]
    instances.sync_host(fleet, 'hv1', reported, networks=[{'id': 'n1', 'name': 'private'}])
    [port] = ipam.ports_of(fleet, 'a')
    assert port['network_id'] == 'n1' and port['fixed_ip'] == '10.254.0.20' and port['host'] == 'hv1'


def test_a_report_without_macs_keeps_the_macs_the_rows_hold(fleet):
    """A host's servers table (hypervisor_info's, a build's report) has addresses only: the
    ports keep their MACs and ids, so a MAC stays held on its network."""
    instances.record_build(fleet, record('a', ip='10.254.0.20', mac='fa:16:3e:00:00:20'))
    reported = [{'id': 'a', 'name': 'vm-a', 'host': 'hv1', 'project_id': 'p1', 'user_id': 'u1',
                 'flavor': FLAVOR, 'vm_state': 'active', 'task_state': None, 'instance_group': None,
                 'addresses': {'private': [{'addr': '10.254.0.20'}]}}]
    instances.sync_host(fleet, 'hv1', reported, networks=[{'id': 'n1', 'name': 'private'}], as_of=time.time() + 1)
    [port] = ipam.ports_of(fleet, 'a')
    assert (port['id'], port['mac'], port['fixed_ip'], port['host']) == \
        ('port-a', 'fa:16:3e:00:00:20', '10.254.0.20', 'hv1')
    with pytest.raises(NetworkError):
        ipam.allocate_port(fleet, dict(NET, mac='fa:16:3e:00:00:20', field='mac'), 'b')


@pytest.mark.parametrize('scope, other_project_ok', [('project', True), ('global', False)])
def test_unique_names(fleet, scope, other_project_ok):
    instances.claim_name(fleet, scope, 'p1', 'web', 'a')
    instances.claim_name(fleet, scope, 'p1', 'web', 'a')  # the holder may claim again
    with pytest.raises(ValidationError) as err:
        instances.claim_name(fleet, scope, 'p1', 'web', 'b')
    assert err.value.field == 'server.name' and 'held by instance a' in err.value.msg
    if other_project_ok:
        instances.claim_name(fleet, scope, 'p2', 'web', 'c')
    else:
        with pytest.raises(ValidationError):
            instances.claim_name(fleet, scope, 'p2', 'web', 'c')


def test_no_scope_holds_nothing_and_a_bad_scope_is_named(fleet):
    instances.claim_name(fleet, '', 'p1', 'web', 'a')
    instances.claim_name(fleet, '', 'p1', 'web', 'b')
    with pytest.raises(ValidationError) as err:
        instances.claim_name(fleet, 'cell', 'p1', 'web', 'a')
    assert err.value.field == 'unique_server_name_scope'


def test_build_requests_end_with_the_build(fleet):
    instances.add_build_requests(fleet, {'project_id': 'p1', 'user_id': 'u1'}, [{'uuid': 'a', 'name': 'vm-a'}])
    assert fleet.scalar('SELECT COUNT(*) FROM build_requests') == 1
    instances.record_build(fleet, record('a'))
    assert fleet.scalar('SELECT COUNT(*) FROM build_requests') == 0


def test_a_report_older_than_a_recorded_build_keeps_that_build(fleet):
    """Another controller recorded a build on the host after the host gathered its report."""
    import time
    gathered = time.time() - 5
    instances.record_build(fleet, record('newer', ip='10.254.0.33', mac='fa:16:3e:00:00:33'))
    instances.sync_host(fleet, 'hv1', [record('a')], as_of=gathered)
    assert sorted(s['id'] for s in instances.servers(fleet)) == ['a', 'newer']
    assert [p['fixed_ip'] for p in ipam.ports_of(fleet, 'newer')] == ['10.254.0.33']


def test_a_table_address_on_a_network_the_catalog_does_not_name_keeps_its_ports_network(fleet):
    allocated = ipam.allocate_port(fleet, NET, 'a')
    reported = [{'id': 'a', 'name': 'vm-a', 'project_id': 'p1', 'user_id': 'u1', 'flavor': FLAVOR,
                 'vm_state': 'active', 'task_state': None, 'instance_group': None,
                 'addresses': {'private': [{'addr': allocated['fixed_ip']}]}}]
    instances.sync_host(fleet, 'hv1', reported, networks=[])
    [port] = ipam.ports_of(fleet, 'a')
    # The table has no MAC: the allocated one stays held.
    assert (port['network_id'], port['fixed_ip'], port['mac']) == ('n1', allocated['fixed_ip'], allocated['mac'])


def _report(fleet, host, at):
    compute_nodes.report(fleet, {'host': host, 'vcpus_total': 4, 'vcpus_used': 0,
                                 'memory_mb_total': 4096, 'memory_mb_used': 0, 'disk_gb_total': 50,
                                 'disk_gb_used': 0, 'updated': compute_nodes.iso(at)})


def _build_request(fleet, uuid, owner, hosts, expire=instances.BUILD_REQUEST_EXPIRE):
    spec = {'project_id': 'p1', 'user_id': 'u1', 'flavor': FLAVOR, 'num_instances': 1,
            'min_num_instances': 1, 'instance_uuids': [uuid], 'instance_group': {'uuid': 'g1'}}
    quotas.reserve(fleet, spec, {'defaults': {}})
    instances.add_build_requests(fleet, spec, [{'uuid': uuid, 'name': 'vm-' + uuid}], owner, expire)
    instances.set_build_hosts(fleet, {uuid: hosts})
    instances.claim_name(fleet, 'project', 'p1', 'vm-' + uuid, uuid)
    return ipam.allocate_port(fleet, NET, uuid)


def test_a_dead_runs_build_request_is_given_up_once_its_hosts_reported_without_it(fleet):
    port = _build_request(fleet, 'a', 'dead', ['hv1', 'hv2'])
    alive = {'dead': False}.get
    _report(fleet, 'hv1', time.time() + 1)
    # hv2 has not reported since: the instance may be there.
    assert instances.give_up_abandoned(fleet, alive) == []
    assert quotas.usage(fleet, 'p1', 'u1')['project']['instances'] == 1
    _report(fleet, 'hv2', time.time() + 1)
    assert instances.give_up_abandoned(fleet, alive) == ['a']
    assert quotas.usage(fleet, 'p1', 'u1')['project'] == {'instances': 0, 'cores': 0, 'ram': 0}
    assert ipam.ports_of(fleet, 'a') == [] and port['fixed_ip'] not in ipam.used_addresses(fleet, 'n1')
    assert fleet.scalar('SELECT COUNT(*) FROM build_requests') == 0
    assert instances.populate_group(fleet, {'uuid': 'g1'})['members'] == []
    instances.claim_name(fleet, 'project', 'p1', 'vm-a', 'b')


def test_a_live_run_keeps_its_build_request_and_another_controllers_until_it_expires(fleet):
    _build_request(fleet, 'mine', 'live', ['hv1'])
    _build_request(fleet, 'theirs', 'elsewhere', ['hv1'], expire=60)
    _report(fleet, 'hv1', time.time() + 1)
    alive = {'live': True, 'elsewhere': None}.get
    assert instances.give_up_abandoned(fleet, alive) == []
    assert instances.give_up_abandoned(fleet, alive, now=time.time() + 61) == ['theirs']
    assert [row['instance_uuid'] for row in fleet.rows('SELECT instance_uuid FROM build_requests')] == ['mine']


def test_a_server_its_host_reports_ends_its_build_request(fleet):
    _build_request(fleet, 'a', 'dead', ['hv1'])
    instances.sync_host(fleet, 'hv1', [record('a')])
    _report(fleet, 'hv1', time.time() + 1)
    assert instances.give_up_abandoned(fleet, {'dead': False}.get) == []
    assert [s['id'] for s in instances.servers(fleet)] == ['a']
    assert quotas.usage(fleet, 'p1', 'u1')['project']['instances'] == 1


def test_the_hosts_of_a_projects_names(fleet):
    instances.record_build(fleet, record('a', host='hv1', ip='10.254.0.21', mac='fa:16:3e:00:00:21'))
    instances.record_build(fleet, record('b', host='hv2', ip='10.254.0.22', mac='fa:16:3e:00:00:22'))
    instances.record_build(fleet, dict(record('c', host='hv3', ip='10.254.0.23', mac='fa:16:3e:00:00:23'),
                                       project_id='p2', name='vm-a'))
    assert instances.hosts_with_names(fleet, 'p1', ['vm-a', 'vm-b', 'vm-z']) == ['hv1', 'hv2']
    assert instances.hosts_with_names(fleet, 'p2', ['vm-a']) == ['hv3']
    assert instances.hosts_with_names(fleet, 'p1', ['vm-z']) == [] and instances.hosts_with_names(fleet, 'p1', []) == []
