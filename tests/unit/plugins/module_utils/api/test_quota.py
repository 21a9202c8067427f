# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Quota limits, usage counted from servers, multi-create trimming, Nova's messages."""

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.api import quota
from ansible_collections.novalite.compute.plugins.module_utils.errors import QuotaExceeded

GROUP = '77777777-7777-4777-8777-777777777777'
FLAVOR = {'name': 'm1.medium', 'vcpus': 2, 'memory_mb': 1024, 'root_gb': 1}


def servers(count, project='demo', user='alice', vcpus=2, ram=1024, **extra):
    return [dict({'id': '%s-%s-%d' % (project, user, i), 'project_id': project,
                  'user_id': user, 'vm_state': 'active',
                  'flavor': {'vcpus': vcpus, 'memory_mb': ram}}, **extra)
            for i in range(count)]


def spec(num=1, min_num=None, flavor=None, group=None):
    return {'project_id': 'demo', 'user_id': 'alice', 'flavor': FLAVOR if flavor is None else flavor,
            'num_instances': num, 'min_num_instances': min_num or num,
            'instance_uuids': ['new-%d' % i for i in range(num)],
            'instance_group': {'uuid': group} if group else None}


def test_limits_merge_defaults_project_user():
    quotas = {'defaults': {'instances': 20, 'cores': 40},
              'projects': {'demo': {'cores': 60, 'ram': 1000}},
              'users': {'demo': {'alice': {'instances': 5}}}}
    project, user = quota.resolve_limits(quotas, 'demo', 'alice')
    assert (project['instances'], project['cores'], project['ram']) == (20, 60, 1000)
    assert (user['instances'], user['cores'], user['ram']) == (5, 60, 1000)
    assert project['metadata_items'] == 128 and user['server_group_members'] == 10
    other_project, bob = quota.resolve_limits(quotas, 'other', 'bob')
    assert other_project['cores'] == 40 and bob['instances'] == 20


def test_limits_without_quotas_are_novas_defaults():
    project, user = quota.resolve_limits(None, 'p', 'u')
    assert project == quota.DEFAULT_LIMITS == user


def test_usage_counts_project_and_user_not_deleted():
    existing = (servers(3) + servers(2, user='bob') + servers(4, project='other')
                + servers(1, vm_state='deleted', id='gone'))
    usage = quota.count_usage(existing, 'demo', 'alice')
    assert usage['project'] == {'instances': 5, 'cores': 10, 'ram': 5120}
    assert usage['user'] == {'instances': 3, 'cores': 6, 'ram': 3072}


def test_usage_counts_a_server_once():
    twice = servers(1) * 2
    assert quota.count_usage(twice, 'demo', 'alice')['project']['instances'] == 1


def test_fits():
    result = quota.check_request(spec(3), servers(2), {})
    assert result['num_instances'] == 3 and result['instance_uuids'] == ['new-0', 'new-1',
                                                                         'new-2']
    assert result['usage']['project']['cores'] == 4


def test_cores_message():
    # 9 servers of 2 cores = 18 of 20 cores used; 4 more of 2 cores = 8 requested
    with pytest.raises(QuotaExceeded) as info:
        quota.check_request(spec(4), servers(9), {'defaults': {'instances': 20}})
    assert info.value.msg == ('Quota exceeded for cores: Requested 8, but already used 18 of '
                              '20 cores')
    assert info.value.overs == ['cores']


def test_several_resources_over_with_range():
    quotas = {'defaults': {'instances': 3, 'cores': 4, 'ram': 2048}}
    with pytest.raises(QuotaExceeded) as info:
        quota.check_request(spec(3, min_num=2), servers(2), quotas)
    assert info.value.msg == ('Quota exceeded for cores, instances, ram: Requested 6, 2-3, '
                              '3072, but already used 4, 2, 2048 of 4, 3, 2048 cores, '
                              'instances, ram')


def test_partial_multi_create():
    result = quota.check_request(spec(5, min_num=2), servers(7), {})
    assert result['num_instances'] == 3        # 6 cores left of 20 -> three 2-core servers
    assert result['instance_uuids'] == ['new-0', 'new-1', 'new-2']


