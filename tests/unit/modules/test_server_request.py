# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The server_request module end to end: arguments in, JSON result out."""

import base64
import json
import os
import sys

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.novalite.compute.plugins.modules import server_request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'module_utils'))
from request_fixtures import ADMIN, CONTEXT, GROUP_WEB, IMG_DEMO, NET_PRIVATE, SERVERS, catalog  # noqa: E402

CATALOG_KEYS = ('flavors', 'images', 'networks', 'keypairs', 'security_groups', 'server_groups',
                'ports')


def run(capsys, **args):
    args.setdefault('context', CONTEXT)
    args.setdefault('catalog', dict((k, v) for k, v in catalog().items() if k in CATALOG_KEYS))
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            server_request.main()
    return exc.value.code, json.loads(capsys.readouterr().out)


def test_builds_request(capsys):
    code, result = run(capsys, server={'name': 'web', 'flavorRef': 'm1.nano',
                                       'imageRef': 'novalite-demo', 'max_count': 2,
                                       'networks': [{'uuid': 'private'}]},
                       servers=SERVERS, scheduler_hints={'group': 'web'})
    assert code == 0
    assert result['changed'] is False
    spec = result['request_spec']
    assert spec['num_instances'] == 2 and spec['image']['id'] == IMG_DEMO
    assert spec['instance_group']['uuid'] == GROUP_WEB
    assert [i['name'] for i in result['instances']] == ['web-1', 'web-2']
    assert result['reservation_id'].startswith('r-')


def test_check_mode_same_result(capsys):
    code, result = run(capsys, _ansible_check_mode=True,
                       server={'name': 'web', 'flavorRef': '1', 'imageRef': IMG_DEMO,
                               'networks': 'none'})
    assert code == 0 and result['changed'] is False
    assert result['request_spec']['requested_networks'] == []


def test_validation_failure_reports_field_and_rule(capsys):
    code, result = run(capsys, server={'name': 'web', 'flavorRef': '1', 'imageRef': IMG_DEMO,
                                       'networks': [{'uuid': NET_PRIVATE},
                                                    {'uuid': NET_PRIVATE,
                                                     'fixed_ip': '10.9.9.9'}]})
    assert code == 1 and result['failed'] is True
    assert result['field'] == 'server.networks[1].fixed_ip'
    assert result['rule'] == 'must be inside 10.254.0.0/24'
    assert result['msg'] == 'server.networks[1].fixed_ip: must be inside 10.254.0.0/24'


def test_policy_failure(capsys):
    code, result = run(capsys, server={'name': 'web', 'flavorRef': '1', 'imageRef': IMG_DEMO,
                                       'networks': 'none', 'availability_zone': 'nova:hv1'})
    assert code == 1
    assert result['rule'] == 'os_compute_api:servers:create:forced_host'
    assert result['msg'] == ("Policy doesn't allow os_compute_api:servers:create:forced_host "
                             "to be performed.")


def test_policy_override_and_zones(capsys):
    code, result = run(capsys, context=ADMIN, availability_zones=['az1'],
                       policy={'os_compute_api:servers:create': 'role:admin'},
                       server={'name': 'web', 'flavorRef': '1', 'imageRef': IMG_DEMO,
                               'networks': 'none', 'availability_zone': 'az1'})
    assert code == 0 and result['request_spec']['availability_zone'] == 'az1'


def test_bad_policy_rule(capsys):
    code, result = run(capsys, policy={'os_compute_api:servers:create': 'role:admin or'},
                       server={'name': 'web', 'flavorRef': '1'})
    assert code == 1 and result['rule'] == 'os_compute_api:servers:create'
    assert 'a check expected' in result['msg']


def test_secrets_not_returned_nor_echoed(capsys):
    secret = 'Zq-admin-pass-77'
    user_data = base64.b64encode(b'zq-user-data-77').decode()
    contents = base64.b64encode(b'zq-file-77').decode()
    code, result = run(capsys, server={
        'name': 'web', 'flavorRef': '1', 'imageRef': IMG_DEMO, 'networks': 'none',
        'adminPass': secret, 'user_data': user_data,
        'personality': [{'path': '/etc/zq', 'contents': contents}]})
    assert code == 0
    text = json.dumps(result)
    assert secret not in text and user_data not in text and contents not in text
    assert result['instances'][0]['injected_file_paths'] == ['/etc/zq']
    shown = result['invocation']['module_args']['server']
    assert shown['adminPass'] == server_request.MASK
    assert shown['personality'][0]['path'] == '/etc/zq'


def test_missing_context_is_an_argument_error(capsys):
    with patch_module_args({'server': {'name': 'x', 'flavorRef': '1'}}):
        with pytest.raises(SystemExit) as exc:
            server_request.main()
    result = json.loads(capsys.readouterr().out)
    assert exc.value.code == 1 and 'context' in result['msg']
