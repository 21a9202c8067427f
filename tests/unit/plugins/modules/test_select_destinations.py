# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.novalite.compute.plugins.modules import select_destinations

from scheduler_helpers import host


SPEC = {'flavor': {'vcpus': 1, 'memory_mb': 1024, 'root_gb': 5}, 'instance_uuids': ['u1', 'u2'],
        'num_instances': 2,
        'instance_group': {'uuid': 'g', 'name': 'web-ag', 'policy': 'anti-affinity', 'members': [],
                           'hosts': []}}


def run(capsys, args):
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            select_destinations.main()
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize('check_mode', [False, True])
def test_selections_and_trace(capsys, check_mode):
    args = {'hosts': [host('hv1'), host('hv2', ram_used=1024), host('hv3', ram_used=3500)],
            'request_spec': SPEC, 'scheduler': {'max_attempts': 2}}
    if check_mode:
        args['_ansible_check_mode'] = True
    result = run(capsys, args)
    assert result['changed'] is False
    assert [[item['host'] for item in entry] for entry in result['selections']] == [['hv1'], ['hv2']]
    assert [t['selected'] for t in result['trace']] == ['hv1', 'hv2']
    assert result['trace'][0]['filters'][0]['removed'] == ['hv3']


def test_no_valid_host_fails_with_trace(capsys):
    result = run(capsys, {'hosts': [host('hv1')], 'request_spec': SPEC})
    assert result['failed'] is True
    assert result['msg'] == ('No valid host was found. instance 2 of 2 (u2): ServerGroupAntiAffinityFilter '
                             'removed hv1: group web-ag already has a server there')
    assert [t['instance_uuid'] for t in result['trace']] == ['u1', 'u2']


def test_unknown_option_fails(capsys):
    result = run(capsys, {'hosts': [host('hv1')], 'request_spec': SPEC, 'scheduler': {'ram_weight': 1}})
    assert result['failed'] is True
    assert result['msg'].startswith('scheduler: unknown option ram_weight')


def test_host_order_does_not_matter_and_trace_top_is_an_option(capsys):
    hosts = [host('hv3'), host('hv1'), host('hv2', ram_used=1024)]
    args = {'hosts': hosts, 'request_spec': {'flavor': SPEC['flavor']},
            'scheduler': {'trace_top': 2, 'weight_classes': ['RAMWeigher']}}
    result = run(capsys, args)
    assert [item['host'] for item in result['selections'][0]] == ['hv1', 'hv3', 'hv2']
    assert [row['host'] for row in result['trace'][0]['weighed']] == ['hv1', 'hv3']
    args['hosts'] = list(reversed(hosts))
    assert run(capsys, args)['selections'] == result['selections']
