# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.novalite.compute.plugins.filter.passing_hosts import FilterModule as PassingHosts
from ansible_collections.novalite.compute.plugins.filter.weighed_hosts import FilterModule as WeighedHosts

from scheduler_helpers import host

passing_hosts = PassingHosts().filters()['passing_hosts']
weighed_hosts = WeighedHosts().filters()['weighed_hosts']


SPEC = {'flavor': {'vcpus': 1, 'memory_mb': 1024, 'root_gb': 5}}
HOSTS = [host('hv1', ram_used=1024), host('hv2', ram_used=3500), host('hv3', service_disabled=True),
         host('hv4')]


def test_passing_hosts_returns_the_passing_host_states():
    assert [h['host'] for h in passing_hosts(HOSTS, SPEC)] == ['hv1', 'hv4']
    # Placement runs whatever the filters, and never offers the disabled hv3.
    all_hosts = passing_hosts(HOSTS, SPEC, {'enabled_filters': ['AllHostsFilter']})
    assert [h['host'] for h in all_hosts] == ['hv1', 'hv4']
    room = passing_hosts(HOSTS, {'flavor': {'vcpus': 1, 'memory_mb': 512, 'root_gb': 5}},
                         {'enabled_filters': ['AllHostsFilter']})
    assert [h['host'] for h in room] == ['hv1', 'hv2', 'hv4']


def test_weighed_hosts_orders_best_first():
    spread = weighed_hosts(HOSTS[:2], SPEC, {'weight_classes': ['RAMWeigher']})
    assert [row['host'] for row in spread] == ['hv1', 'hv2']
    stack = weighed_hosts(HOSTS[:2], SPEC, {'weight_classes': ['RAMWeigher'], 'ram_weight_multiplier': -1})
    assert [row['host'] for row in stack] == ['hv2', 'hv1']
    assert stack[0]['weighers']['RAMWeigher']['multiplier'] == -1.0


@pytest.mark.parametrize('call, words', [
    (lambda: passing_hosts(HOSTS, SPEC, {'bogus': 1}), 'passing_hosts: scheduler: unknown option bogus'),
    (lambda: passing_hosts('hv1', SPEC), 'passing_hosts: hosts: must be a list'),
    (lambda: weighed_hosts(HOSTS, {}), 'weighed_hosts: request_spec.flavor: is required'),
])
def test_errors_are_filter_errors(call, words):
    with pytest.raises(AnsibleFilterError, match=words):
        call()


INVENTORY = {'all': {'children': {'hypervisors': {'hosts': {
    'hv2': {'ansible_connection': 'local', 'hypervisor_facts_host_state': host('hv2')},
    'hv1': {'ansible_connection': 'local', 'hypervisor_facts_host_state': host('hv1', ram_used=3500)},
    'hv3': {'ansible_connection': 'local', 'hypervisor_facts_host_state': host('hv3', ram_used=1024)},
    'hv4': {'ansible_connection': 'local'},      # did not report
}}}}}

PLAYBOOK = [{'hosts': 'localhost', 'gather_facts': False, 'vars': {
    'flavor': {'vcpus': 1, 'memory_mb': 1024, 'root_gb': 5},
    'reported': "{{ groups['hypervisors'] | map('extract', hostvars)"
                " | selectattr('hypervisor_facts_host_state', 'defined') | map(attribute='inventory_hostname') | list }}",
}, 'tasks': [{'name': 'Filter and weigh the hypervisors cached facts', 'ansible.builtin.copy': {'dest': '{{ out }}', 'content': (
    "{{ {'fit': reported | map('extract', hostvars, 'hypervisor_facts_host_state')"
    "      | novalite.compute.passing_hosts({'flavor': flavor}) | map(attribute='host') | list,"
    "    'fit_defined': groups['hypervisors'] | map('extract', hostvars)"
    "      | selectattr('hypervisor_facts_host_state', 'defined')"
    "      | map(attribute='hypervisor_facts_host_state')"
    "      | novalite.compute.passing_hosts({'flavor': flavor}) | map(attribute='host') | list,"
    "    'ranked': reported | map('extract', hostvars, 'hypervisor_facts_host_state') | list"
    "      | novalite.compute.weighed_hosts({'flavor': flavor}, {'weight_classes': ['RAMWeigher']})"
    "      | map(attribute='host') | list} | to_json }}")}}]}]


def test_filters_take_hostvars_in_a_playbook(tmp_path):
    """The host states as a playbook has them: cached facts taken out of hostvars."""
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    (tmp_path / 'ansible.cfg').write_text('[defaults]\ncollections_path = %s\n'
                                          % os.path.join(repo, 'build', 'src'))
    (tmp_path / 'inventory.json').write_text(json.dumps(INVENTORY))
    (tmp_path / 'playbook.json').write_text(json.dumps(PLAYBOOK))
    out = tmp_path / 'out.json'
    env = dict(os.environ, ANSIBLE_CONFIG=str(tmp_path / 'ansible.cfg'))
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i',
               str(tmp_path / 'inventory.json'), str(tmp_path / 'playbook.json'), '-e', 'out=%s' % out]
    proc = subprocess.run(command, env=env, cwd=str(tmp_path), capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(out.read_text()) == {'fit': ['hv2', 'hv3'], 'fit_defined': ['hv2', 'hv3'],
                                           'ranked': ['hv2', 'hv3', 'hv1']}


def test_passing_hosts_takes_any_iterable():
    assert [h['host'] for h in passing_hosts(iter(HOSTS), SPEC)] == ['hv1', 'hv4']
    assert [row['host'] for row in weighed_hosts((h for h in HOSTS[:2]), SPEC)] == ['hv1', 'hv2']
