# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The FilterScheduler end to end: forced/ignored hosts, multi-create, alternates, errors,
ties, the trace; and the scheduler engine against Nova's structure (the reference)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import random

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.scheduler import engine
from ansible_collections.novalite.compute.plugins.module_utils.errors import (
    NoValidHost, UnsupportedPolicyException, ValidationError)
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.manager import (
    passing_hosts, schedule, select_destinations, weighed_hosts)
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.options import resolve
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.reference import (
    ReferenceScheduler)

from scheduler_helpers import NOW, load_host_states, random_cluster, random_options, random_request


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
    # Placement's candidates are both hosts for the whole request; by instance 4 both are
    # full and every claim fails.
    assert str(err.value) == (
        'No valid host was found. instance 4 of 4 (uuid-4): no host could claim the resources: '
        'hv2, hv1: MEMORY_MB: requested 2048, used 8192 of capacity 8192')
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
    with pytest.raises(NoValidHost, match='instance 3 of 3 .*no host could claim the resources: hv1'):
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
    (dict(force_hosts=['hv1', 'hv2']), ['hv1']),                # the first forced host only
    (dict(requested_destination={'host': 'hv1', 'node': None}), ['hv1']),
    (dict(requested_destination={'host': 'hv1', 'node': 'hv1'}), ['hv1']),
])
def test_forced_ignored_and_requested_hosts(fields, expected):
    selections, _trace = select_destinations(THREE, spec(**fields))
    assert chosen(selections) == expected


def test_forced_host_skips_filters_but_not_placement():
    hosts = [host('hv1', updated='2000-01-01T00:00:00Z'), host('hv2', ram_used=8000),
             host('hv3', service_disabled=True)]
    selections, trace = select_destinations(hosts, spec(force_hosts=['hv1']))
    assert chosen(selections) == ['hv1']          # ComputeFilter would remove it
    assert trace[0]['filters_skipped'] == 'forced host or node: only ResourceFilter runs'
    assert [step['filter'] for step in trace[0]['filters']] == ['force_hosts', 'ResourceFilter']
    with pytest.raises(NoValidHost, match='ResourceFilter removed hv2: MEMORY_MB'):
        select_destinations(hosts, spec(force_hosts=['hv2']))


def test_requested_destination_still_runs_filters():
    hosts = [host('hv1', forced_down=True), host('hv2')]
    with pytest.raises(NoValidHost) as err:
        select_destinations(hosts, spec(requested_destination={'host': 'hv1'}))
    assert err.value.msg == ('No valid host was found. ComputeFilter removed hv1: '
                             'compute service forced down')


