# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.novalite.compute.plugins.filter.filter_hosts import FilterModule as FilterHosts
from ansible_collections.novalite.compute.plugins.filter.weigh_hosts import FilterModule as WeighHosts

from scheduler_helpers import host

filter_hosts = FilterHosts().filters()['filter_hosts']
weigh_hosts = WeighHosts().filters()['weigh_hosts']


SPEC = {'flavor': {'vcpus': 1, 'memory_mb': 1024, 'root_gb': 5}}
HOSTS = [host('hv1', ram_used=1024), host('hv2', ram_used=3500), host('hv3', service_disabled=True),
         host('hv4')]


def test_filter_hosts_returns_the_passing_host_states():
    assert [h['host'] for h in filter_hosts(HOSTS, SPEC)] == ['hv1', 'hv4']
    only_fit = filter_hosts(HOSTS, SPEC, {'enabled_filters': ['ResourceFilter']})
    assert [h['host'] for h in only_fit] == ['hv1', 'hv3', 'hv4']


def test_weigh_hosts_orders_best_first():
    spread = weigh_hosts(HOSTS[:2], SPEC, {'weight_classes': ['RAMWeigher']})
    assert [row['host'] for row in spread] == ['hv1', 'hv2']
    stack = weigh_hosts(HOSTS[:2], SPEC, {'weight_classes': ['RAMWeigher'], 'ram_weight_multiplier': -1})
    assert [row['host'] for row in stack] == ['hv2', 'hv1']
    assert stack[0]['weighers']['RAMWeigher']['multiplier'] == -1.0


@pytest.mark.parametrize('call, words', [
    (lambda: filter_hosts(HOSTS, SPEC, {'bogus': 1}), 'filter_hosts: scheduler: unknown option bogus'),
    (lambda: filter_hosts('hv1', SPEC), 'filter_hosts: hosts: must be a list'),
    (lambda: weigh_hosts(HOSTS, {}), 'weigh_hosts: request_spec.flavor: is required'),
])
def test_errors_are_filter_errors(call, words):
    with pytest.raises(AnsibleFilterError, match=words):
        call()
