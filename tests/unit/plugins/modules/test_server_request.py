# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The server_request module end to end: arguments in, JSON result out."""

import base64
import json
import tracemalloc
import uuid

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.novalite.compute.plugins.action import server_request as server_request_action
from ansible_collections.novalite.compute.plugins.module_utils.errors import ValidationError
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


def through_action(capsys, **args):
    """The task as Ansible runs it: the action's controller half, then the module."""
    return run(capsys, **server_request_action.module_args(args))


@pytest.mark.parametrize('body,options', [
    (IN_BODY, {}),                                       # in the body, as Nova takes them
    ({}, IN_OPTIONS),                                    # in the no_log options (roles/request)
    ({'adminPass': 'other', 'user_data': 'b3RoZXI=', 'personality': [
        {'path': '/etc/zq', 'contents': 'b3RoZXI='}]}, IN_OPTIONS),   # options override the body
], ids=['body', 'options', 'both'])
def test_secrets_never_in_result_nor_invocation(capsys, body, options):
    code, result = through_action(capsys, server=dict(BODY, **body), **options)
    assert code == 0
    text = json.dumps(result)
    for secret in SECRET_TEXTS + ('b3RoZXI=',):
        assert secret not in text
    # the module held no no_log value: Ansible had nothing to mask, anywhere
    assert 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER' not in text
    assert result['instances'][0]['injected_file_paths'] == ['/etc/zq']
    args = result['invocation']['module_args']
    assert not set(args['server']) & {'adminPass', 'user_data', 'personality'}
    assert args['injected_files'] == [{'path': '/etc/zq', 'contents_length': len(CONTENTS)}]


@pytest.mark.parametrize('options', [{}, IN_OPTIONS], ids=['body', 'options'])
def test_secrets_not_in_a_failure(capsys, options):
    body = dict(BODY, metadata={'bad/key': 'x'}, **({} if options else IN_BODY))
    code, result = through_action(capsys, server=body, **options)
    assert code == 1 and result['field'] == 'server.metadata.bad/key'
    text = json.dumps(result)
    for secret in SECRET_TEXTS:
        assert secret not in text


@pytest.mark.parametrize('admin_pass', ['demo', 'e', '4', '-'],
                         ids=['the-project-id', 'one-letter', 'one-digit', 'a-dash'])
def test_a_secret_cannot_mask_the_request(capsys, admin_pass):
    """Issue 11, defect 1: an adminPass equal to the project id recorded the servers under
    VALUE_SPECIFIED_IN_NO_LOG_PARAMETER and bypassed the project's quota (3 servers built
    against instances: 1); a one-letter adminPass broke every uuid. The project id, the
    uuids and the quota stay whole."""
    quotas = {'projects': {'demo': {'instances': 1}}}
    code, result = through_action(capsys, server=dict(BODY, max_count=3), admin_pass=admin_pass,
                                  quotas=quotas)
    assert code == 0
    spec = result['request_spec']
    assert spec['project_id'] == 'demo' and result['instances'][0]['project_id'] == 'demo'
    assert spec['num_instances'] == 1 and len(result['instances']) == 1
    assert str(uuid.UUID(spec['instance_uuids'][0])) == spec['instance_uuids'][0]
    assert result['instances'][0]['uuid'] == spec['instance_uuids'][0]
    assert 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER' not in json.dumps(result)
    code, result = through_action(capsys, server=dict(BODY, min_count=2, max_count=3),
                                  admin_pass=admin_pass, quotas=quotas)
    assert code == 1 and result['field'] == 'server.max_count'
    assert 'Quota exceeded for instances: Requested 2-3, but already used 0 of 1' in result['msg']


@pytest.mark.parametrize('value', [1234, {'a': 'b'}, ['x'], True])
@pytest.mark.parametrize('where', ['body', 'option'])
def test_admin_pass_must_be_a_string(value, where):
    """Nova's schema: adminPass is a string; nothing else is silently made into one."""
    args = {'server': dict(BODY, adminPass=value)} if where == 'body' else \
        {'server': BODY, 'admin_pass': value}
    with pytest.raises(ValidationError) as info:
        server_request_action.module_args(args)
    assert (info.value.field, info.value.rule) == ('server.adminPass', 'must be a string')


def test_personality_option_is_validated_as_the_body():
    with pytest.raises(ValidationError) as info:
        server_request_action.module_args({'server': BODY, 'personality': [{'path': '/etc/zq'}]})
    assert (info.value.field, info.value.rule) == ('server.personality[0].contents', 'is required')
    with pytest.raises(ValidationError) as info:
        server_request_action.module_args({'server': BODY, 'personality': [{'path': '/a', 'contents': '!!'}]})
    assert info.value.field == 'server.personality[0].contents'


def test_misspelt_personality_key_names_the_key_not_the_contents():
    """Issue 11, defect 5: a misspelt key echoed the contents (-vvv shows the invocation)."""
    with pytest.raises(ValidationError) as info:
        server_request_action.module_args(
            {'server': BODY, 'personality': [{'path': '/etc/zq', 'content': CONTENTS}]})
    assert info.value.field == 'server.personality[0].content'
    assert CONTENTS not in info.value.msg


@pytest.mark.parametrize('args', [{'admin_pass': SECRET}, {'server': dict(BODY, user_data=USER_DATA)}],
                         ids=['option', 'body'])
def test_module_without_its_action_refuses_secrets(capsys, args):
    code, result = run(capsys, **dict({'server': BODY}, **args))
    assert code == 1 and 'the module does not take them' in result['msg']
    assert SECRET not in json.dumps(result) and USER_DATA not in json.dumps(result)


def test_max_count_over_the_operator_limit_is_refused_at_once(capsys):
    """Issue 11, defect 3: max_count 1000000 built every instance before the quota check
    (minutes, 5 GB). Now the bound and the headroom are checked first, in constant memory."""
    tracemalloc.start()
    try:
        code, result = run(capsys, server=dict(BODY, max_count=1000000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert code == 1 and result['field'] == 'server.max_count'
    assert result['rule'] == ('must be <= 1000, the most instances one request may ask for '
                              '(max_count_limit)')
    assert peak < 20 * 1024 * 1024
    code, result = run(capsys, server=dict(BODY, max_count=1000000), max_count_limit=2000000,
                       quotas={'defaults': {'instances': 10, 'cores': -1, 'ram': -1}})
    assert code == 0 and result['request_spec']['num_instances'] == 10
    assert len(result['instances']) == 10


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