@pytest.mark.parametrize('fields, message', [
    (dict(force_hosts=['hv9']), 'force_hosts removed hv1, hv2, hv3: not in force_hosts hv9'),
    (dict(force_nodes=['n9']), 'force_nodes removed hv1, hv2, hv3: not in force_nodes n9'),
    (dict(force_hosts=['hv1'], force_nodes=['hv2']), 'force_nodes removed hv1: not in force_nodes hv2'),
    (dict(ignore_hosts=['hv2', 'hv3'], force_hosts=['hv3', 'hv1']),
     'force_hosts removed hv1: not in force_hosts hv3'),           # hv1 is not asked for
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
    hosts = [host('hv1', forced_down=True), host('hv2', updated='2000-01-01T00:00:00Z')]
    with pytest.raises(NoValidHost) as err:
        select_destinations(hosts, spec())
    assert err.value.reason.startswith('ComputeFilter removed hv1 (compute service forced down); '
                                       'hv2 (compute service not heard from for ')


def test_trace_lists_each_filter_step():
    hosts = THREE + [host('hv4', ram_used=8000), host('hv5', service_disabled=True)]
    _selections, trace = select_destinations(hosts, spec(2))
    first = trace[0]['filters']
    assert [step['filter'] for step in first] == resolve()['enabled_filters']
    assert first[0] == {'filter': 'ResourceFilter', 'hosts_in': 5, 'hosts_out': 3,
                        'removed': ['hv4', 'hv5'],
                        'reasons': {'hv4': 'MEMORY_MB: requested 2048, used 8000 of capacity 8192',
                                    'hv5': 'compute service disabled'}}
    assert first[2]['filter'] == 'ComputeFilter' and first[2]['removed'] == []
    # Once-per-request filters (placement among them) do not run again for the second instance.
    assert [step['filter'] for step in trace[1]['filters']] == [
        'ServerGroupAntiAffinityFilter', 'ServerGroupAffinityFilter']
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


def test_passing_hosts_and_weighed_hosts():
    hosts = THREE + [host('hv4', ram_used=8000)]
    passing, steps = passing_hosts(hosts, spec())
    assert passing == THREE and passing[0] is THREE[0]
    assert steps[0]['removed'] == ['hv4']
    weighed = weighed_hosts(hosts, spec(), {'weight_classes': ['RAMWeigher']})
    assert [row['host'] for row in weighed] == ['hv2', 'hv3', 'hv1', 'hv4']
    assert set(weighed[0]) == {'host', 'nodename', 'weight', 'weighers'}


# -- Nova 34's rules (nova/scheduler/manager.py, utils.py, request_filter.py, host_manager.py) --

def test_a_host_whose_claim_fails_stays_in_the_weighing():
    """Placement offers X for the whole request; after instance 1 X has no vCPU left, its
    claim would fail, but it still holds the most free RAM and so sets the RAM weigher's
    scale: Z, not Y, wins instance 2 (without X, Y would)."""
    hosts = [host('X', vcpus_total=2, memory_mb_total=16384), host('Y', vcpus_total=4),
             host('Z', vcpus_total=8, memory_mb_total=2048)]
    request = spec(2, flavor=dict(vcpus=2, memory_mb=1024, root_gb=1))
    options = {'weight_classes': ['RAMWeigher', 'CPUWeigher']}
    selections, trace = select_destinations(hosts, request, options)
    assert chosen(selections) == ['X', 'Z']
    assert [row['host'] for row in trace[1]['weighed']] == ['Z', 'Y', 'X']
    assert [step['filter'] for step in trace[1]['filters']] == [
        'ServerGroupAntiAffinityFilter', 'ServerGroupAffinityFilter']
    # The alternates are weighed again after the last claim; X is among them.
    assert [item['host'] for item in selections[0][1:]] == ['Y']
    states = load_host_states(hosts)
    assert outcome(states, request, options, False) == outcome(states, request, options, True)


def test_the_claim_walks_the_weighed_list_past_a_full_host():
    """Stacking puts the host that the first instance filled first again; its claim fails
    and the next host in the weighed list is claimed (Nova's loop over the sorted hosts)."""
    hosts = [host('a', ram_used=6144), host('b'), host('c', ram_used=1024)]
    request = spec(2)
    options = {'ram_weight_multiplier': -1.0, 'weight_classes': ['RAMWeigher']}
    selections, trace = select_destinations(hosts, request, options)
    assert chosen(selections) == ['a', 'c']
    assert trace[1]['weighed'][0]['host'] == 'a'
    assert trace[1]['claims_failed'] == {'a': 'MEMORY_MB: requested 2048, used 8192 of capacity 8192'}
    assert 'claims_failed' not in trace[0]
    assert [item['host'] for item in selections[1][1:]] == ['b']
    states = load_host_states(hosts)
    assert outcome(states, request, options, False) == outcome(states, request, options, True)


@pytest.mark.parametrize('options', [{}, {'enabled_filters': ['AllHostsFilter']}])
def test_a_disabled_compute_service_is_never_a_candidate(options):
    """compute_status_filter: placement forbids COMPUTE_STATUS_DISABLED, whatever the filters."""
    hosts = [host('hv1', service_disabled=True), host('hv2', ram_used=4096)]
    selections, trace = select_destinations(hosts, spec(), options)
    assert chosen(selections) == ['hv2'] and len(selections[0]) == 1
    assert trace[0]['filters'][0]['reasons'] == {'hv1': 'compute service disabled'}


def test_a_forced_disabled_host_is_no_valid_host():
    hosts = [host('hv1', service_disabled=True, service_disabled_reason='maintenance'), host('hv2')]
    with pytest.raises(NoValidHost) as err:
        select_destinations(hosts, spec(force_hosts=['hv1']))
    assert err.value.reason == 'ResourceFilter removed hv1: compute service disabled: maintenance'


def test_a_forced_down_service_is_down_whatever_its_heartbeat():
    hosts = [host('hv1', forced_down=True, updated=NOW.isoformat()), host('hv2', ram_used=4096)]
    selections, trace = select_destinations(hosts, spec(), now=NOW)
    assert chosen(selections) == ['hv2']
    compute = [step for step in trace[0]['filters'] if step['filter'] == 'ComputeFilter'][0]
    assert compute['reasons'] == {'hv1': 'compute service forced down'}


AZ1 = [{'name': 'az1-hosts', 'metadata': {'availability_zone': 'az1'}}]


@pytest.mark.parametrize('zone, expected', [
    ('nova', ['hv2', 'hv1']),          # no aggregate carries the default zone: no restriction
    ('az9', ['hv2', 'hv1']),           # nor any other zone no aggregate carries
    ('az1', ['hv2']),
])
def test_an_availability_zone_restricts_only_to_the_aggregates_that_carry_it(zone, expected):
    hosts = [host('hv1', ram_used=4096), host('hv2', aggregates=AZ1)]
    selections, _trace = select_destinations(hosts, spec(availability_zone=zone), {'max_attempts': 2})
    assert [item['host'] for item in selections[0]] == expected


def test_reserved_host_cpus_are_in_vcpus_used_and_off_the_capacity_once():
    """vcpus_used counts the 2 reserved CPUs as Nova's resource tracker reports them: the
    host below runs 2 vCPUs of instances and has room for 2 more."""
    hosts = [host('hv1', vcpus_total=6, vcpus_used=4, reserved_host_cpus=2)]
    selections, trace = select_destinations(hosts, spec(2, flavor=dict(vcpus=1, memory_mb=1, root_gb=0)))
    assert chosen(selections) == ['hv1', 'hv1']
    with pytest.raises(NoValidHost, match='VCPU: requested 3, used 2 of capacity 4'):
        select_destinations(hosts, spec(flavor=dict(vcpus=3, memory_mb=1, root_gb=0)))


def test_the_cpu_weigher_sees_the_reserved_cpus_as_used():
    hosts = [host('hv1', vcpus_total=8, vcpus_used=3, reserved_host_cpus=3), host('hv2', vcpus_total=8, vcpus_used=2)]
    rows = weighed_hosts(hosts, spec(), {'weight_classes': ['CPUWeigher']})
    assert [(row['host'], row['weighers']['CPUWeigher']['raw']) for row in rows] == [('hv2', 6.0), ('hv1', 5.0)]


def test_free_disk_goes_down_by_root_and_ephemeral_not_swap():
    """HostState.consume_from_request: (root_gb + ephemeral_gb) * 1024; placement's claim
    counts the swap."""
    hosts = [host('hv1'), host('hv2', disk_gb_used=1)]
    flavor = dict(vcpus=1, memory_mb=1, root_gb=2, ephemeral_gb=1, swap=4096)
    selections, trace = select_destinations(hosts, spec(2, flavor=flavor),
                                            {'weight_classes': ['DiskWeigher']})
    assert chosen(selections) == ['hv1', 'hv2']
    raw = dict((row['host'], row['weighers']['DiskWeigher']['raw']) for row in trace[1]['weighed'])
    assert raw == {'hv1': 100 * 1024 - 3 * 1024, 'hv2': 99 * 1024}


@pytest.mark.parametrize('policy, options, missing', [
    ('anti-affinity', {'enabled_filters': ['ComputeFilter']}, 'ServerGroupAntiAffinityFilter'),
    ('affinity', {'enabled_filters': ['ComputeFilter']}, 'ServerGroupAffinityFilter'),
    ('soft-affinity', {'weight_classes': ['RAMWeigher']}, 'ServerGroupSoftAffinityWeigher'),
    ('soft-anti-affinity', {'weight_classes': ['RAMWeigher']}, 'ServerGroupSoftAntiAffinityWeigher'),
])
def test_a_group_policy_without_its_filter_or_weigher_is_unsupported(policy, options, missing):
    with pytest.raises(UnsupportedPolicyException) as err:
        select_destinations(THREE, spec(2, group=group(policy)), options)
    assert err.value.msg == 'ServerGroup policy is not supported: %s not configured' % missing
    # Without a group nothing is checked.
    assert select_destinations(THREE, spec(2), options)[0]


# -- the scheduler engine equals Nova's structure ------------------------------------------

def outcome(host_states, request, options, reference):
    try:
        scheduler = ReferenceScheduler if reference else engine.SchedulerEngine
        return ('selected',) + tuple(schedule(host_states, request, options, NOW, scheduler))
    except NoValidHost as error:
        return ('NoValidHost', error.msg, error.trace)
    except UnsupportedPolicyException as error:
        return ('UnsupportedPolicyException', error.msg)


@pytest.mark.parametrize('seed', range(120))
def test_incremental_scheduler_equals_the_reference_on_random_clusters(seed, monkeypatch):
    """Selections, alternates and traces (or NoValidHost) are identical. Odd seeds shrink
    the short list so that its bound and its rebuilds are exercised on small clusters;
    coarse clusters have few distinct values, so ties are broken by the incoming order."""
    if seed % 2:
        monkeypatch.setattr(engine, '_SHORT_LIST_MIN', 2)
        monkeypatch.setattr(engine, '_SHORT_LIST_FACTOR', 1)
    rng = random.Random(seed)
    coarse = rng.random() < 0.6
    hosts, groups = random_cluster(seed, rng.randrange(1, 40), coarse)
    host_states = load_host_states(hosts)
    for _request in range(4):
        request = random_request(rng, hosts, groups, rng.choice((1, 1, 2, 3, 5, 12)), coarse)
        options = random_options(rng)
        assert outcome(host_states, request, options, False) == outcome(host_states, request, options, True)


@pytest.mark.parametrize('seed', [76, 983, 1343, 2558] + list(range(40)))
def test_engine_equals_the_reference_when_claims_pass_the_picked_host(seed):
    """Small coarse clusters filled by long multi-creates: claims fail on picked hosts and
    land further down the list, and ties later are broken by the raw values each host had
    when an earlier instance was weighed (the first four seeds break ties that way)."""
    rng = random.Random(seed)
    hosts, groups = random_cluster(seed, rng.randrange(2, 8), True)
    host_states = load_host_states(hosts)
    request = random_request(rng, hosts, groups, rng.choice((3, 5, 8, 12)), True)
    request.pop('force_hosts', None)
    options = {'random_seed': seed, 'ram_weight_multiplier': rng.choice((-1.0, 1.0)),
               'weight_classes': ['RAMWeigher', 'CPUWeigher']}
    assert outcome(host_states, request, options, False) == outcome(host_states, request, options, True)


def test_rankings_kept_between_requests_give_the_reference_results():
    """A request whose candidates normalise as an earlier one's reuses its ranking of every
    loaded host; the results stay the reference's."""
    rng = random.Random(7)
    hosts, groups = random_cluster(7, 300)
    host_states = load_host_states(hosts)
    requests = [random_request(rng, hosts, groups, rng.choice((1, 3))) for _n in range(12)]
    for request in requests + requests:
        assert outcome(host_states, request, None, False) == outcome(host_states, request, None, True)
    rankings = host_states.cached('engine.rankings', lambda loaded: None)
    assert 0 < len(rankings) <= engine._RANKINGS


def test_select_destinations_reuses_a_load_only_for_equal_host_states():
    hosts = [host('hv1', ram_used=1024), host('hv2')]
    assert chosen(select_destinations(hosts, spec())[0]) == ['hv2']
    assert chosen(select_destinations([dict(item) for item in hosts], spec())[0]) == ['hv2']
    hosts[1]['memory_mb_used'] = 4096                 # changed in place
    assert chosen(select_destinations(hosts, spec())[0]) == ['hv1']
    hosts[0] = dict(hosts[0], aggregates=[{'name': 'x', 'metadata': {'ram_weight_multiplier': '-1'}}])
    assert chosen(select_destinations(hosts, spec())[0]) == ['hv2']
    assert chosen(select_destinations(hosts[:1], spec())[0]) == ['hv1']


def test_both_schedulers_leave_the_loaded_host_states_alone():
    hosts, groups = random_cluster(7, 30)
    host_states = load_host_states(hosts)
    before = [dict(state.data) for state in host_states.states]
    request = random_request(random.Random(3), hosts, groups, 12)
    first = outcome(host_states, request, {'random_seed': 1}, False)
    assert outcome(host_states, request, {'random_seed': 1}, True) == first
    assert outcome(host_states, request, {'random_seed': 1}, False) == first
    assert [state.data for state in host_states.states] == before


def test_a_host_already_running_an_instance_of_the_request_is_looked_at_again():
    # uuid-1 already runs on hv1 (a request spec for a move): anti-affinity lets uuid-1 stay
    # there, and turns hv1 away for uuid-2 although hv1 took no instance in between.
    hosts = [host('hv1', ram_used=4096, instances={'uuid-1': 'g-1'}), host('hv2'),
             host('hv3', ram_used=2048), host('hv4', ram_used=1024)]
    request = spec(3, group=group('anti-affinity', members=['uuid-1']))
    selections, trace = select_destinations(hosts, request)
    assert chosen(selections) == ['hv2', 'hv4', 'hv3']
    assert trace[0]['filters'][-2]['removed'] == []
    assert trace[1]['filters'][-2]['removed'] == ['hv1', 'hv2']
    states = load_host_states(hosts)
    assert outcome(states, request, {}, False) == outcome(states, request, {}, True)


# -- ties -----------------------------------------------------------------------------------------

def test_ties_start_from_host_name_order():
    same = [host('hv3'), host('hv1'), host('hv2')]
    selections, trace = select_destinations(same, spec())
    assert [item['host'] for item in selections[0]] == ['hv1', 'hv2', 'hv3']
    assert [row['host'] for row in trace[0]['weighed']] == ['hv1', 'hv2', 'hv3']


def test_ties_keep_the_incoming_order_of_the_previous_instance():
    """Nova passes each instance's weighed list (selected host first) to the next one, and
    sorts it stably: hv2 and hv1 tie for the second instance, and hv2 stays ahead of hv1
    because the first instance weighed it higher, whatever their names say."""
    hosts = [host('hv3', memory_mb_total=7168), host('hv4', memory_mb_total=7168, vcpus_used=7),
             host('hv2', memory_mb_total=7168, vcpus_used=6, ram_used=3072),
             host('hv1', memory_mb_total=7168, vcpus_used=4, ram_used=5120)]
    request = spec(2, flavor=dict(vcpus=1, memory_mb=2048, root_gb=0))
    options = {'enabled_filters': ['AllHostsFilter'], 'weight_classes': ['RAMWeigher', 'CPUWeigher']}
    selections, trace = select_destinations(hosts, request, options)
    assert [row['host'] for row in trace[0]['weighed']] == ['hv3', 'hv4', 'hv2', 'hv1']
    assert trace[0]['weighed'][2]['weight'] > trace[0]['weighed'][3]['weight']
    assert [row['host'] for row in trace[1]['weighed']] == ['hv3', 'hv4', 'hv2', 'hv1']
    assert trace[1]['weighed'][2]['weight'] == trace[1]['weighed'][3]['weight']
    # The alternates come from weighing again after hv3 took both: hv1 is ahead then.
    assert [[item['host'] for item in entry] for entry in selections] == [['hv3', 'hv4', 'hv1']] * 2
    states = load_host_states(hosts)
    assert outcome(states, request, options, False) == outcome(states, request, options, True)


# -- the trace ------------------------------------------------------------------------------------

def test_trace_top_limits_the_weighed_hosts_not_the_filter_steps():
    hosts = [host('hv%02d' % n, ram_used=128 * n) for n in range(30)] + [host('full', ram_used=8192)]
    _selections, trace = select_destinations(hosts, spec(2))
    assert [len(t['weighed']) for t in trace] == [20, 20]
    assert trace[0]['weighed'][0]['host'] == trace[0]['selected'] == 'hv00'
    assert trace[0]['filters'][0]['removed'] == ['full']
    _selections, trace = select_destinations(hosts, spec(), {'trace_top': 0})
    assert trace[0]['weighed'] == [] and trace[0]['selected'] == 'hv00'
    assert trace[0]['alternates'] == ['hv01', 'hv02']
    _selections, trace = select_destinations(hosts, spec(), {'trace_top': 1000})
    assert len(trace[0]['weighed']) == 30


def test_no_valid_host_names_the_filter_without_weighed_rows():
    hosts = [host('hv1', forced_down=True), host('hv2', ram_used=8000)]
    with pytest.raises(NoValidHost) as err:
        select_destinations(hosts, spec(), {'trace_top': 0})
    assert err.value.reason == 'ComputeFilter removed hv1: compute service forced down'
    assert [step['removed'] for step in err.value.trace[0]['filters']] == [['hv2'], [], ['hv1']]
    assert err.value.trace[0]['weighed'] == []


def test_trace_leaves_out_weighers_whose_multiplier_is_zero_everywhere():
    _selections, trace = select_destinations(THREE, spec())
    assert 'NumInstancesWeigher' not in trace[0]['weighed'][0]['weighers']
    assert 'RAMWeigher' in trace[0]['weighed'][0]['weighers']
    packing = [{'name': 'pack', 'metadata': {'num_instances_weight_multiplier': '2'}}]
    hosts = [host('hv1', aggregates=packing, num_instances=3), host('hv2')]
    _selections, trace = select_destinations(hosts, spec(), {'weight_classes': ['NumInstancesWeigher']})
    rows = dict((row['host'], row['weighers']['NumInstancesWeigher']) for row in trace[0]['weighed'])
    assert rows == {'hv1': {'raw': 3, 'normalized': 1.0, 'multiplier': 2.0, 'weighted': 2.0},
                    'hv2': {'raw': 0, 'normalized': 0.0, 'multiplier': 0.0, 'weighted': 0.0}}


# -- more of the request's options, end to end -------------------------------------------------

def test_aggregate_multiplier_override_changes_the_selection():
    stacking = [{'name': 'stack', 'metadata': {'ram_weight_multiplier': '-1.0'}}]
    hosts = [host('hv1', ram_used=6144, aggregates=stacking), host('hv2', ram_used=0)]
    options = {'weight_classes': ['RAMWeigher']}
    assert chosen(select_destinations(hosts, spec(), options)[0]) == ['hv2']
    hosts[1]['aggregates'] = stacking
    assert chosen(select_destinations(hosts, spec(), options)[0]) == ['hv1']
    # An override that is not a finite number is ignored, as an unreadable one is.
    hosts[1]['aggregates'] = [{'name': 'odd', 'metadata': {'ram_weight_multiplier': 'inf'}}]
    assert chosen(select_destinations(hosts, spec(), options)[0]) == ['hv2']


@pytest.mark.parametrize('name', ['ram_weight_multiplier', 'build_failure_weight_multiplier'])
def test_multipliers_must_be_finite(name):
    with pytest.raises(ValidationError, match='scheduler.%s: must be a finite number' % name):
        select_destinations(THREE, spec(), {name: 'inf'})


QUERY_FILTERS = {'enabled_filters': ['ResourceFilter', 'JsonFilter', 'JmesPathFilter']}


@pytest.mark.parametrize('hints, expected', [
    ({'query': ['<=', '$free_ram_mb', 4096]}, 'hv1'),
    ({'query': '["in", "$host", "hv1", "hv3"]'}, 'hv3'),
    ({'jmespath_query': 'free_ram_mb < `8192` && free_ram_mb > `4096`'}, 'hv3'),
    ({'query': ['>', '$free_ram_mb', 4096], 'jmespath_query': "host != 'hv2'"}, 'hv3'),
])
def test_query_hints_choose_among_hosts(hints, expected):
    selections, _trace = select_destinations(THREE, spec(scheduler_hints=hints), QUERY_FILTERS)
    assert chosen(selections) == [expected]


def test_query_hints_are_checked_again_after_each_pick():
    hints = {'jmespath_query': 'free_ram_mb > `4096`'}
    selections, _trace = select_destinations(THREE, spec(2, scheduler_hints=hints), QUERY_FILTERS)
    assert chosen(selections) == ['hv2', 'hv3']          # hv1 has 4096 MB free, no more
    with pytest.raises(NoValidHost) as err:
        select_destinations(THREE, spec(4, scheduler_hints=hints), QUERY_FILTERS)
    assert err.value.reason == ("instance 4 of 4 (uuid-4): JmesPathFilter removed hv2: "
                                "jmespath_query 'free_ram_mb > `4096`' is False here")
    assert [t['selected'] for t in err.value.trace[:3]] == ['hv2', 'hv3', 'hv2']
    assert err.value.trace[2]['filters'][-1]['removed'] == ['hv3']   # 4096 MB left after its pick


@pytest.mark.parametrize('hints, message', [
    ({'query': ['>', '$free_ram_mb', 9000]}, 'JsonFilter removed hv1, hv2, hv3: does not satisfy the query hint'),
    ({'jmespath_query': "host == 'hv9'"},
     "JmesPathFilter removed hv1, hv2, hv3: jmespath_query \"host == 'hv9'\" is False here"),
])
def test_query_hints_that_no_host_satisfies(hints, message):
    with pytest.raises(NoValidHost) as err:
        select_destinations(THREE, spec(scheduler_hints=hints), QUERY_FILTERS)
    assert err.value.reason == message
