# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Weighers: raw values, Nova's normalisation, multipliers and aggregate overrides, and the
values computed once per load."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.scheduler.host_state import HostState, HostStates
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.options import resolve
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.weighers import WEIGHERS
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.weighers.base import (
    get_weighed_objects, multipliers, normalize)


def host(name, **fields):
    data = dict(host=name, vcpus_total=8, vcpus_used=0, memory_mb_total=8192, memory_mb_used=0,
                disk_gb_total=100, disk_gb_used=0, cpu_allocation_ratio=2.0,
                ram_allocation_ratio=1.0, disk_allocation_ratio=1.0)
    data.update(fields)
    return HostState(data)


SPEC = {'flavor': {'vcpus': 1, 'memory_mb': 512, 'root_gb': 1}}


def weigh(names, hosts, spec=None, **options):
    opts = resolve(dict(options, weight_classes=names))
    return get_weighed_objects([WEIGHERS[name](opts) for name in names], hosts, SPEC if spec is None else spec)


@pytest.mark.parametrize('values, minval, maxval, expected', [
    ([], None, None, []),
    ([1, 2, 3], None, None, [0.0, 0.5, 1.0]),
    ([5, 5, 5], None, None, [0.0, 0.0, 0.0]),            # all equal: zeros
    ([2, 4], 0, None, [0.5, 1.0]),                        # minval 0: value / max
    ([4, 4], 0, None, [1.0, 1.0]),
    ([0, 0], 0, None, [0.0, 0.0]),
    ([-3, 1], None, None, [0.0, 1.0]),
    ([1, 3], None, 2, [0.0, 2.0]),                         # normalize itself does not clamp
])
def test_normalize(values, minval, maxval, expected):
    assert normalize(values, minval, maxval) == expected


@pytest.mark.parametrize('name, fields, raw', [
    ('RAMWeigher', dict(memory_mb_used=1024), 7168),
    ('CPUWeigher', dict(vcpus_used=3), 13.0),                 # 8 * 2.0 - 3
    ('DiskWeigher', dict(disk_gb_used=10), 92160),
    ('IoOpsWeigher', dict(num_io_ops=3), 3),
    ('NumInstancesWeigher', dict(num_instances=7), 7),
    ('BuildFailureWeigher', dict(failed_builds=2), 2),
    ('HypervisorVersionWeigher', dict(hypervisor_version=7002000), 7002000),
    ('HypervisorVersionWeigher', dict(), 0),
])
def test_raw_values(name, fields, raw):
    assert WEIGHERS[name](resolve())._weigh_object(host('hv1', **fields), SPEC) == raw


def test_ram_weigher_spreads_by_default_and_stacks_when_negative():
    hosts = [host('small', memory_mb_used=6144), host('big', memory_mb_used=0)]
    spread = weigh(['RAMWeigher'], hosts)
    assert [row[0].host for row in spread] == ['big', 'small']
    assert spread[0][2]['RAMWeigher'] == {'raw': 8192, 'normalized': 1.0, 'multiplier': 1.0, 'weighted': 1.0}
    assert spread[1][2]['RAMWeigher']['normalized'] == 0.25          # 2048 / 8192, minval 0
    stack = weigh(['RAMWeigher'], hosts, ram_weight_multiplier=-1.0)
    assert [row[0].host for row in stack] == ['small', 'big']
    assert stack[0][1] == -0.25


def test_negative_free_ram_is_clamped_to_minval():
    hosts = [host('over', memory_mb_used=9000), host('ok', memory_mb_used=4096)]
    rows = dict((row[0].host, row[2]['RAMWeigher']) for row in weigh(['RAMWeigher'], hosts))
    assert rows['over']['raw'] == 0 and rows['over']['normalized'] == 0.0
    assert rows['ok']['normalized'] == 1.0


def test_io_ops_default_prefers_quiet_hosts():
    rows = weigh(['IoOpsWeigher'], [host('busy', num_io_ops=4), host('quiet', num_io_ops=1)])
    assert [row[0].host for row in rows] == ['quiet', 'busy']
    assert rows[1][2]['IoOpsWeigher']['weighted'] == -1.0


def test_num_instances_is_off_by_default():
    rows = weigh(['NumInstancesWeigher'], [host('a', num_instances=9), host('b', num_instances=1)])
    assert [row[1] for row in rows] == [0.0, 0.0]
    assert [row[0].host for row in rows] == ['a', 'b']               # ties keep input order
    rows = weigh(['NumInstancesWeigher'], [host('a', num_instances=9), host('b', num_instances=1)],
                 num_instances_weight_multiplier=-1.0)
    assert rows[0][0].host == 'b'


def test_build_failure_weigher_pushes_failing_hosts_down():
    rows = weigh(['RAMWeigher', 'BuildFailureWeigher'],
                 [host('flaky', failed_builds=1), host('full', memory_mb_used=8000)])
    assert rows[0][0].host == 'full'
    assert rows[1][2]['BuildFailureWeigher']['multiplier'] == -1000000.0


def test_hypervisor_version_prefers_newer():
    rows = weigh(['HypervisorVersionWeigher'],
                 [host('old', hypervisor_version=6000000), host('new', hypervisor_version=8002000)])
    assert rows[0][0].host == 'new'


GROUP = {'uuid': 'g', 'members': ['a', 'b']}


