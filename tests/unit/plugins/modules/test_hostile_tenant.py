# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A hostile tenant against every operation on an existing server: each operation x each
role (admin, member, reader, none) x the server's own project or another one, through the
modules, against domains of libvirt's test driver. A refused caller gets Nova's 403 message
and the domain and its record stay as they were, in check mode too."""

import uuid

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record as sr
from ansible_collections.novalite.compute.plugins.modules import (
    server_action, server_delete, server_info, server_metadata,
)

from libvirt_helpers import minimal_xml, remove_domain
from module_runner import TEST_URI, open_test_driver, run_module

OWNER = 'p-own'
ROLES = {'admin': ['admin'], 'member': ['member'], 'reader': ['reader'], 'none': []}
# operation -> the roles allowed on their own project's server (Nova's defaults); on another
# project's server only an admin is allowed, and a listing never shows it (no all_tenants).
ALLOWED_OWN = {
    'list': ('admin', 'member', 'reader'),
    'show': ('admin', 'member', 'reader'),
    'actions': ('admin', 'member', 'reader'),
    'stop': ('admin', 'member'),
    'start': ('admin', 'member'),
    'reboot': ('admin', 'member'),
    'delete': ('admin', 'member'),
    'pause': ('admin', 'member'),
    'suspend': ('admin', 'member'),
    'lock': ('admin', 'member'),
    'metadata': ('admin', 'member'),
}
RULES = {'list': 'os_compute_api:servers:detail', 'show': 'os_compute_api:servers:show',
         'actions': 'os_compute_api:servers:show', 'stop': 'os_compute_api:servers:stop',
         'start': 'os_compute_api:servers:start', 'reboot': 'os_compute_api:servers:reboot',
         'delete': 'os_compute_api:servers:delete',
         'pause': 'os_compute_api:os-pause-server:pause',
         'suspend': 'os_compute_api:os-suspend-server:suspend',
         'lock': 'os_compute_api:os-lock-server:lock',
         'metadata': 'os_compute_api:server-metadata:create'}


def expected(operation, role, project):
    """'allowed', 'not listed' or '403'."""
    if project == 'other':
        if operation == 'list':
            return '403' if role == 'none' else 'not listed'
        return 'allowed' if role == 'admin' else '403'
    return 'allowed' if role in ALLOWED_OWN[operation] else '403'


CASES = [(op, role, project) for op in ALLOWED_OWN for role in ROLES for project in ('own', 'other')]


@pytest.fixture
def server(tmp_path):
    conn = open_test_driver()
    name = 'nltest-ht-%s' % uuid.uuid4().hex[:8]
    dom = conn.defineXML(minimal_xml(name))
    dom.create()
    record = sr.new_record(uuid=dom.UUIDString(), name=name, vm_state='active',
                           project_id=OWNER, user_id='owner', host='hv1')
    record['actions'] = [dict(sr.new_action('create', 'req-0'), events=[])]
    sr.write_record(dom, record)
    try:
        yield dom
    finally:
        remove_domain(conn, name)


def context(role, project):
    return {'project_id': OWNER if project == 'own' else 'p-other', 'user_id': 'caller',
            'roles': ROLES[role]}


def run(operation, dom, ctx, tmp_path, capsys, check_mode=False):
    uuid_ = dom.UUIDString()
    if operation in ('list', 'show', 'actions'):
        args = dict(uri=TEST_URI, context=ctx, server=None if operation == 'list' else uuid_)
        return run_module(server_info, args, capsys, check_mode=check_mode)
    if operation == 'delete':
        args = dict(uri=TEST_URI, context=ctx, server=uuid_, instances_path=str(tmp_path / 'i'),
                    state_path=str(tmp_path / 's'))
        return run_module(server_delete, args, capsys, check_mode=check_mode)
    if operation == 'metadata':
        args = dict(uri=TEST_URI, context=ctx, server=uuid_, metadata={'k': 'v'},
                    state_path=str(tmp_path))
        return run_module(server_metadata, args, capsys, check_mode=check_mode)
    args = dict(uri=TEST_URI, context=ctx, server=uuid_, action=operation, shutdown_timeout=0,
                reboot_type='HARD', state_path=str(tmp_path))
    return run_module(server_action, args, capsys, check_mode=check_mode)


def snapshot(dom):
    return dom.isActive(), sr.read_record(dom)


@pytest.mark.parametrize('operation,role,project', CASES,
                         ids=['%s-%s-%s' % case for case in CASES])
def test_hostile_tenant(server, tmp_path, capsys, operation, role, project):
    dom = server
    if operation == 'start':
        dom.destroy()
        record = sr.read_record(dom)
        record.update(vm_state='stopped', power_state=sr.SHUTDOWN)
        sr.write_record(dom, record)
    ctx = context(role, project)
    before = snapshot(dom)
    want = expected(operation, role, project)
    if want == '403':
        for check_mode in (True, False):
            result = run(operation, dom, ctx, tmp_path, capsys, check_mode=check_mode)
            assert result.get('failed') is True
            assert result['rule'] == RULES[operation]
            assert result['msg'] == "Policy doesn't allow %s to be performed." % RULES[operation]
            assert 'servers' not in result and 'server' not in result
            assert snapshot(dom) == before     # nothing happened
        return
    result = run(operation, dom, ctx, tmp_path, capsys)
    assert not result.get('failed'), result.get('msg')
    if operation == 'list':
        shown = [s['uuid'] for s in result['servers']]
        assert shown == ([dom.UUIDString()] if want == 'allowed' else [])
    elif operation in ('show', 'actions'):
        (shown,) = result['servers']
        assert shown['uuid'] == dom.UUIDString()
        if operation == 'actions':
            assert [a['action'] for a in shown['actions']] == ['create']
            # events are an admin's (os-instance-actions:events)
            assert ('events' in shown['actions'][0]) is (role == 'admin')
    elif operation == 'delete':
        assert result['changed'] is True
        assert dom.UUIDString() not in [d.UUIDString() for d in open_test_driver().listAllDomains()]
    elif operation == 'metadata':
        assert result['changed'] is True and sr.read_record(dom)['metadata'] == {'k': 'v'}
    else:
        assert result['changed'] is True and result['instance_action']['action'] == operation


@pytest.mark.parametrize('role,listed', [
    ('admin', True), ('member', 'os_compute_api:servers:detail:get_all_tenants'),
    ('reader', 'os_compute_api:servers:detail:get_all_tenants'),
    ('none', 'os_compute_api:servers:detail')])
def test_all_tenants_lists_another_project_only_for_an_admin(server, capsys, role, listed):
    args = dict(uri=TEST_URI, context=context(role, 'other'), all_tenants=True)
    result = run_module(server_info, args, capsys)
    if listed is True:
        assert server.UUIDString() in [s['uuid'] for s in result['servers']]
    else:
        assert result['failed'] and result['rule'] == listed


def test_a_policy_override_is_obeyed_and_bad_rules_refused(server, tmp_path, capsys):
    """The inventory's novalite_policy reaches the host: a reader allowed to stop may."""
    ctx = context('reader', 'own')
    args = dict(uri=TEST_URI, context=ctx, server=server.UUIDString(), action='stop',
                shutdown_timeout=0, state_path=str(tmp_path),
                policy={'os_compute_api:servers:stop': 'rule:project_reader_or_admin'})
    assert run_module(server_action, args, capsys)['changed'] is True
    args['policy'] = {'os_compute_api:servers:stop': 'role:reader or'}
    bad = run_module(server_action, args, capsys)
    assert bad['failed'] and bad['rule'] == 'os_compute_api:servers:stop'


