# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.errors import ValidationError
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.host_state import HostState, HostStates


def data(**fields):
    base = dict(host='hv1', vcpus_total=4, vcpus_used=1, memory_mb_total=8192, memory_mb_used=1024,
                disk_gb_total=100, disk_gb_used=10, cpu_allocation_ratio=16.0,
                ram_allocation_ratio=1.5, disk_allocation_ratio=1.0, reserved_host_memory_mb=512)
    base.update(fields)
    return base


def test_defaults_and_derived_free_space():
    state = HostState(data())
    assert state.nodename == 'hv1' and state.label == 'hv1'
    assert state.free_ram_mb == 8192 - 512 - 1024
    assert state.free_disk_mb == 90 * 1024
    assert state.instances == {} and state.aggregates == [] and state.num_io_ops == 0


def test_given_free_space_and_disk_available_least():
    state = HostState(data(free_ram_mb=100, free_disk_mb=50 * 1024, disk_available_least=20))
    assert state.free_ram_mb == 100
    assert state.free_disk_mb == 20 * 1024          # the smaller of the two, as Nova


def test_label_names_node_when_it_differs():
    assert HostState(data(nodename='node-a')).label == 'hv1:node-a'


def test_missing_fields_are_named():
    broken = data()
    del broken['memory_mb_used']
    del broken['cpu_allocation_ratio']
    with pytest.raises(ValidationError, match=r'hosts\[2\]: a host state needs memory_mb_used, cpu_allocation_ratio'):
        HostState(broken, field='hosts[2]')


def test_unknown_attribute_raises():
    with pytest.raises(AttributeError):
        HostState(data()).no_such_thing


def test_consume_from_request_counts_the_flavor_and_the_group():
    original = data(instances={'old': None})
    state = HostState(original)
    spec = {'flavor': {'vcpus': 2, 'memory_mb': 2048, 'root_gb': 10, 'ephemeral_gb': 5, 'swap': 1536},
            'instance_group': {'uuid': 'g-1'}}
    state.consume_from_request(spec, 'new-1')
    assert (state.vcpus_used, state.memory_mb_used, state.disk_gb_used) == (3, 3072, 27)
    assert state.free_ram_mb == 8192 - 512 - 1024 - 2048
    # Placement counts the swap (disk_gb_used); the host state's free disk does not.
    assert state.free_disk_mb == 90 * 1024 - 15 * 1024
    assert (state.num_instances, state.num_io_ops) == (1, 1)
    assert state.instances == {'old': None, 'new-1': 'g-1'}
    # The caller's dict is untouched.
    assert original['vcpus_used'] == 1 and original['instances'] == {'old': None}


def test_consume_volume_backed_and_without_uuid():
    state = HostState(data())
    free_disk_mb = state.free_disk_mb
    state.consume_from_request({'flavor': {'vcpus': 1, 'memory_mb': 512, 'root_gb': 20}, 'is_bfv': True})
    # Placement claims no root disk for a volume-backed server; Nova's HostState takes the
    # flavor's root_gb off free_disk_mb all the same.
    assert state.disk_gb_used == 10 and state.instances == {}
    assert state.free_disk_mb == free_disk_mb - 20 * 1024


def test_consumed_is_a_changed_copy():
    state = HostState(data(instances={'old': None}))
    state.__dict__['index'] = 4
    spec = {'flavor': {'vcpus': 1, 'memory_mb': 512, 'root_gb': 5}, 'instance_group': {'uuid': 'g'}}
    copy = state.consumed(spec, 'new')
    assert (copy.vcpus_used, copy.memory_mb_used, copy.num_instances, copy.index) == (2, 1536, 1, 4)
    assert copy.instances == {'old': None, 'new': 'g'}
    assert (state.vcpus_used, state.memory_mb_used, state.num_instances) == (1, 1024, 0)
    assert state.instances == {'old': None}


def test_host_states_sort_by_name_and_remember_the_input_positions():
    hosts = [data(host='hv3'), data(host='hv1', nodename='n2'), data(host='hv1', nodename='n1'),
             data(host='hv2')]
    loaded = HostStates(hosts)
    assert loaded.labels == ['hv1:n1', 'hv1:n2', 'hv2', 'hv3']
    assert loaded.positions == [2, 1, 3, 0]
    assert [state.index for state in loaded.states] == [0, 1, 2, 3]
    assert len(loaded) == 4 and hosts[0] == data(host='hv3')


@pytest.mark.parametrize('hosts, words', [
    ({'host': 'hv1'}, r'^hosts: must be a list of host states'),
    ([data(), 'hv2'], r'^hosts\[1\]: must be a host state dict'),
    ([data(), {'host': 'hv2'}], r'^hosts\[1\]: a host state needs vcpus_total'),
])
def test_host_states_name_bad_input(hosts, words):
    with pytest.raises(ValidationError, match=words):
        HostStates(hosts)


def test_host_states_compute_a_cached_value_once():
    loaded = HostStates([data()])
    calls = []
    first = loaded.cached('key', lambda states: calls.append(1) or [len(states)])
    assert loaded.cached('key', lambda states: calls.append(1) or [0]) is first
    assert first == [1] and calls == [1]