def test_partial_limited_by_user():
    quotas = {'users': {'demo': {'alice': {'instances': 4}}}}
    result = quota.check_request(spec(5, min_num=1), servers(2) + servers(3, user='bob'), quotas)
    assert result['num_instances'] == 2
    assert result['limits']['user']['instances'] == 4


def test_user_limit_message_uses_user_numbers():
    quotas = {'users': {'demo': {'alice': {'instances': 2}}}}
    with pytest.raises(QuotaExceeded) as info:
        quota.check_request(spec(1), servers(2) + servers(3, user='bob'), quotas)
    assert info.value.msg == ('Quota exceeded for instances: Requested 1, but already used 2 of '
                              '2 instances')


def test_unlimited():
    quotas = {'defaults': {'instances': -1, 'cores': -1, 'ram': -1}}
    assert quota.check_request(spec(50), servers(100), quotas)['num_instances'] == 50


def test_unlimited_instances_but_cores_bound():
    quotas = {'defaults': {'instances': -1, 'cores': 10, 'ram': -1}}
    assert quota.check_request(spec(9, min_num=1), servers(3), quotas)['num_instances'] == 2


def test_zero_core_flavor_not_bound_by_cores():
    flavor = dict(FLAVOR, vcpus=0)
    assert quota.check_request(spec(2, flavor=flavor), servers(10), {'defaults': {'instances': 12}})['num_instances'] == 2


def test_earlier_attempt_of_this_request_not_counted():
    existing = servers(9) + [{'id': 'new-0', 'project_id': 'demo', 'user_id': 'alice',
                              'flavor': {'vcpus': 2, 'memory_mb': 1024}}]
    assert quota.check_request(spec(1), existing, {})['num_instances'] == 1


def test_recheck_passes_and_fails():
    mine = [dict(s, id='new-%d' % i) for i, s in enumerate(servers(2, ram=1))]
    quotas = {'defaults': {'instances': 20}}
    assert quota.check_request(spec(2), servers(8) + mine, quotas,
                               recheck_after_build=True)['num_instances'] == 2
    with pytest.raises(QuotaExceeded) as info:
        quota.check_request(spec(2), servers(9) + mine, quotas, recheck_after_build=True)
    assert info.value.msg == ('Quota exceeded for cores: Requested 4, but already used 18 of '
                              '20 cores')


def test_server_group_members():
    members = servers(9, instance_group=GROUP)
    quotas = {'defaults': {'instances': -1, 'cores': -1, 'ram': -1}}
    assert quota.check_request(spec(1, group=GROUP), members, quotas)['num_instances'] == 1
    with pytest.raises(QuotaExceeded) as info:
        quota.check_request(spec(2, group=GROUP), members, quotas)
    assert info.value.msg == 'Quota exceeded, too many servers in group'
    # other users' members do not count against alice
    others = servers(9, user='bob', instance_group={'uuid': GROUP})
    assert quota.check_request(spec(10, group=GROUP), others, quotas)['num_instances'] == 10


@pytest.mark.parametrize('files,message', [
    ([('/a', 4)] * 6, 'Personality file limit exceeded'),
    ([('/' + 'p' * 255, 4)], 'Personality file path exceeds maximum 255'),
    ([('/a', 10244)], 'Personality file content exceeds maximum 10240'),
])
def test_injected_files(files, message):
    with pytest.raises(QuotaExceeded) as info:
        quota.check_injected_files(quota.DEFAULT_LIMITS, files)
    assert info.value.msg == message


def test_injected_files_within_limits():
    quota.check_injected_files(quota.DEFAULT_LIMITS, [('/' + 'p' * 254, 10240)] * 5)


def test_metadata_items():
    quota.check_metadata_items(quota.DEFAULT_LIMITS, 128)
    with pytest.raises(QuotaExceeded, match='^Maximum number of metadata items exceeds 128$'):
        quota.check_metadata_items(quota.DEFAULT_LIMITS, 129)


