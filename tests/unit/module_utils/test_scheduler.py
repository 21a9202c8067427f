# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The FilterScheduler end to end: forced/ignored hosts, multi-create, alternates, errors."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.errors import (
    NoValidHost, ValidationError)
from ansible_collections.novalite.compute.plugins.module_utils.scheduler import (
    filter_hosts, select_destinations, weigh_hosts)
from ansible_collections.novalite.compute.plugins.module_utils.scheduler_options import resolve


def host(name, ram_used=0, **fields):
    data = dict(host=name, vcpus_total=8, vcpus_used=0, memory_mb_total=8192,
                memory_mb_used=ram_used, disk_gb_total=100, disk_gb_used=0,
                cpu_allocation_ratio=1.0, ram_allocation_ratio=1.0, disk_allocation_ratio=1.0)
    data.update(fields)
    return data


def spec(count=1, group=None, **fields):
    data = dict(flavor=dict(name='m1.small', vcpus=1, memory_mb=2048, root_gb=10),
                instance_uuids=['uuid-%d' % n for n in range(1, count + 1)], num_instances=count,
                instance_group=group)
    data.update(fields)
    return data


def group(policy, **fields):
    data = dict(uuid='g-1', name='web-ag', policy=policy, rules={}, members=[], hosts=[])
    data.update(fields)
    return data


def chosen(selections):
    return [entry[0]['host'] for entry in selections]


THREE = [host('hv1', ram_used=4096), host('hv2', ram_used=0), host('hv3', ram_used=2048)]


def test_single_instance_goes_to_the_best_host_and_others_are_alternates():
    selections, trace = select_destinations(THREE, spec())
    assert chosen(selections) == ['hv2']
    assert [item['host'] for item in selections[0]] == ['hv2', 'hv3', 'hv1']
    assert selections[0][0] == {'host': 'hv2', 'nodename': 'hv2', 'weight': trace[0]['weighed'][0]['weight']}
    assert [row['host'] for row in trace[0]['weighed']] == ['hv2', 'hv3', 'hv1']
    assert trace[0]['selected'] == 'hv2' and trace[0]['alternates'] == ['hv3', 'hv1']
    ram = trace[0]['weighed'][1]['weighers']['RAMWeigher']
    assert ram == {'raw': 6144, 'normalized': 0.75, 'multiplier': 1.0, 'weighted': 0.75}


def test_inputs_are_not_changed():
    hosts, request = copy.deepcopy(THREE), spec(3, group=group('anti-affinity'))
    before = (copy.deepcopy(hosts), copy.deepcopy(request))
    select_destinations(hosts, request)
    assert (hosts, request) == before


def test_stacking_with_negative_ram_multiplier():
    selections, _trace = select_destinations(THREE, spec(), {'ram_weight_multiplier': -1.0})
    assert chosen(selections) == ['hv1']


def test_multi_create_consumes_between_picks():
    # hv2 is emptiest; after one 2 GiB pick it is level with hv3 (a tie keeps the order),
    # after two it is below it.
    selections, trace = select_destinations(THREE, spec(3), {'weight_classes': ['RAMWeigher']})
    assert chosen(selections) == ['hv2', 'hv2', 'hv3']
    assert [t['instance_uuid'] for t in trace] == ['uuid-1', 'uuid-2', 'uuid-3']


def test_multi_create_all_or_nothing():
    hosts = [host('hv1', ram_used=4096), host('hv2', ram_used=6144)]   # room for 2 + 1
    with pytest.raises(NoValidHost) as err:
        select_destinations(hosts, spec(4), {'weight_classes': ['RAMWeigher']})
    # hv1 was full for instance 3 already; instance 4 starts from what survived, hv2.
    assert str(err.value) == (
        'No valid host was found. instance 4 of 4 (uuid-4): ResourceFilter removed hv2: '
        'MEMORY_MB: requested 2048, used 8192 of capacity 8192')
    assert len(err.value.trace) == 4
    assert [t['selected'] for t in err.value.trace[:3]] == ['hv1', 'hv1', 'hv2']
    assert 'selected' not in err.value.trace[3]


