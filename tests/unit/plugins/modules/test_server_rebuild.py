# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""server_rebuild's API side against libvirt's test:///default driver: the policy, Nova's
lock and state checks and the body's checks come before anything changes, in check mode
too. (The rebuild itself: tests/unit/.../compute/test_rebuild.py and the integration test.)"""

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record as sr
from ansible_collections.novalite.compute.plugins.modules import server_rebuild

from module_runner import TEST_URI, run_module
from server_fixtures import ADMIN, MEMBER, OTHER, READER, recorded_server

IMAGE = {'id': '8d3b8a4e-58f0-4b52-9a2e-4a2d3c1b0f01', 'name': 'img', 'location': '/nonexistent',
         'checksum': 'sha256:' + '0' * 64, 'disk_format': 'qcow2', 'size': 2 * 1024 ** 3,
         'min_ram': 64, 'min_disk': 1, 'properties': {}}
FLAVOR = {'id': '1', 'name': 'm1.tiny', 'vcpus': 1, 'memory_mb': 128, 'root_gb': 1,
          'ephemeral_gb': 0, 'swap': 0, 'extra_specs': {}}
RULE = 'os_compute_api:servers:rebuild'


@pytest.fixture
def server():
    with recorded_server('rb', flavor=FLAVOR, image={'id': 'old', 'name': 'old'}) as dom:
        yield dom


def args(dom, tmp_path, **over):
    return dict(dict(uri=TEST_URI, server=dom.UUIDString(), state_path=str(tmp_path / 's'),
                     instances_path=str(tmp_path / 'i'), context=MEMBER,
                     rebuild={'imageRef': IMAGE['id']},
                     catalog={'images': [dict(IMAGE, size=1024)], 'keypairs': []}), **over)


@pytest.mark.parametrize('caller', [READER, OTHER], ids=['reader', 'other-project'])
def test_refused_for_a_reader_and_another_project(server, tmp_path, capsys, caller):
    before = sr.read_record(server)
    for check_mode in (True, False):
        result = run_module(server_rebuild, args(server, tmp_path, context=caller), capsys,
                            check_mode=check_mode)
        assert result['failed'] and result['rule'] == RULE
        assert result['msg'] == "Policy doesn't allow %s to be performed." % RULE
        assert sr.read_record(server) == before


@pytest.mark.parametrize('change, message', [
    (dict(vm_state='paused'), "Cannot 'rebuild' instance %s while it is in vm_state paused"),
    (dict(vm_state='suspended'), "Cannot 'rebuild' instance %s while it is in vm_state suspended"),
    (dict(task_state='rebooting'), "Cannot 'rebuild' instance %s while it is in task_state rebooting"),
    (dict(locked=True, locked_by='admin'), 'Instance %s is locked'),
])
def test_novas_conflict_before_the_body(server, tmp_path, capsys, change, message):
    sr.write_record(server, dict(sr.read_record(server), **change))
    # a body that is wrong too: the state is what Nova's API answers first
    result = run_module(server_rebuild, args(server, tmp_path, rebuild={'imageRef': 'nope'}),
                        capsys, check_mode=True)
    assert result['failed'] and result['msg'] == message % server.UUIDString()


@pytest.mark.parametrize('body, catalog_image, field, rule', [
    ({}, IMAGE, 'rebuild.imageRef', 'is required'),
    ({'imageRef': IMAGE['id'], 'adminPass': 'x'}, IMAGE, 'rebuild.adminPass',
     'is not an allowed property (additional properties are not allowed)'),
    ({'imageRef': '8d3b8a4e-58f0-4b52-9a2e-4a2d3c1b0f99'}, IMAGE, 'rebuild.imageRef',
     'Image 8d3b8a4e-58f0-4b52-9a2e-4a2d3c1b0f99 could not be found.'),
    ({'imageRef': IMAGE['id']}, IMAGE, 'rebuild.imageRef',
     "Flavor's disk is too small for requested image. Flavor disk is 1073741824 bytes, "
     "image is 2147483648 bytes."),
    ({'imageRef': IMAGE['id']}, dict(IMAGE, size=1, min_ram=256), 'rebuild.imageRef',
     "Flavor's memory is too small for requested image."),
    ({'imageRef': IMAGE['id'], 'key_name': 'theirs'}, dict(IMAGE, size=1), 'rebuild.key_name',
     'Keypair theirs not found for user demo-user'),
])
def test_the_body_is_checked_as_nova_does(server, tmp_path, capsys, body, catalog_image, field, rule):
    before = sr.read_record(server)
    catalog = {'images': [catalog_image],
               'keypairs': [{'name': 'theirs', 'user_id': 'someone', 'public_key': 'ssh-ed25519 X'}]}
    result = run_module(server_rebuild, args(server, tmp_path, rebuild=body, catalog=catalog), capsys)
    assert result['failed'] and (result['field'], result['rule']) == (field, rule)
    assert sr.read_record(server) == before


def test_metadata_quota(server, tmp_path, capsys):
    body = {'imageRef': IMAGE['id'], 'metadata': {'a': '1', 'b': '2'}}
    result = run_module(server_rebuild, args(server, tmp_path, rebuild=body, context=ADMIN,
                                             quotas={'defaults': {'metadata_items': 1}}), capsys)
    assert result['failed'] and result['msg'] == 'Maximum number of metadata items exceeds 1'
