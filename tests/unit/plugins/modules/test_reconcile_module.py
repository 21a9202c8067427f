# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reconcile module's own part: its options, its result, check mode."""

import os
import subprocess

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.compute import layout
from ansible_collections.novalite.compute.plugins.modules import reconcile

from module_runner import TEST_URI, run_module


def dead_pid():
    proc = subprocess.Popen(['true'])
    proc.wait()
    return proc.pid


@pytest.fixture
def paths(tmp_path):
    state = tmp_path / 'state'
    base = state / layout.IMAGE_CACHE_DIR
    base.mkdir(parents=True)
    leftover = layout.temporary_path(str(base / 'abc'), dead_pid())
    open(leftover, 'w').close()
    return {'uri': TEST_URI, 'state_path': str(state), 'instances_path': str(tmp_path / 'inst'),
            'leftover': leftover}


def test_check_mode_reports_then_a_run_removes(paths, capsys):
    leftover = paths.pop('leftover')
    checked = run_module(reconcile, paths, capsys, check_mode=True)
    assert (checked['changed'], checked['summary']) == (True, {'temporary_file': 1})
    assert checked['actions'][0]['subject'] == leftover and os.path.exists(leftover)
    done = run_module(reconcile, paths, capsys)
    assert (done['changed'], done['summary']) == (True, {'temporary_file': 1})
    assert not os.path.exists(leftover) and done['seconds'] >= 0
    assert run_module(reconcile, paths, capsys)['changed'] is False


@pytest.mark.parametrize('option', ['instance_build_timeout', 'grace_period'])
def test_a_negative_duration_is_refused_by_name(paths, capsys, option):
    paths.pop('leftover')
    result = run_module(reconcile, dict(paths, **{option: -1}), capsys)
    assert result['failed'] and result['msg'] == '%s: must be 0 or more, got -1' % option


def test_server_delete_records_the_delete_when_libvirtd_does_not_answer(tmp_path, capsys):
    from ansible_collections.novalite.compute.plugins.module_utils.compute import deleted
    from ansible_collections.novalite.compute.plugins.modules import server_delete
    server = '0b1c7e8e-94b0-4d5d-8d65-2b0c2b9f8c11'
    uri = 'qemu:///system?socket=%s' % (tmp_path / 'no-libvirtd.sock')
    args = {'uri': uri, 'server': server, 'state_path': str(tmp_path / 'state'),
            'instances_path': str(tmp_path / 'inst'),
            'context': {'project_id': 'demo', 'user_id': 'demo-user', 'roles': ['member']}}
    checked = run_module(server_delete, args, capsys, check_mode=True)
    assert checked['failed'] and not checked['deferred'] and 'Check mode: nothing recorded.' in checked['msg']
    assert deleted.requests(args['state_path']) == []
    result = run_module(server_delete, args, capsys)
    assert result['failed'] and result['deferred'] and result['changed'], result
    assert result['msg'].startswith('Delete of instance %s is not done: libvirt (%s) does not answer: ' % (server, uri))
    assert 'the reconciler, or a delete of the server, does it once libvirtd is back' in result['msg']
    [recorded] = deleted.requests(args['state_path'])
    assert (recorded['instance_uuid'], recorded['context']) == (server, dict(args['context']))


def test_server_delete_refuses_what_is_not_a_uuid(tmp_path, capsys):
    from ansible_collections.novalite.compute.plugins.modules import server_delete
    result = run_module(server_delete, {'uri': TEST_URI, 'server': '../../etc', 'state_path': str(tmp_path),
                                        'context': {'project_id': 'demo', 'user_id': 'u'}}, capsys)
    assert result['failed'] and result['msg'] == (
        "server: must be a server uuid (8-4-4-4-12 lowercase hex digits), got '../../etc'")
