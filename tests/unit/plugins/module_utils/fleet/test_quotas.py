# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Quota reservations in the fleet database: count and reserve in one transaction."""

import multiprocessing

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.errors import QuotaExceeded
from ansible_collections.novalite.compute.plugins.module_utils.fleet import instances, quotas, schema

FLAVOR = {'name': 'm1.nano', 'vcpus': 1, 'memory_mb': 128, 'root_gb': 1}
QUOTAS = {'defaults': {'instances': 5, 'cores': 20, 'ram': 51200}}


def spec(uuids, minimum=1, project='p1', user='u1', group=None):
    return {'project_id': project, 'user_id': user, 'flavor': FLAVOR, 'num_instances': len(uuids),
            'min_num_instances': minimum, 'instance_uuids': list(uuids), 'instance_group': group}


def record(uuid, host='hv1', project='p1', user='u1', group=None):
    return {'uuid': uuid, 'name': uuid, 'project_id': project, 'user_id': user, 'flavor': FLAVOR,
            'vm_state': 'active', 'host': host, 'ports': [],
            'instance_group': {'uuid': group} if group else None}


def test_a_reservation_counts_until_the_instance_is_recorded_then_the_instance_counts(fleet):
    result = quotas.reserve(fleet, spec(['a', 'b']), QUOTAS)
    assert result['num_instances'] == 2 and result['instance_uuids'] == ['a', 'b']
    assert quotas.usage(fleet, 'p1', 'u1')['project'] == {'instances': 2, 'cores': 2, 'ram': 256}
    instances.record_build(fleet, record('a'))
    assert quotas.usage(fleet, 'p1', 'u1')['project'] == {'instances': 2, 'cores': 2, 'ram': 256}
    instances.forget(fleet, 'b')
    assert quotas.usage(fleet, 'p1', 'u1')['project'] == {'instances': 1, 'cores': 1, 'ram': 128}
    rows = fleet.rows("SELECT resource, in_use, reserved FROM quota_usages WHERE user_id = '' "
                      "ORDER BY resource")
    assert rows[1] == {'resource': 'instances', 'in_use': 0, 'reserved': 2}


def test_a_multi_create_is_trimmed_to_what_fits_and_min_count_is_enforced(fleet):
    quotas.reserve(fleet, spec(['a', 'b', 'c']), QUOTAS)
    result = quotas.reserve(fleet, spec(['d', 'e', 'f']), QUOTAS)
    assert result['num_instances'] == 2 and result['instance_uuids'] == ['d', 'e']
    with pytest.raises(QuotaExceeded) as err:
        quotas.reserve(fleet, spec(['g']), QUOTAS)
    assert 'Quota exceeded for instances' in err.value.msg
    assert quotas.usage(fleet, 'p1', 'u1')['project']['instances'] == 5


def test_reserving_again_for_the_same_instances_replaces_their_reservation(fleet):
    quotas.reserve(fleet, spec(['a', 'b']), QUOTAS)
    quotas.reserve(fleet, spec(['a', 'b']), QUOTAS)
    assert quotas.usage(fleet, 'p1', 'u1')['project']['instances'] == 2


def test_expired_reservations_do_not_count(fleet):
    quotas.reserve(fleet, spec(['a', 'b', 'c', 'd', 'e']), QUOTAS, expire=-1)
    assert quotas.reserve(fleet, spec(['f']), QUOTAS)['num_instances'] == 1


def test_user_limits_and_other_projects(fleet):
    limits = dict(QUOTAS, users={'p1': {'u2': {'instances': 1}}})
    quotas.reserve(fleet, spec(['a'], user='u2'), limits)
    with pytest.raises(QuotaExceeded):
        quotas.reserve(fleet, spec(['b'], user='u2'), limits)
    assert quotas.reserve(fleet, spec(['c'], project='p2'), limits)['num_instances'] == 1


def test_server_group_members_are_counted_and_recorded(fleet):
    limits = dict(QUOTAS, defaults=dict(QUOTAS['defaults'], server_group_members=2))
    group = {'uuid': 'g1', 'name': 'web', 'policy': 'anti-affinity'}
    quotas.reserve(fleet, spec(['a', 'b'], group=group), limits)
    assert instances.populate_group(fleet, group)['members'] == ['a', 'b']
    with pytest.raises(QuotaExceeded) as err:
        quotas.reserve(fleet, spec(['c'], group=group), limits)
    assert err.value.overs == ['server_group_members']
    assert quotas.usage(fleet, 'p1', 'u1')['project']['instances'] == 2


def _reserve_six(url, name, queue):
    db = schema.connect(url)
    got = 0
    try:
        for n in range(6):
            try:
                got += quotas.reserve(db, spec(['%s-%d' % (name, n)]), QUOTAS)['num_instances']
            except QuotaExceeded:
                pass
        queue.put(got)
    except Exception as exc:  # reported to the test, which fails with it
        queue.put(repr(exc))
    finally:
        db.close()


def test_two_controllers_reserving_at_once_get_exactly_the_quota(fleet_url):
    schema.connect(fleet_url).close()
    context = multiprocessing.get_context('fork')
    queue = context.Queue()
    procs = [context.Process(target=_reserve_six, args=(fleet_url, name, queue)) for name in 'ab']
    for proc in procs:
        proc.start()
    got = [queue.get(timeout=120) for _proc in procs]
    for proc in procs:
        proc.join(60)
    assert all(isinstance(n, int) for n in got), got
    assert sum(got) == 5
    db = schema.connect(fleet_url)
    try:
        assert quotas.usage(db, 'p1', 'u1')['project']['instances'] == 5
    finally:
        db.close()


def test_upsize_check_counts_the_server_at_its_old_flavor_and_reservations(fleet):
    limited = {'defaults': {'instances': 5, 'cores': 4, 'ram': 51200}}
    quotas.reserve(fleet, spec(['a', 'b']), limited)
    instances.record_build(fleet, record('a'))
    bigger = dict(FLAVOR, vcpus=3, memory_mb=256)
    # 2 cores used (a's row, b's reservation): a from 1 to 3 cores is 4 of 4
    checked = quotas.check_upsize(fleet, 'p1', 'u1', FLAVOR, bigger, limited)
    assert checked['deltas'] == {'cores': 2, 'ram': 128}
    assert checked['usage']['project']['cores'] == 2
    # nothing reserved by the check: the same upsize of b is still 4 of 4 ...
    quotas.check_upsize(fleet, 'p1', 'u1', FLAVOR, bigger, limited)
    # ... and one core more is over
    with pytest.raises(QuotaExceeded) as info:
        quotas.check_upsize(fleet, 'p1', 'u1', FLAVOR, dict(bigger, vcpus=4), limited)
    assert info.value.msg == 'Quota exceeded for cores: Requested 3, but already used 2 of 4 cores'
    # another project's servers do not count
    assert quotas.check_upsize(fleet, 'p2', 'u9', FLAVOR, dict(bigger, vcpus=4), limited)['usage'][
        'project']['cores'] == 0
