# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fleet_resize on a real fleet database: the resize policy, lock and state, the upsize quota
(Nova's _check_quota_for_upsize) and the destination for the new flavor, the server's own
host ignored unless allow_resize_to_same_host (Nova's ignore_hosts)."""

import time

import pytest

from ansible_collections.novalite.compute.plugins.action import fleet_resize
from ansible_collections.novalite.compute.plugins.module_utils.errors import (
    NoValidHost, PolicyNotAuthorized, QuotaExceeded, ValidationError)
from ansible_collections.novalite.compute.plugins.module_utils.compute.lifecycle import LifecycleError
from ansible_collections.novalite.compute.plugins.module_utils.fleet import compute_nodes, instances

UUID = '0b1c7e8e-94b0-4d5d-8d65-2b0c2b9f8c11'
NANO = {'id': '1', 'name': 'm1.nano', 'vcpus': 1, 'ram': 128, 'disk': 1, 'ephemeral': 0, 'swap': 0}
SMALL = {'id': '2', 'name': 'm1.small', 'vcpus': 2, 'ram': 256, 'disk': 2, 'ephemeral': 0, 'swap': 0}
LARGE = {'id': '3', 'name': 'm1.large', 'vcpus': 4, 'ram': 512, 'disk': 2, 'ephemeral': 0, 'swap': 0}
RECORD_NANO = {'id': '1', 'name': 'm1.nano', 'vcpus': 1, 'memory_mb': 128, 'root_gb': 1,
               'ephemeral_gb': 0, 'swap': 0, 'extra_specs': {}}
MEMBER = {'project_id': 'p1', 'user_id': 'u1', 'roles': ['member']}
# Stacking weighers: the host with the fewest free vCPUs first.
PACK = {'cpu_weight_multiplier': -1.0, 'ram_weight_multiplier': 0.0, 'disk_weight_multiplier': 0.0,
        'io_ops_weight_multiplier': 0.0}


def host_state(name, vcpus=8, vcpus_used=0, instances=None):
    return {'host': name, 'vcpus_total': vcpus, 'vcpus_used': vcpus_used, 'memory_mb_total': 4096,
            'memory_mb_used': 0, 'disk_gb_total': 50, 'disk_gb_used': 0,
            'cpu_allocation_ratio': 1.0, 'ram_allocation_ratio': 1.0, 'disk_allocation_ratio': 1.0,
            'availability_zone': 'az-' + name, 'instances': instances or {},
            'updated': compute_nodes.iso(time.time())}


def record(**more):
    rec = {'uuid': UUID, 'name': 'web', 'host': 'hv1', 'node': 'hv1', 'project_id': 'p1',
           'user_id': 'u1', 'flavor': dict(RECORD_NANO), 'vm_state': 'active', 'task_state': None,
           'locked': False, 'image': {'id': 'img', 'name': 'demo'}, 'security_groups': ['default'],
           'ports': [{'id': 'port-1', 'network_id': 'n1', 'network_name': 'private',
                      'mac': 'fa:16:3e:00:00:01', 'fixed_ip': '10.254.0.10'}],
           'instance_group': None}
    rec.update(more)
    return rec


def args(flavor='m1.small', same_host=False, quotas=None, context=MEMBER, **more):
    result = {'server': record(**more), 'resize': {'flavorRef': flavor},
              'catalog': {'flavors': [NANO, SMALL, LARGE], 'images': []}, 'context': context,
              'policy': {}, 'quotas': quotas or {}, 'hosts': ['hv1', 'hv2', 'hv3'],
              'scheduler': PACK, 'allow_resize_to_same_host': same_host}
    return result


@pytest.fixture
def rows(fleet):
    # hv1 holds the server (the most used: the stacking weighers prefer it), hv2 a little less
    compute_nodes.report(fleet, host_state('hv1', vcpus_used=5, instances={UUID: None}))
    compute_nodes.report(fleet, host_state('hv2', vcpus_used=3))
    compute_nodes.report(fleet, host_state('hv3', vcpus_used=0))
    instances.record_build(fleet, dict(record(), flavor=dict(RECORD_NANO)))
    return fleet


def select(db, a):
    return fleet_resize.check_and_select(db, a, cache=compute_nodes.HostStateCache())


# ---- the zone the create asked for (Nova's RequestSpec.availability_zone) -----------------------

def zoned(name, zone, **more):
    """A host state in the aggregate that carries `zone` (as the inventory's aggregates give it)."""
    return dict(host_state(name, **more), availability_zone=zone,
                aggregates=[{'name': '%s-hosts' % zone, 'metadata': {'availability_zone': zone}}])


@pytest.fixture
def zones(fleet):
    """hv1 (the server's host, built in az1) and hv2 in az1, hv3 in az2; the stacking weighers
    would pick hv2, then hv3."""
    compute_nodes.report(fleet, zoned('hv1', 'az1', vcpus_used=5, instances={UUID: None}))
    compute_nodes.report(fleet, zoned('hv2', 'az1', vcpus_used=3))
    compute_nodes.report(fleet, zoned('hv3', 'az2', vcpus_used=0))
    instances.record_build(fleet, dict(record(), flavor=dict(RECORD_NANO)))
    return fleet


def zone_filter_step(out):
    (step,) = [step for step in out['trace'][0]['filters'] if step['filter'] == 'AvailabilityZoneFilter']
    return step


def test_a_server_that_asked_for_a_zone_is_resized_within_it(zones):
    out = select(zones, args(availability_zone='az1', request_spec={'availability_zone': 'az1'}))
    assert out['request_spec']['availability_zone'] == 'az1'
    assert [item['host'] for item in out['destinations']] == ['hv2']
    assert zone_filter_step(out)['reasons'] == {'hv3': 'in availability zone az2, az1 requested'}
    # its own host too, when allowed: still nothing outside az1
    out = select(zones, args(same_host=True, availability_zone='az1',
                             request_spec={'availability_zone': 'az1'}))
    assert [item['host'] for item in out['destinations']] == ['hv1', 'hv2']


def test_no_other_host_in_the_zone_asked_for_is_no_valid_host(zones):
    compute_nodes.report(zones, zoned('hv2', 'az2', vcpus_used=3))
    with pytest.raises(NoValidHost) as info:
        select(zones, args(availability_zone='az1', request_spec={'availability_zone': 'az1'}))
    assert str(info.value) == ('No valid host was found. AvailabilityZoneFilter removed hv2, hv3: '
                               'in availability zone az2, az1 requested')


@pytest.mark.parametrize('stored', [
    {'request_spec': {'availability_zone': None}},   # asked for none: its host's zone was given
    {},                                              # a record from before the request was kept
], ids=['asked-for-none', 'no-stored-request'])
def test_a_server_that_asked_for_no_zone_may_move_to_any_zone(zones, stored):
    out = select(zones, args(availability_zone='az1', **stored))
    assert out['request_spec']['availability_zone'] is None
    # each destination with its host's zone (Nova's Selection.availability_zone), which the
    # record takes there: hv3 would move the server to az2
    assert [(item['host'], item['availability_zone']) for item in out['destinations']] == [
        ('hv2', 'az1'), ('hv3', 'az2')]
    assert not [step for step in out['trace'][0]['filters'] if step['filter'] == 'AvailabilityZoneFilter'
                and step['removed']]


def test_the_servers_own_host_is_ignored_without_allow_resize_to_same_host(rows):
    out = select(rows, args())
    assert out['request_spec']['ignore_hosts'] == ['hv1']
    assert [item['host'] for item in out['destinations']] == ['hv2', 'hv3']
    assert out['same_host'] is False
    assert out['new_flavor']['name'] == 'm1.small' and out['request_spec']['flavor']['vcpus'] == 2
    assert out['deltas'] == {'cores': 1, 'ram': 128}
    removed = [step for step in out['trace'][0]['filters'] if step.get('hosts_out')]
    assert removed and 'hv1' in str(removed[0])


@pytest.mark.parametrize('scheduler, zone', [({}, 'nova'), ({'default_availability_zone': 'zone0'}, 'zone0')],
                         ids=['nova-default', 'configured-default'])
def test_a_host_whose_row_has_no_zone_is_in_the_default_zone(rows, scheduler, zone):
    compute_nodes.report(rows, dict(host_state('hv3', vcpus_used=0), availability_zone=None))
    out = select(rows, dict(args(), scheduler=dict(PACK, **scheduler)))
    assert [(item['host'], item['availability_zone']) for item in out['destinations']] == [
        ('hv2', 'az-hv2'), ('hv3', zone)]


def test_with_allow_resize_to_same_host_the_own_host_may_be_chosen(rows):
    out = select(rows, args(same_host=True))
    assert out['request_spec']['ignore_hosts'] == []
    assert out['destinations'][0]['host'] == 'hv1' and out['same_host'] is True
    assert [item['host'] for item in out['destinations'][1:]] == ['hv2', 'hv3']


def test_the_own_host_too_full_for_the_new_flavor_beside_the_old_goes_elsewhere(rows):
    # 7 of 8 vCPUs used on hv1 (its server's 1 among them): 2 more do not fit there
    compute_nodes.report(rows, host_state('hv1', vcpus_used=7, instances={UUID: None}))
    out = select(rows, args(same_host=True))
    assert [item['host'] for item in out['destinations']] == ['hv2', 'hv3']


def test_no_other_host_fits_is_novas_no_valid_host(rows):
    with pytest.raises(NoValidHost) as info:
        select(rows, dict(args(), hosts=['hv1']))
    assert str(info.value).startswith('No valid host was found.')


def test_upsize_over_the_cores_quota_is_refused_before_scheduling(rows):
    with pytest.raises(QuotaExceeded) as info:
        select(rows, args('m1.large', quotas={'defaults': {'cores': 3}}))
    assert info.value.msg == 'Quota exceeded for cores: Requested 3, but already used 1 of 3 cores'


def test_policy_lock_state_and_flavor_come_first(rows):
    with pytest.raises(PolicyNotAuthorized):
        select(rows, args(context={'project_id': 'p1', 'user_id': 'u2', 'roles': ['reader']}))
    with pytest.raises(LifecycleError) as info:
        select(rows, args(locked=True, locked_by='owner'))
    assert str(info.value) == 'Instance %s is locked' % UUID
    with pytest.raises(LifecycleError) as info:
        select(rows, args(vm_state='resized'))
    assert "Cannot 'resize' instance %s while it is in vm_state resized" % UUID == str(info.value)
    with pytest.raises(ValidationError) as info:
        select(rows, args('m1.nano'))
    assert info.value.rule == 'When resizing, instances must change flavor!'
