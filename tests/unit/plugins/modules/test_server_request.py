# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The server_request module end to end: arguments in, JSON result out."""

import base64
import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.novalite.compute.plugins.modules import server_request

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


SECRET = 'Zq-admin-pass-77'
USER_DATA = base64.b64encode(b'#!/bin/sh\necho zq-user-data-77').decode()
CONTENTS = base64.b64encode(b'zq-file-contents-77').decode()
SECRET_TEXTS = (SECRET, USER_DATA, CONTENTS, 'zq-user-data-77', 'zq-file-contents-77')
FILES = [{'path': '/etc/zq', 'contents': CONTENTS}]
BODY = {'name': 'web', 'flavorRef': '1', 'imageRef': IMG_DEMO, 'networks': 'none'}
IN_BODY = {'adminPass': SECRET, 'user_data': USER_DATA, 'personality': FILES}
IN_OPTIONS = {'admin_pass': SECRET, 'user_data': USER_DATA, 'personality': FILES}


def without_invocation(result):
    return dict((k, v) for k, v in result.items() if k != 'invocation')


@pytest.mark.parametrize('body,options', [
    (IN_BODY, {}),                                       # in the body, as Nova takes them
    ({}, IN_OPTIONS),                                    # in the no_log options (roles/request)
    ({'adminPass': 'other', 'user_data': 'b3RoZXI=', 'personality': [
        {'path': '/etc/zq', 'contents': 'b3RoZXI='}]}, IN_OPTIONS),   # options override the body
], ids=['body', 'options', 'both'])
def test_secrets_never_in_result_nor_invocation(capsys, body, options):
    code, result = run(capsys, server=dict(BODY, **body), **options)
    assert code == 0
    text = json.dumps(result)
    for secret in SECRET_TEXTS:
        assert secret not in text
    # Ansible masks a no_log value wherever it finds it: a secret copied into the result
    # would show up there as the mask, so the mask must stay inside the invocation
    assert server_request.MASK not in json.dumps(without_invocation(result))
    assert result['instances'][0]['injected_file_paths'] == ['/etc/zq']
    args = result['invocation']['module_args']
    shown = args['server']
    assert (shown['adminPass'], shown['user_data']) == (server_request.MASK,) * 2
    assert shown['personality'] == [{'path': '/etc/zq', 'contents': server_request.MASK}]
    if options:
        assert (args['admin_pass'], args['user_data']) == (server_request.MASK,) * 2
        assert args['personality'] == [{'path': '/etc/zq', 'contents': server_request.MASK}]


@pytest.mark.parametrize('options', [{}, IN_OPTIONS], ids=['body', 'options'])
def test_secrets_not_in_a_failure(capsys, options):
    body = dict(BODY, metadata={'bad/key': 'x'}, **({} if options else IN_BODY))
    code, result = run(capsys, server=body, **options)
    assert code == 1 and result['field'] == 'server.metadata.bad/key'
    text = json.dumps(result)
    for secret in SECRET_TEXTS:
        assert secret not in text


def test_personality_option_is_validated_as_the_body(capsys):
    code, result = run(capsys, server=BODY, personality=[{'path': '/etc/zq'}])
    assert code == 1
    assert (result['field'], result['rule']) == ('server.personality[0].contents', 'is required')
    code, result = run(capsys, server=BODY, personality=[{'path': '/a', 'contents': '!!'}])
    assert (code, result['field']) == (1, 'server.personality[0].contents')


def test_redacted_masks_only_secrets():
    shown = server_request.redacted(dict(BODY, adminPass='p', personality=[FILES[0], 'odd']))
    assert shown['adminPass'] == server_request.MASK and shown['name'] == 'web'
    assert shown['personality'] == [{'path': '/etc/zq', 'contents': server_request.MASK},
                                    server_request.MASK]
    assert server_request.redacted(['not', 'a', 'dict']) == ['not', 'a', 'dict']


def test_missing_context_is_an_argument_error(capsys):
    with patch_module_args({'server': {'name': 'x', 'flavorRef': '1'}}):
        with pytest.raises(SystemExit) as exc:
            server_request.main()
    result = json.loads(capsys.readouterr().out)
    assert exc.value.code == 1 and 'context' in result['msg']


def test_missing_jsonschema_is_named(capsys, monkeypatch):
    monkeypatch.setattr(server_request.schema, 'HAS_JSONSCHEMA', False)
    code, result = run(capsys, server=BODY)
    assert code == 1
    assert 'Failed to import the required Python library (jsonschema)' in result['msg']