@pytest.mark.parametrize('policy, name, best', [
    ('soft-affinity', 'ServerGroupSoftAffinityWeigher', 'crowded'),
    ('soft-anti-affinity', 'ServerGroupSoftAntiAffinityWeigher', 'empty'),
    ('anti-affinity', 'ServerGroupSoftAntiAffinityWeigher', 'crowded'),   # not its policy: a tie
])
def test_soft_affinity_weighers(policy, name, best):
    spec = dict(SPEC, instance_group=dict(GROUP, policy=policy))
    hosts = [host('crowded', instances={'a': None, 'b': 'g'}), host('empty')]
    rows = weigh([name], hosts, spec)
    assert rows[0][0].host == best


def test_aggregate_overrides_multiplier_smallest_wins():
    agg = [{'name': 'a', 'metadata': {'ram_weight_multiplier': '-2.0'}},
           {'name': 'b', 'metadata': {'ram_weight_multiplier': '3'}}]
    weigher = WEIGHERS['RAMWeigher'](resolve())
    assert weigher.weight_multiplier(host('x', aggregates=agg)) == -2.0
    assert weigher.weight_multiplier(host('y')) == 1.0
    bad = [{'name': 'a', 'metadata': {'ram_weight_multiplier': 'lots'}}]
    assert weigher.weight_multiplier(host('z', aggregates=bad)) == 1.0
    endless = [{'name': 'a', 'metadata': {'ram_weight_multiplier': '-inf'}}]
    assert weigher.weight_multiplier(host('z', aggregates=endless)) == 1.0
    failing = WEIGHERS['BuildFailureWeigher'](resolve())
    assert failing.weight_multiplier(host('w', aggregates=[
        {'name': 'a', 'metadata': {'build_failure_weight_multiplier': '10'}}])) == -10.0


def test_aggregate_override_changes_order():
    stacked = [{'name': 'stack', 'metadata': {'ram_weight_multiplier': '-1.0'}}]
    hosts = [host('a', memory_mb_used=0, aggregates=stacked),
             host('b', memory_mb_used=4096, aggregates=stacked)]
    assert [row[0].host for row in weigh(['RAMWeigher'], hosts)] == ['b', 'a']


def test_single_host_is_not_weighed():
    rows = weigh(list(WEIGHERS), [host('only', failed_builds=5)])
    assert rows == [(rows[0][0], 0.0, {})]


def test_weights_sum_over_weighers():
    hosts = [host('a', memory_mb_used=4096, vcpus_used=0), host('b', memory_mb_used=0, vcpus_used=8)]
    rows = dict((row[0].host, row) for row in weigh(['RAMWeigher', 'CPUWeigher'], hosts))
    assert rows['a'][1] == pytest.approx(0.5 + 1.0)
    assert rows['b'][1] == pytest.approx(1.0 + 0.5)


def loaded(*hosts):
    return HostStates([host.data for host in hosts])


def test_multipliers_per_load_with_aggregate_overrides():
    agg = [{'name': 'a', 'metadata': {'ram_weight_multiplier': '-2', 'ssd': 'true'}}]
    states = loaded(host('a'), host('b', aggregates=agg), host('c', aggregates=[
        {'name': 'x', 'metadata': {'ram_weight_multiplier': '1.0'}}]))
    ram = WEIGHERS['RAMWeigher'](resolve())
    assert multipliers(ram, states) == (1.0, [1.0, -2.0, 1.0], -2.0, 1.0)
    assert multipliers(WEIGHERS['CPUWeigher'](resolve()), states) == (1.0, None, 1.0, 1.0)
    failing = WEIGHERS['BuildFailureWeigher'](resolve({'build_failure_weight_multiplier': 10}))
    assert multipliers(failing, states) == (-10.0, None, -10.0, -10.0)
    # An option value of its own gets its own entry.
    assert multipliers(WEIGHERS['RAMWeigher'](resolve({'ram_weight_multiplier': 3})), states)[:2] == (
        3.0, [3.0, -2.0, 1.0])


def test_raw_values_their_order_and_most_common_value():
    states = loaded(host('a', failed_builds=2), host('b'), host('c'), host('d', failed_builds=1))
    weigher = WEIGHERS['BuildFailureWeigher'](resolve())
    column = weigher.raw_column(states, None)
    assert column == [2, 0, 0, 1]
    assert list(weigher.raw_order(states, None, column)) == [1, 2, 3, 0]
    assert weigher.raw_common(states, None, column) == (0, [0, 3])
    ram = WEIGHERS['RAMWeigher'](resolve())
    assert ram.raw_column(loaded(host('x', memory_mb_used=9000)), None) == [0]    # clamped to minval


def test_soft_affinity_raw_values_read_the_request():
    states = loaded(host('a', instances={'s1': 'g', 's2': 'g'}), host('b'), host('c', instances={'s3': None}))
    spec = dict(SPEC, instance_group=dict(GROUP, policy='soft-anti-affinity', members=['s1', 's2', 's3']))
    weigher = WEIGHERS['ServerGroupSoftAntiAffinityWeigher'](resolve())
    column = weigher.raw_column(states, spec)
    assert column == [-2, 0, -1]
    assert weigher.raw_order(states, spec, column) is None
    assert weigher.raw_common(states, spec, column) == (0, [0, 2])
    assert WEIGHERS['ServerGroupSoftAffinityWeigher'](resolve()).raw_column(states, spec) == [0, 0, 0]