def test_catalog_usage():
    catalog = {'keypairs': [{'name': 'k', 'user_id': 'alice'}, {'name': 'k', 'user_id': 'bob'}],
               'server_groups': [{'uuid': 'g', 'project_id': 'demo'}]}
    usage = quota.check_request(spec(1), [], {}, catalog)['usage']
    assert (usage['key_pairs'], usage['server_groups']) == (1, 1)


@pytest.mark.parametrize('project,user,expected', [
    ({'instances': 10}, {'instances': 5}, 5),
    ({'instances': 10}, {'instances': 50}, 10),        # a user's override cannot lift the project's
    ({'instances': -1}, {'instances': 5}, 5),
    ({'instances': 10}, {'instances': -1}, 10),
    ({'instances': -1}, {'instances': -1}, -1),
])
def test_tighter_limits(project, user, expected):
    assert quota.tighter_limits(project, user) == {'instances': expected}


# (id, quotas, existing servers (alice's 2-core 1 GiB servers, bob's), min, max, allowed)
PARTIAL = [
    ('all-fit', {}, 2, 0, 1, 4, 4),
    ('cores-bind', {}, 7, 0, 1, 5, 3),                       # 6 of 20 cores left
    ('ram-binds', {'defaults': {'ram': 6144}}, 2, 0, 1, 5, 4),
    ('instances-bind', {'defaults': {'instances': 4}}, 1, 0, 2, 5, 3),
    ('user-binds', {'users': {'demo': {'alice': {'instances': 3}}}}, 1, 4, 1, 5, 2),
    ('project-binds-over-user-override', {'users': {'demo': {'alice': {'instances': 50}}}},
     2, 6, 1, 5, 2),
    ('user-unlimited-project-binds', {'defaults': {'cores': -1, 'ram': -1},
                                      'users': {'demo': {'alice': {'instances': -1}}}},
     3, 3, 1, 9, 4),
    ('exactly-min', {}, 8, 0, 2, 5, 2),
    ('everything-unlimited', {'defaults': {'instances': -1, 'cores': -1, 'ram': -1}},
     500, 0, 50, 99, 99),
]


@pytest.mark.parametrize('quotas,mine,bobs,min_num,num,allowed', [c[1:] for c in PARTIAL],
                         ids=[c[0] for c in PARTIAL])
def test_partial_multi_create_takes_the_largest_count_that_fits(
        quotas, mine, bobs, min_num, num, allowed):
    existing = servers(mine) + servers(bobs, user='bob')
    result = quota.check_request(spec(num, min_num=min_num), existing, quotas)
    assert result['num_instances'] == allowed
    assert result['instance_uuids'] == ['new-%d' % i for i in range(allowed)]


@pytest.mark.parametrize('quotas,mine,min_num,num,message,overs', [
    ({'defaults': {'ram': 4096}}, 3, 2, 2,
     'Quota exceeded for ram: Requested 2048, but already used 3072 of 4096 ram', ['ram']),
    ({}, 10, 1, 3, 'Quota exceeded for cores, instances: Requested 6, 1-3, but already used '
     '20, 10 of 20, 10 cores, instances', ['cores', 'instances']),
    ({'defaults': {'instances': 20}}, 9, 2, 4,
     'Quota exceeded for cores: Requested 8, but already used 18 of 20 cores', ['cores']),
    ({'users': {'demo': {'alice': {'ram': 3000}}}}, 2, 1, 1,
     'Quota exceeded for ram: Requested 1024, but already used 2048 of 3000 ram', ['ram']),
])
def test_not_even_min_count_fits(quotas, mine, min_num, num, message, overs):
    with pytest.raises(QuotaExceeded) as info:
        quota.check_request(spec(num, min_num=min_num), servers(mine), quotas)
    assert info.value.msg == message
    assert info.value.overs == overs


def test_recheck_message_names_the_broken_limit():
    # a racing request of bob's took the room: alice's 3 new servers now break the project's
    # instances limit; the message counts the other servers as used
    mine = [dict(s, id='new-%d' % i) for i, s in enumerate(servers(3, vcpus=1, ram=1))]
    with pytest.raises(QuotaExceeded) as info:
        quota.check_request(spec(3), servers(8, user='bob', vcpus=1, ram=1) + mine,
                            {}, recheck_after_build=True)
    assert info.value.msg == ('Quota exceeded for instances: Requested 3, but already used 8 '
                              'of 10 instances')
    assert info.value.overs == ['instances']


