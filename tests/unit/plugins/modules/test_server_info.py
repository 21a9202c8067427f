# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

import subprocess
import uuid

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.compute import journal
from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record as sr
from ansible_collections.novalite.compute.plugins.module_utils.compute.server_list import compact_server
from ansible_collections.novalite.compute.plugins.modules import server_info

from libvirt_helpers import remove_domain
from module_runner import TEST_URI, open_test_driver, run_module

ADMIN = {'project_id': 'admin', 'user_id': 'admin', 'roles': ['admin']}


@pytest.fixture
def two_servers():
    conn = open_test_driver()
    names, records = [], []
    try:
        for project in ('p1', 'p2'):
            name = 'nltest-si-%s' % uuid.uuid4().hex[:8]
            names.append(name)
            dom = conn.defineXML("<domain type='qemu'><name>%s</name><memory>65536</memory>"
                                 "<vcpu>1</vcpu><os><type>hvm</type></os></domain>" % name)
            record = sr.new_record(uuid=dom.UUIDString(), name='web-%s' % project,
                                   project_id=project, host='hv1', vm_state='active')
            sr.write_record(dom, record)
            records.append(record)
        yield records
    finally:
        for name in names:
            remove_domain(conn, name)


def test_filters_and_detail(two_servers, capsys):
    first, second = two_servers
    found = run_module(server_info, dict(uri=TEST_URI, server=first['uuid'], context=ADMIN),
                       capsys)['servers']
    assert found == [dict(first, power_state=sr.SHUTDOWN)]
    by_name = run_module(server_info, dict(uri=TEST_URI, server='web-p2', context=ADMIN,
                                           all_tenants=True), capsys)['servers']
    assert [s['uuid'] for s in by_name] == [second['uuid']]
    by_project = run_module(server_info, dict(uri=TEST_URI, project_id='p1', detailed=False,
                                              context=ADMIN, all_tenants=True),
                            capsys)['servers']
    assert by_project == [compact_server(dict(first, power_state=sr.SHUTDOWN))]


def test_a_list_of_ids_and_names_and_a_pattern(two_servers, capsys):
    first, second = two_servers
    both = run_module(server_info, dict(uri=TEST_URI, server=[first['uuid'], 'web-p2'],
                                        context=ADMIN, all_tenants=True), capsys)
    assert sorted(s['uuid'] for s in both['servers']) == sorted([first['uuid'], second['uuid']])
    # the hypervisor as it names itself (the test driver has a host name but no host UUID)
    assert both['hypervisor'] == {'uuid': None, 'hostname': open_test_driver().getHostname()}
    pattern = run_module(server_info, dict(uri=TEST_URI, name='^web-p[12]$', context=ADMIN,
                                           all_tenants=True), capsys)['servers']
    assert sorted(s['uuid'] for s in pattern) == sorted([first['uuid'], second['uuid']])
    only_p2 = run_module(server_info, dict(uri=TEST_URI, name='p2$', context=ADMIN,
                                           all_tenants=True), capsys)['servers']
    assert [s['uuid'] for s in only_p2] == [second['uuid']]


def test_a_pattern_sees_only_the_callers_project(two_servers, capsys):
    first, _second = two_servers
    member = {'project_id': 'p1', 'user_id': 'u', 'roles': ['member']}
    found = run_module(server_info, dict(uri=TEST_URI, name='^web-', context=member),
                       capsys)['servers']
    assert [s['uuid'] for s in found] == [first['uuid']]


def test_a_bad_pattern_names_the_option(two_servers, capsys):
    failed = run_module(server_info, dict(uri=TEST_URI, name='web-(', context=ADMIN), capsys)
    assert failed['failed'] and failed['field'] == 'name' and 'regular expression' in failed['msg']


def test_a_build_without_a_domain_is_listed_from_its_journal(tmp_path, capsys):
    state = str(tmp_path / 'state')
    entry = journal.begin(state, {'uuid': str(uuid.uuid4()), 'name': 'half-built',
                                  'project_id': 'p1'}, 'hv1', 'req-1')
    proc = subprocess.Popen(['true'])
    proc.wait()
    entry.data['pid'] = proc.pid
    entry.note('directory')
    found = run_module(server_info, dict(uri=TEST_URI, server='half-built', state_path=state,
                                            context=ADMIN, all_tenants=True),
                       capsys)['servers']
    assert [(s['uuid'], s['vm_state'], s['host']) for s in found] == [
        (entry.instance_uuid, 'error', 'hv1')]
    assert found[0]['fault']['message'].startswith(
        'Build of instance %s stopped at step directory' % entry.instance_uuid)
    assert run_module(server_info, dict(uri=TEST_URI, project_id='p2', state_path=state,
                                            context=ADMIN, all_tenants=True),
                      capsys)['servers'] == []