def test_anti_affinity_across_a_multi_create():
    selections, _trace = select_destinations(THREE, spec(3, group=group('anti-affinity')))
    assert sorted(chosen(selections)) == ['hv1', 'hv2', 'hv3']


def test_anti_affinity_no_valid_host_message():
    hosts = [host('hv1', instances={'old-1': 'g-1'}), host('hv2', instances={'old-2': 'g-1'}),
             host('hv3', instances={'old-3': None})]
    request = spec(1, group=group('anti-affinity', members=['old-1', 'old-2', 'old-3']))
    with pytest.raises(NoValidHost) as err:
        select_destinations(hosts, request)
    assert err.value.msg == ('No valid host was found. ServerGroupAntiAffinityFilter removed '
                             'hv1, hv2, hv3: group web-ag already has a server there')


def test_anti_affinity_max_server_per_host():
    request = spec(4, group=group('anti-affinity', rules={'max_server_per_host': 2}))
    selections, _trace = select_destinations(THREE[:2], request)
    assert sorted(chosen(selections)) == ['hv1', 'hv1', 'hv2', 'hv2']
    with pytest.raises(NoValidHost, match='instance 5 of 5'):
        select_destinations(THREE[:2], spec(5, group=group('anti-affinity', rules={'max_server_per_host': 2})))


def test_affinity_keeps_a_multi_create_together():
    selections, _trace = select_destinations(THREE, spec(3, group=group('affinity')))
    assert chosen(selections) == ['hv2', 'hv2', 'hv2']


def test_affinity_follows_existing_members():
    request = spec(2, group=group('affinity', members=['old'], hosts=['hv1']))
    selections, _trace = select_destinations(THREE, request)
    assert chosen(selections) == ['hv1', 'hv1']
    full = spec(3, group=group('affinity', members=['old'], hosts=['hv1']))
    with pytest.raises(NoValidHost, match='instance 3 of 3 .*ResourceFilter removed hv1'):
        select_destinations(THREE, full)


def test_soft_anti_affinity_spreads_but_never_fails():
    request = spec(4, group=group('soft-anti-affinity'))
    multipliers = {'ram_weight_multiplier': 0.0, 'cpu_weight_multiplier': 0.0,
                   'disk_weight_multiplier': 0.0, 'io_ops_weight_multiplier': 0.0}
    selections, _trace = select_destinations(THREE[1:], request, multipliers)
    assert sorted(chosen(selections)) == ['hv2', 'hv2', 'hv3', 'hv3']


def test_alternates_never_include_a_selected_host_and_respect_max_attempts():
    hosts = [host('hv%d' % n, ram_used=256 * n) for n in range(1, 7)]
    selections, _trace = select_destinations(hosts, spec(2, group=group('anti-affinity')),
                                             {'max_attempts': 3})
    picked = set(chosen(selections))
    for entry in selections:
        assert len(entry) == 3
        assert not picked.intersection(item['host'] for item in entry[1:])
    assert [item['host'] for item in selections[0][1:]] == ['hv3', 'hv4']
    single, _trace = select_destinations(hosts, spec(), {'max_attempts': 1})
    assert len(single[0]) == 1


def test_alternates_are_refiltered_after_the_last_pick():
    # Two hosts with room for exactly one instance each, one roomy host.
    hosts = [host('big'), host('a', ram_used=6144), host('b', ram_used=6144)]
    selections, _trace = select_destinations(hosts, spec(2), {'ram_weight_multiplier': -1.0})
    assert chosen(selections) == ['a', 'b']
    assert [[item['host'] for item in entry[1:]] for entry in selections] == [['big'], ['big']]


def test_fewer_hosts_than_alternates():
    selections, _trace = select_destinations(THREE[:1], spec(), {'max_attempts': 5})
    assert selections == [[{'host': 'hv1', 'nodename': 'hv1', 'weight': 0.0}]]


