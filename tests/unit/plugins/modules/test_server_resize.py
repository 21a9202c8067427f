# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""server_resize's API side against libvirt's test:///default driver: the policy of each
action, Nova's lock and state checks and the body's checks come before anything changes, in
check mode too. (The resize itself: tests/unit/.../compute/test_resize.py and the
integration test.)"""

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record as sr
from ansible_collections.novalite.compute.plugins.modules import server_resize

from module_runner import TEST_URI, run_module
from server_fixtures import MEMBER, OTHER, READER, recorded_server

NANO = {'id': '1', 'name': 'm1.nano', 'vcpus': 1, 'memory_mb': 128, 'root_gb': 1,
        'ephemeral_gb': 0, 'swap': 0, 'extra_specs': {}}
FLAVORS = [{'id': '1', 'name': 'm1.nano', 'vcpus': 1, 'ram': 128, 'disk': 1},
           {'id': '3', 'name': 'm1.small', 'vcpus': 2, 'ram': 256, 'disk': 2}]


@pytest.fixture
def server():
    with recorded_server('rs', flavor=NANO, image={'id': 'img', 'name': 'img'}) as dom:
        yield dom


def args(dom, tmp_path, action='resize', **over):
    return dict(dict(uri=TEST_URI, server=dom.UUIDString(), action=action,
                     resize={'flavorRef': 'm1.small'}, catalog={'flavors': FLAVORS, 'images': []},
                     allow_resize_to_same_host=True, state_path=str(tmp_path / 's'),
                     instances_path=str(tmp_path / 'i'), context=MEMBER), **over)


@pytest.mark.parametrize('action, rule', [('resize', 'resize'), ('confirm', 'confirm_resize'),
                                          ('revert', 'revert_resize')])
@pytest.mark.parametrize('caller', [READER, OTHER], ids=['reader', 'other-project'])
def test_each_action_refused_for_a_reader_and_another_project(server, tmp_path, capsys, action,
                                                              rule, caller):
    before = sr.read_record(server)
    for check_mode in (True, False):
        result = run_module(server_resize, args(server, tmp_path, action, context=caller), capsys,
                            check_mode=check_mode)
        assert result['failed'] and result['rule'] == 'os_compute_api:servers:%s' % rule
        assert sr.read_record(server) == before


@pytest.mark.parametrize('action, change, message', [
    ('resize', dict(vm_state='paused'), "Cannot 'resize' instance %s while it is in vm_state paused"),
    ('resize', dict(vm_state='error'), "Cannot 'resize' instance %s while it is in vm_state error"),
    ('resize', dict(locked=True, locked_by='admin'), 'Instance %s is locked'),
    ('confirm', {}, "Cannot 'confirmResize' instance %s while it is in vm_state active"),
    ('revert', {}, "Cannot 'revertResize' instance %s while it is in vm_state active"),
])
def test_novas_conflict_before_the_body(server, tmp_path, capsys, action, change, message):
    sr.write_record(server, dict(sr.read_record(server), **change))
    result = run_module(server_resize, args(server, tmp_path, action, resize={'flavorRef': 'nope'}),
                        capsys, check_mode=True)
    assert result['failed'] and result['msg'] == message % server.UUIDString()


@pytest.mark.parametrize('body, rule', [
    ({'flavorRef': 'm1.nano'}, 'When resizing, instances must change flavor!'),
    ({'flavorRef': 'm1.huge'}, 'Flavor m1.huge could not be found.'),
    ({'flavor': '3'}, 'is required'),
])
def test_the_body_is_checked_as_nova_does(server, tmp_path, capsys, body, rule):
    before = sr.read_record(server)
    result = run_module(server_resize, args(server, tmp_path, resize=body), capsys)
    assert result['failed'] and result['rule'] == rule
    assert sr.read_record(server) == before


def test_no_other_host_without_allow_resize_to_same_host(server, tmp_path, capsys):
    result = run_module(server_resize, args(server, tmp_path, allow_resize_to_same_host=False), capsys)
    assert result['failed'] and result['msg'].startswith('No valid host was found.')
