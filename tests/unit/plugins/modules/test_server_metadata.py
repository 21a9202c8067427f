# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""server_metadata and server_console_output against libvirt's test:///default driver."""

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record as sr
from ansible_collections.novalite.compute.plugins.modules import server_console_output, server_metadata

from module_runner import TEST_URI, run_module
from server_fixtures import MEMBER, OTHER, READER, recorded_server


@pytest.fixture
def server():
    with recorded_server('md', metadata={'role': 'web'}) as dom:
        yield dom


def args(dom, tmp_path, **over):
    return dict(dict(uri=TEST_URI, server=dom.UUIDString(), state_path=str(tmp_path),
                     context=MEMBER), **over)


def test_set_merges_then_delete_removes(server, tmp_path, capsys):
    predicted = run_module(server_metadata, args(server, tmp_path, metadata={'tier': 'front'}),
                           capsys, check_mode=True, diff=True)
    assert predicted['changed'] and predicted['diff']['after']['metadata'] == {
        'role': 'web', 'tier': 'front'}
    assert sr.read_record(server)['metadata'] == {'role': 'web'}
    done = run_module(server_metadata, args(server, tmp_path, metadata={'tier': 'front'}), capsys)
    assert done['metadata'] == {'role': 'web', 'tier': 'front'}
    assert sr.read_record(server)['metadata'] == done['metadata']
    again = run_module(server_metadata, args(server, tmp_path, metadata={'tier': 'front'}), capsys)
    assert not again['changed']
    deleted = run_module(server_metadata, args(server, tmp_path, state='absent', keys=['role']),
                         capsys)
    assert sr.read_record(server)['metadata'] == {'tier': 'front'} == deleted['metadata']
    replaced = run_module(server_metadata, args(server, tmp_path, metadata={'a': '1'},
                                                replace=True), capsys)
    assert replaced['metadata'] == {'a': '1'}


def test_quota_schema_policy_lock_and_state(server, tmp_path, capsys):
    before = sr.read_record(server)
    over = run_module(server_metadata, args(server, tmp_path, metadata={'a': '1'},
                                            quotas={'defaults': {'metadata_items': 1}}), capsys)
    assert over['failed'] and over['msg'] == 'Maximum number of metadata items exceeds 1'
    bad = run_module(server_metadata, args(server, tmp_path, metadata={'a/b': '1'}), capsys)
    assert bad['failed'] and bad['msg'].startswith('metadata.a/b: keys must match')
    for context, rule in ((READER, 'create'), (OTHER, 'create')):
        refused = run_module(server_metadata, args(server, tmp_path, metadata={'a': '1'},
                                                   context=context), capsys)
        assert refused['rule'] == 'os_compute_api:server-metadata:%s' % rule
    refused = run_module(server_metadata, args(server, tmp_path, state='absent', keys=['role'],
                                               context=READER), capsys)
    assert refused['rule'] == 'os_compute_api:server-metadata:delete'
    record = sr.read_record(server)
    sr.write_record(server, dict(record, locked=True, locked_by='admin'))
    locked = run_module(server_metadata, args(server, tmp_path, metadata={'a': '1'}), capsys)
    assert locked['msg'] == 'Instance %s is locked' % server.UUIDString()
    sr.write_record(server, dict(record, vm_state='error'))
    wrong = run_module(server_metadata, args(server, tmp_path, metadata={'a': '1'}), capsys)
    assert wrong['msg'] == ("Cannot 'update_instance_metadata' instance %s while it is in "
                            "vm_state error" % server.UUIDString())
    assert sr.read_record(server)['metadata'] == before['metadata']


def test_console_output_needs_the_policy_and_a_file_console(server, capsys):
    base = dict(uri=TEST_URI, server=server.UUIDString())
    refused = run_module(server_console_output, dict(base, context=READER), capsys)
    assert refused['rule'] == 'os_compute_api:os-console-output'
    refused = run_module(server_console_output, dict(base, context=OTHER), capsys)
    assert refused['rule'] == 'os_compute_api:os-console-output'
    # the test driver's domain has no file console
    none = run_module(server_console_output, dict(base, context=MEMBER), capsys)
    assert none['failed'] and none['msg'] == 'Guest does not have a console available.'
    bad = run_module(server_console_output, dict(base, context=MEMBER, length=-5), capsys)
    assert bad['msg'] == 'length: must be an integer of at least -1, got -5'


def test_server_info_shows_a_500_faults_details_to_admins_only(server, capsys):
    from ansible_collections.novalite.compute.plugins.modules import server_info
    fault = {'message': 'libvirtError', 'code': 500, 'created': '2026-12-04T21:00:00Z',
             'details': 'internal text'}
    sr.write_record(server, dict(sr.read_record(server), vm_state='error', fault=fault))
    base = dict(uri=TEST_URI, server=server.UUIDString())
    (member_view,) = run_module(server_info, dict(base, context=MEMBER), capsys)['servers']
    assert member_view['fault'] == dict((k, v) for k, v in fault.items() if k != 'details')
    admin = {'project_id': 'ops', 'user_id': 'root', 'roles': ['admin']}
    (admin_view,) = run_module(server_info, dict(base, context=admin), capsys)['servers']
    assert admin_view['fault'] == fault