@pytest.mark.parametrize('fields, expected', [
    (dict(force_hosts=['HV3']), ['hv3']),                       # case-insensitive
    (dict(force_nodes=['hv1']), ['hv1']),
    (dict(ignore_hosts=['hv2']), ['hv3']),
    (dict(ignore_hosts=['hv2', 'hv3'], force_hosts=['hv3', 'hv1']), ['hv1']),   # ignore first
    (dict(requested_destination={'host': 'hv1', 'node': None}), ['hv1']),
    (dict(requested_destination={'host': 'hv1', 'node': 'hv1'}), ['hv1']),
])
def test_forced_ignored_and_requested_hosts(fields, expected):
    selections, _trace = select_destinations(THREE, spec(**fields))
    assert chosen(selections) == expected


def test_forced_host_skips_filters_but_not_the_resource_fit():
    hosts = [host('hv1', service_disabled=True), host('hv2', ram_used=8000)]
    selections, trace = select_destinations(hosts, spec(force_hosts=['hv1']))
    assert chosen(selections) == ['hv1']
    assert trace[0]['filters_skipped'] == 'forced host or node: only ResourceFilter runs'
    assert [step['filter'] for step in trace[0]['filters']] == ['force_hosts', 'ResourceFilter']
    with pytest.raises(NoValidHost, match='ResourceFilter removed hv2: MEMORY_MB'):
        select_destinations(hosts, spec(force_hosts=['hv2']))


def test_requested_destination_still_runs_filters():
    hosts = [host('hv1', service_disabled=True, service_disabled_reason='broken fan'), host('hv2')]
    with pytest.raises(NoValidHost) as err:
        select_destinations(hosts, spec(requested_destination={'host': 'hv1'}))
    assert err.value.msg == ('No valid host was found. ComputeFilter removed hv1: '
                             'compute service disabled: broken fan')


@pytest.mark.parametrize('fields, message', [
    (dict(force_hosts=['hv9']), 'force_hosts removed hv1, hv2, hv3: not in force_hosts hv9'),
    (dict(ignore_hosts=['hv1', 'hv2', 'hv3']), 'ignore_hosts removed hv1, hv2, hv3: listed in ignore_hosts'),
    (dict(requested_destination={'host': 'hv9', 'node': 'n9'}),
     'requested_destination removed hv1, hv2, hv3: not the requested destination hv9:n9'),
])
def test_no_host_left_by_request_restrictions(fields, message):
    with pytest.raises(NoValidHost) as err:
        select_destinations(THREE, spec(**fields))
    assert err.value.reason == message


def test_no_hosts_at_all():
    with pytest.raises(NoValidHost, match='there are no hosts to choose from'):
        select_destinations([], spec())


def test_mixed_reasons_are_listed_per_host():
    hosts = [host('hv1', service_disabled=True), host('hv2', updated='2000-01-01T00:00:00Z')]
    with pytest.raises(NoValidHost) as err:
        select_destinations(hosts, spec())
    assert err.value.reason.startswith('ComputeFilter removed hv1 (compute service disabled); '
                                       'hv2 (compute service not heard from for ')


def test_trace_lists_each_filter_step():
    hosts = THREE + [host('hv4', ram_used=8000), host('hv5', service_disabled=True)]
    _selections, trace = select_destinations(hosts, spec(2))
    first = trace[0]['filters']
    assert [step['filter'] for step in first] == resolve()['enabled_filters']
    assert first[0] == {'filter': 'ResourceFilter', 'hosts_in': 5, 'hosts_out': 4, 'removed': ['hv4'],
                        'reasons': {'hv4': 'MEMORY_MB: requested 2048, used 8000 of capacity 8192'}}
    assert first[2]['removed'] == ['hv5']
    # Once-per-request filters do not run again for the second instance.
    assert [step['filter'] for step in trace[1]['filters']] == [
        'ResourceFilter', 'ServerGroupAntiAffinityFilter', 'ServerGroupAffinityFilter']
    assert trace[1]['hosts_in'] == 3


