# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record as sr
from ansible_collections.novalite.compute.plugins.modules import server_action, server_info

from module_runner import TEST_URI, run_module
from server_fixtures import ADMIN, MEMBER, recorded_server


@pytest.fixture
def server():
    with recorded_server('sa') as dom:
        yield dom


def args(dom, tmp_path, **over):
    return dict(dict(uri=TEST_URI, server=dom.UUIDString(), action='stop', shutdown_timeout=2,
                     state_path=str(tmp_path), context=MEMBER), **over)


def test_check_mode_diff_then_stop(server, tmp_path, capsys):
    predicted = run_module(server_action, args(server, tmp_path), capsys, check_mode=True,
                           diff=True)
    assert predicted['changed'] and server.isActive()
    assert predicted['diff'] == predicted['transition']
    assert predicted['diff']['after']['vm_state'] == 'stopped'
    done = run_module(server_action, args(server, tmp_path), capsys)
    assert 'diff' not in done and done['transition'] == predicted['transition']
    assert done['instance_action']['events'][0]['event'] == 'compute_stop_instance'
    assert not run_module(server_action, args(server, tmp_path), capsys)['changed']


def test_refusal_fails_with_novas_message_and_the_record(server, tmp_path, capsys):
    result = run_module(server_action, args(server, tmp_path, action='reboot'), capsys)
    assert not result.get('failed') and result['server']['vm_state'] == 'active'
    run_module(server_action, args(server, tmp_path), capsys)
    refused = run_module(server_action, args(server, tmp_path, action='reboot'), capsys)
    assert refused['failed']
    assert refused['msg'] == ("Cannot 'reboot' instance %s while it is in vm_state stopped"
                              % server.UUIDString())
    assert refused['server']['vm_state'] == 'stopped'


def test_server_info_shows_the_instance_actions(server, tmp_path, capsys):
    done = run_module(server_action, args(server, tmp_path, request_id='req-1'), capsys)
    # an admin sees the events (os-instance-actions:events)
    (shown,) = run_module(server_info, dict(uri=TEST_URI, server=server.UUIDString(),
                                            context=ADMIN), capsys)['servers']
    assert shown['actions'] == [done['instance_action']]
    assert shown['actions'][0]['events'][0]['result'] == 'Success'


def test_module_lock_holds_against_members_until_unlocked(server, tmp_path, capsys):
    """The module works out who calls from the context: an admin's lock (locked_by admin)
    refuses the project's member, whose unlock needs the override rule."""
    locked = run_module(server_action, args(server, tmp_path, action='lock', context=ADMIN,
                                            locked_reason='audit'), capsys, diff=True)
    assert locked['diff']['after']['locked_by'] == 'admin'
    refused = run_module(server_action, args(server, tmp_path, action='pause'), capsys)
    assert refused['failed'] and refused['msg'] == 'Instance %s is locked' % server.UUIDString()
    denied = run_module(server_action, args(server, tmp_path, action='unlock'), capsys)
    assert denied['failed'] and denied['rule'] == \
        'os_compute_api:os-lock-server:unlock:unlock_override'
    assert sr.read_record(server)['locked'] is True
    run_module(server_action, args(server, tmp_path, action='unlock', context=ADMIN), capsys)
    paused = run_module(server_action, args(server, tmp_path, action='pause'), capsys)
    assert paused['server']['vm_state'] == 'paused'