def test_recheck_user_limit():
    mine = [dict(s, id='new-%d' % i) for i, s in enumerate(servers(2, vcpus=1, ram=1))]
    quotas = {'users': {'demo': {'alice': {'instances': 3}}}}
    with pytest.raises(QuotaExceeded, match='^Quota exceeded for instances: Requested 2, but '
                                            'already used 2 of 3 instances$'):
        quota.check_request(spec(2), servers(2, vcpus=1, ram=1) + mine, quotas,
                            recheck_after_build=True)
    assert quota.check_request(spec(2), servers(1, vcpus=1, ram=1) + mine, quotas,
                               recheck_after_build=True)['num_instances'] == 2


# --- the upsize check of a resize (Nova's _check_quota_for_upsize) ------------------------------

SMALL = {'vcpus': 1, 'memory_mb': 512}
LARGE = {'vcpus': 4, 'memory_mb': 2048}


def limits(project=None, user=None):
    project_limits, user_limits = quota.resolve_limits(
        {'defaults': dict({'cores': 20, 'ram': 51200}, **(project or {})),
         'users': {'demo': {'alice': user or {}}}}, 'demo', 'alice')
    return {'project': project_limits, 'user': user_limits}


def used(cores, ram, user_cores=None, user_ram=None):
    return {'project': {'instances': 1, 'cores': cores, 'ram': ram},
            'user': {'instances': 1, 'cores': cores if user_cores is None else user_cores,
                     'ram': ram if user_ram is None else user_ram}}


def test_upsize_deltas_are_the_growing_resources_only():
    assert quota.upsize_deltas(LARGE, SMALL) == {'cores': 3, 'ram': 1536}
    assert quota.upsize_deltas(SMALL, LARGE) == {}
    assert quota.upsize_deltas({'vcpus': 4, 'memory_mb': 256}, SMALL) == {'cores': 3}


def test_upsize_within_the_limits_passes_with_the_deltas():
    # 17 of 20 cores used (the server's 1 among them): 3 more fit exactly
    assert quota.check_upsize(SMALL, LARGE, limits(), used(17, 512)) == {'cores': 3, 'ram': 1536}


def test_upsize_over_the_cores_limit_gives_novas_message():
    with pytest.raises(QuotaExceeded) as info:
        quota.check_upsize(SMALL, LARGE, limits(), used(18, 512))
    assert info.value.msg == 'Quota exceeded for cores: Requested 3, but already used 18 of 20 cores'
    assert info.value.overs == ['cores']


def test_upsize_over_cores_and_ram_names_both():
    with pytest.raises(QuotaExceeded) as info:
        quota.check_upsize(SMALL, LARGE, limits({'ram': 2048}), used(18, 1024))
    assert info.value.msg == ('Quota exceeded for cores, ram: Requested 3, 1536, but already used '
                              '18, 1024 of 20, 2048 cores, ram')
    assert info.value.overs == ['cores', 'ram']


def test_a_downsize_or_a_resize_that_grows_nothing_is_never_over_quota():
    # already over the limit (limits lowered after the build): nothing to add, nothing refused
    assert quota.check_upsize(LARGE, SMALL, limits({'cores': 2}), used(30, 4096)) == {}


def test_upsize_bound_by_the_user_limit_names_the_users_numbers():
    with pytest.raises(QuotaExceeded) as info:
        quota.check_upsize(SMALL, LARGE, limits(user={'cores': 4}), used(10, 512, user_cores=2))
    assert info.value.msg == 'Quota exceeded for cores: Requested 3, but already used 2 of 4 cores'


def test_upsize_unlimited_cores_and_ram():
    assert quota.check_upsize(SMALL, LARGE, limits({'cores': -1, 'ram': -1}), used(500, 10 ** 6)) == {
        'cores': 3, 'ram': 1536}