def test_host_subset_size_is_random_among_the_best_and_seedable():
    hosts = [host('hv%d' % n, ram_used=100 * n) for n in range(1, 6)]
    seen = set()
    for seed in range(40):
        selections, _trace = select_destinations(hosts, spec(), {'host_subset_size': 3, 'random_seed': seed})
        seen.add(chosen(selections)[0])
    assert seen == {'hv1', 'hv2', 'hv3'}
    runs = [select_destinations(hosts, spec(), {'host_subset_size': 5, 'random_seed': 7})[0] for _run in range(2)]
    assert runs[0] == runs[1]


def test_shuffle_best_same_weighed_hosts():
    hosts = [host('hv%d' % n) for n in range(1, 5)]
    plain = set(chosen(select_destinations(hosts, spec(), {'random_seed': seed})[0])[0] for seed in range(20))
    assert plain == {'hv1'}
    shuffle = {'shuffle_best_same_weighed_hosts': True}
    shuffled = set(chosen(select_destinations(hosts, spec(), dict(shuffle, random_seed=seed))[0])[0]
                   for seed in range(40))
    assert shuffled == {'hv1', 'hv2', 'hv3', 'hv4'}


def test_spec_without_uuids_still_tracks_the_group():
    request = spec(3, group=group('anti-affinity'))
    del request['instance_uuids']
    selections, trace = select_destinations(THREE, request)
    assert sorted(chosen(selections)) == ['hv1', 'hv2', 'hv3']
    assert len(set(t['instance_uuid'] for t in trace)) == 3


@pytest.mark.parametrize('options, words', [
    ({'no_such_option': 1}, 'scheduler: unknown option no_such_option'),
    ({'enabled_filters': ['RamFilter']}, 'scheduler.enabled_filters: unknown filter RamFilter'),
    ({'weight_classes': 'RAMWeigher, Nope'}, 'scheduler.weight_classes: unknown weigher Nope'),
    ({'host_subset_size': 0}, 'scheduler.host_subset_size: must be at least 1'),
    ({'max_attempts': 'three'}, 'scheduler.max_attempts: must be an integer'),
    ({'ram_weight_multiplier': 'x'}, 'scheduler.ram_weight_multiplier: must be a number'),
    ({'shuffle_best_same_weighed_hosts': 'maybe'}, 'must be a boolean'),
])
def test_bad_options_are_named(options, words):
    with pytest.raises(ValidationError) as err:
        select_destinations(THREE, spec(), options)
    assert words in err.value.msg


def test_option_defaults_and_conversion():
    opts = resolve({'weight_classes': 'nova.scheduler.weights.ram.RAMWeigher,CPUWeigher',
                    'shuffle_best_same_weighed_hosts': 'yes', 'max_attempts': '5'})
    assert opts['weight_classes'] == ['RAMWeigher', 'CPUWeigher']
    assert opts['shuffle_best_same_weighed_hosts'] is True and opts['max_attempts'] == 5
    defaults = resolve()
    assert defaults['io_ops_weight_multiplier'] == -1.0
    assert defaults['build_failure_weight_multiplier'] == 1000000.0
    assert defaults['num_instances_weight_multiplier'] == 0.0
    assert defaults['enabled_filters'][:2] == ['ResourceFilter', 'AvailabilityZoneFilter']
    assert len(resolve({'weight_classes': ['nova.scheduler.weights.all_weighers']})['weight_classes']) == 9


def test_bad_input_is_named():
    with pytest.raises(ValidationError, match=r'request_spec.flavor: is required'):
        select_destinations(THREE, {})
    with pytest.raises(ValidationError, match=r'hosts\[1\]: must be a host state dict'):
        select_destinations([THREE[0], 'hv2'], spec())


def test_filter_hosts_and_weigh_hosts():
    hosts = THREE + [host('hv4', ram_used=8000)]
    passing, steps = filter_hosts(hosts, spec())
    assert passing == THREE and passing[0] is THREE[0]
    assert steps[0]['removed'] == ['hv4']
    weighed = weigh_hosts(hosts, spec(), {'weight_classes': ['RAMWeigher']})
    assert [row['host'] for row in weighed] == ['hv2', 'hv3', 'hv1', 'hv4']
    assert set(weighed[0]) == {'host', 'nodename', 'weight', 'weighers'}
