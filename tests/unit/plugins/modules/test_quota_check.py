# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The quota_check module end to end, fed by a real server_request result."""

import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.novalite.compute.plugins.module_utils.api import request
from ansible_collections.novalite.compute.plugins.modules import quota_check

from request_fixtures import CONTEXT, IMG_DEMO, catalog  # noqa: E402


def existing(count, vcpus=1):
    return [{'id': 'old-%d' % i, 'project_id': 'demo', 'user_id': 'demo-user',
             'vm_state': 'active', 'flavor': {'vcpus': vcpus, 'memory_mb': 128}}
            for i in range(count)]


def requested(name='web', min_count=1, max_count=3):
    return request.build_request({'name': name, 'flavorRef': '1', 'imageRef': IMG_DEMO,
                                  'networks': 'none', 'min_count': min_count,
                                  'max_count': max_count}, CONTEXT, catalog())


def run(capsys, **args):
    args.setdefault('context', CONTEXT)
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            quota_check.main()
    return exc.value.code, json.loads(capsys.readouterr().out)


def test_all_fit(capsys):
    req = requested()
    code, result = run(capsys, request_spec=req['request_spec'], instances=req['instances'],
                       servers=existing(2), _ansible_check_mode=True)
    assert code == 0 and result['changed'] is False
    assert result['num_instances'] == 3
    assert result['instance_uuids'] == req['request_spec']['instance_uuids']
    assert result['usage']['project']['instances'] == 2
    assert result['limits']['project']['instances'] == 10


def test_trimmed(capsys):
    req = requested(max_count=5)
    code, result = run(capsys, request_spec=req['request_spec'], instances=req['instances'],
                       servers=existing(8))
    assert code == 0 and result['num_instances'] == 2
    assert result['instance_uuids'] == req['request_spec']['instance_uuids'][:2]
    assert result['request_spec']['num_instances'] == 2
    assert [i['name'] for i in result['instances']] == ['web-1', 'web-2']


def test_trimmed_to_one_is_named_as_one(capsys):
    req = requested(name='Web App', max_count=3)
    code, result = run(capsys, request_spec=req['request_spec'], instances=req['instances'],
                       servers=existing(9))
    assert code == 0 and result['num_instances'] == 1
    [inst] = result['instances']
    assert (inst['name'], inst['hostname']) == ('Web App', 'web-app')


def test_over_quota_message(capsys):
    req = requested(min_count=2, max_count=3)
    code, result = run(capsys, request_spec=req['request_spec'], servers=existing(19),
                       quotas={'defaults': {'instances': 50}})
    assert code == 1
    assert result['msg'] == ('Quota exceeded for cores: Requested 3, but already used 19 of '
                             '20 cores')
    assert result['overs'] == ['cores']


def test_recheck(capsys):
    req = requested(max_count=2)
    built = [{'id': u, 'project_id': 'demo', 'user_id': 'demo-user',
              'flavor': {'vcpus': 1, 'memory_mb': 128}}
             for u in req['request_spec']['instance_uuids']]
    code, result = run(capsys, request_spec=req['request_spec'], servers=existing(8) + built,
                       recheck=True)
    assert code == 0 and result['num_instances'] == 2
    code, result = run(capsys, request_spec=req['request_spec'], servers=existing(9) + built,
                       recheck=True)
    assert code == 1
    assert result['msg'] == ('Quota exceeded for instances: Requested 2, but already used 9 of '
                             '10 instances')