def test_a_leftover_without_record_is_an_admins_to_remove(tmp_path, capsys):
    """A killed build's instance directory has no record to say whose it is."""
    leftover = str(uuid.uuid4())
    (tmp_path / 'i' / leftover).mkdir(parents=True)
    args = dict(uri=TEST_URI, server=leftover, instances_path=str(tmp_path / 'i'),
                state_path=str(tmp_path / 's'), context=context('member', 'own'))
    refused = run_module(server_delete, args, capsys)
    assert refused['failed'] and (tmp_path / 'i' / leftover).exists()
    args['context'] = context('admin', 'other')
    assert run_module(server_delete, args, capsys)['changed'] is True
    assert not (tmp_path / 'i' / leftover).exists()
    # nothing left: not an error for anyone
    args['context'] = context('none', 'other')
    assert run_module(server_delete, args, capsys)['changed'] is False


def test_a_locked_server_is_deleted_by_an_admin_only(server, tmp_path, capsys):
    record = sr.read_record(server)
    sr.write_record(server, dict(record, locked=True, locked_by='admin'))
    for check_mode in (True, False):
        refused = run('delete', server, context('member', 'own'), tmp_path, capsys, check_mode)
        assert refused['failed'] and refused['msg'] == 'Instance %s is locked' % server.UUIDString()
    assert server.isActive()
    deleted = run('delete', server, context('admin', 'other'), tmp_path, capsys)
    assert deleted['changed'] is True
