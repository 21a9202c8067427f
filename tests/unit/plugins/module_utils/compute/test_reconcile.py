# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The build journal and the reconciler against libvirt's test driver: what dead builds left
goes, what a live server, a live build or another host owns stays, check mode changes
nothing, and a second pass finds nothing."""

import json
import os
import shutil
import subprocess
import time

import pytest

libvirt = pytest.importorskip('libvirt')

from ansible_collections.novalite.compute.plugins.module_utils.compute import claims  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import deleted  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import journal  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import layout  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import reconcile  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record as sr  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import teardown  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.network import (  # noqa: E402
    add_dhcp_host, dhcp_hosts,
)

NET = 'nltest-rec'
NODE_XML = """<node>
  <cpu><mhz>2000</mhz><model>x86_64</model><active>4</active><nodes>1</nodes>
       <sockets>1</sockets><cores>4</cores><threads>1</threads></cpu>
  <memory>4194304</memory>
  <network>
    <name>%s</name>
    <bridge name='nltestrec0'/>
    <ip address='10.254.252.1' netmask='255.255.255.0'>
      <dhcp><range start='10.254.252.100' end='10.254.252.200'/></dhcp>
    </ip>
  </network>
</node>
""" % NET
PARTIAL, ADOPTED, STALE, LIVE, ACTIVE, SLOW, ORPHAN = (
    '00000000-0000-4000-8000-00000000000%d' % i for i in range(1, 8))


@pytest.fixture
def node_xml():
    """The host's node: its network NET, for the servers' DHCP entries."""
    return NODE_XML


def dead_pid():
    proc = subprocess.Popen(['true'])
    proc.wait()
    return proc.pid


def write_journal(settings, uuid, pid, **fields):
    entry = journal.begin(settings.state_path, {'uuid': uuid, 'name': 'srv-%s' % uuid[-1],
                                                'project_id': 'demo'}, 'hv1', 'req-1')
    entry.data.update(pid=pid, **fields)
    entry.note(fields.get('step', 'started'))
    return entry


def make_dir(settings, uuid):
    path = layout.instance_dir(settings.instances_path, uuid)
    os.makedirs(path)
    open(os.path.join(path, 'disk'), 'w').close()
    return path


def define(conn, settings, uuid, vm_state, created=None, mac=None):
    iface = ("<interface type='network'><mac address='%s'/><source network='%s'/></interface>"
             % (mac, NET)) if mac else ''
    dom = conn.defineXML("<domain type='test'><name>instance-%s</name><uuid>%s</uuid>"
                         "<memory>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os>"
                         "<devices>%s</devices></domain>" % (uuid, uuid, iface))
    record = sr.new_record(uuid=uuid, name='srv', host='hv1', vm_state=vm_state,
                           task_state='spawning' if vm_state == 'building' else None,
                           created=created or sr.now_iso(),
                           actions=[sr.new_action('create', 'req-1')])
    sr.add_event(record, 'create', 'compute__do_build_and_run_instance', None, record['created'], None)
    sr.write_record(dom, record)
    make_dir(settings, uuid)
    return dom


def write_claim(settings, uuid, pid, mac):
    os.makedirs(layout.claims_dir(settings.state_path), exist_ok=True)
    layout.write_atomic(layout.claim_path(settings.state_path, uuid), json.dumps(
        {'instance_uuid': uuid, 'vcpus': 1, 'memory_mb': 64, 'disk_gb': 1, 'created': 'x',
         'pid': pid, 'ports': [{'mac': mac, 'dhcp_network': NET}]}))


@pytest.fixture
def leftovers(host, settings):
    """A host with what dead builds left beside what live servers and builds own."""
    gone = dead_pid()
    # A build killed after its DHCP entry and directory: no domain.
    add_dhcp_host(host, NET, 'fa:16:3e:00:00:01', '10.254.252.11', 'partial')
    write_journal(settings, PARTIAL, gone, step='directory', dhcp=[[NET, 'fa:16:3e:00:00:01']],
                  instance_dir=make_dir(settings, PARTIAL))
    write_claim(settings, PARTIAL, gone, 'fa:16:3e:00:00:01')
    base = layout.image_cache_dir(settings.state_path)
    os.makedirs(base)
    open(layout.temporary_path(os.path.join(base, 'abc'), gone), 'w').close()
    # A build killed after its domain was defined and started.
    define(host, settings, ADOPTED, 'building', mac='fa:16:3e:00:00:02')
    add_dhcp_host(host, NET, 'fa:16:3e:00:00:02', '10.254.252.12', 'adopted')
    write_journal(settings, ADOPTED, gone, step='start', domain='instance-' + ADOPTED)
    # A claim of a dead build of the time before journals, with its DHCP entry.
    add_dhcp_host(host, NET, 'fa:16:3e:00:00:03', '10.254.252.13', 'stale')
    write_claim(settings, STALE, gone, 'fa:16:3e:00:00:03')
    # A build under way (this process): all of it stays.
    add_dhcp_host(host, NET, 'fa:16:3e:00:00:04', '10.254.252.14', 'live')
    write_journal(settings, LIVE, os.getpid(), step='network', dhcp=[[NET, 'fa:16:3e:00:00:04']])
    write_claim(settings, LIVE, os.getpid(), 'fa:16:3e:00:00:04')
    open(layout.temporary_path(os.path.join(base, 'def'), os.getpid()), 'w').close()
    # A server that runs, one building too long, an orphan DHCP entry, a foreign entry, an
    # orphan directory, and a directory that is not an instance's.
    define(host, settings, ACTIVE, 'active', mac='fa:16:3e:00:00:05')
    add_dhcp_host(host, NET, 'fa:16:3e:00:00:05', '10.254.252.15', 'active')
    define(host, settings, SLOW, 'building', created='2020-01-01T00:00:00Z')
    add_dhcp_host(host, NET, 'fa:16:3e:00:00:06', '10.254.252.16', 'orphan')
    add_dhcp_host(host, NET, '52:54:00:00:00:07', '10.254.252.17', 'not-ours')
    make_dir(settings, ORPHAN)
    os.makedirs(os.path.join(settings.instances_path, '_base'))
    return gone


def state_of(conn, uuid):
    record = sr.read_record(conn.lookupByUUIDString(uuid))
    return record['vm_state'], record['task_state'], (record['fault'] or {}).get('message')


def snapshot(conn, settings):
    # The compute lock's file stays by design (a pass takes the lock in check mode too).
    files = sorted(os.path.relpath(os.path.join(d, f), str(settings.state_path))
                   for d, _dirs, names in os.walk(settings.state_path) for f in names
                   if f != layout.COMPUTE_LOCK_FILE)
    return (sorted(os.listdir(settings.instances_path)), files,
            sorted(h['mac'] for h in dhcp_hosts(conn, NET)),
            [state_of(conn, u) for u in (ADOPTED, SLOW)])


def test_partial_build_is_listed_as_error_with_its_fault(host, settings, leftovers):
    listed = journal.partial_servers(settings.state_path, {ADOPTED, ACTIVE, SLOW})
    by_uuid = dict((rec['uuid'], rec) for rec in listed)
    assert sorted(by_uuid) == [PARTIAL, LIVE]
    assert (by_uuid[PARTIAL]['vm_state'], by_uuid[PARTIAL]['name']) == ('error', 'srv-1')
    assert by_uuid[PARTIAL]['fault']['message'] == (
        'Build of instance %s stopped at step directory: its process %d is gone' % (PARTIAL, leftovers))
    assert (by_uuid[LIVE]['vm_state'], by_uuid[LIVE]['task_state'], by_uuid[LIVE]['fault']) == (
        'building', 'spawning', None)


def test_check_mode_reports_and_changes_nothing(host, settings, leftovers):
    before = snapshot(host, settings)
    result = reconcile.reconcile(host, settings, networks=[NET], instance_build_timeout=3600,
                                 check_mode=True)
    assert result['changed'] is True
    assert result['summary'] == {'partial_build': 1, 'adopted': 1, 'build_stopped': 1,
                                 'stale_claim': 1, 'build_timeout': 1, 'orphan_dhcp': 1,
                                 'orphan_directory': 1, 'temporary_file': 1}
    assert snapshot(host, settings) == before


def test_one_pass_removes_what_no_live_record_owns(host, settings, leftovers):
    result = reconcile.reconcile(host, settings, networks=[NET], instance_build_timeout=3600)
    subjects = dict(((a['action'], a['subject']) for a in result['actions']))
    assert ('orphan_dhcp', '%s fa:16:3e:00:00:06' % NET) in subjects.items()
    assert ('orphan_directory', ORPHAN) in subjects.items()
    assert sorted(os.listdir(settings.instances_path)) == sorted(['_base', ADOPTED, ACTIVE, SLOW])
    # The live build keeps its journal, claim, DHCP entry and temporary file.
    assert [j['instance_uuid'] for j in journal.list_journals(settings.state_path)] == [LIVE]
    assert [c['instance_uuid'] for c in claims.list_claims(settings.state_path)] == [LIVE]
    assert os.listdir(layout.claims_dir(settings.state_path)) == ['%s.json' % LIVE]
    assert [os.path.basename(p) for p, _pid in layout.temporary_files(settings.state_path)] == [
        'def.part.%d' % os.getpid()]
    assert sorted(h['mac'] for h in dhcp_hosts(host, NET)) == [
        '52:54:00:00:00:07', 'fa:16:3e:00:00:02', 'fa:16:3e:00:00:04', 'fa:16:3e:00:00:05']
    assert state_of(host, ADOPTED) == ('error', None, 'Build of instance %s stopped at step '
                                       'start: its process %d is gone' % (ADOPTED, leftovers))
    assert state_of(host, SLOW) == ('error', None, 'Build of instance %s timed out after 3600 '
                                    'seconds (instance_build_timeout)' % SLOW)
    assert state_of(host, ACTIVE) == ('active', None, None)
    event = sr.read_record(host.lookupByUUIDString(SLOW))['actions'][-1]
    assert (event['message'], event['events'][-1]['result']) == ('Error', 'Error')
    again = reconcile.reconcile(host, settings, networks=[NET], instance_build_timeout=3600)
    assert again == {'changed': False, 'actions': [], 'summary': {}, 'errors': [], 'in_doubt': []}


def test_without_networks_only_entries_of_dead_builds_go(host, settings, leftovers):
    reconcile.reconcile(host, settings)
    # The partial build's and the stale claim's entries went; the orphan one stays.
    assert 'fa:16:3e:00:00:06' in [h['mac'] for h in dhcp_hosts(host, NET)]
    assert not {'fa:16:3e:00:00:01', 'fa:16:3e:00:00:03'} & set(h['mac'] for h in dhcp_hosts(host, NET))
    # No build timeout by default (Nova's instance_build_timeout 0).
    assert state_of(host, SLOW) == ('building', 'spawning', None)


def test_old_temporary_file_of_a_live_process_goes_after_the_grace_period(host, settings):
    base = layout.image_cache_dir(settings.state_path)
    os.makedirs(base)
    path = layout.temporary_path(os.path.join(base, 'abc'), os.getpid())
    open(path, 'w').close()
    assert reconcile.reconcile(host, settings, grace_period=60)['actions'] == []
    old = time.time() - 120
    os.utime(path, (old, old))
    assert [a['action'] for a in reconcile.reconcile(host, settings, grace_period=60)['actions']] == [
        'temporary_file']
    assert not os.path.exists(path)


def test_a_file_where_the_image_cache_belongs_is_passed_over_and_the_pass_goes_on(host, settings, leftovers):
    """The image cache path is a file (a host whose cache cannot be written): the pass still
    removes the partial build and reports the step it could not do."""
    os.makedirs(settings.state_path, exist_ok=True)
    shutil.rmtree(layout.image_cache_dir(settings.state_path), ignore_errors=True)
    with open(layout.image_cache_dir(settings.state_path), 'w') as handle:
        handle.write('not a directory\n')
    os.makedirs(layout.staging_dir(settings.state_path), exist_ok=True)
    result = reconcile.reconcile(host, settings, networks=[NET])
    assert result['summary']['partial_build'] == 1 and result['errors'] == []
    assert journal.read(settings.state_path, PARTIAL) is None


def test_an_action_that_fails_is_reported_and_the_others_are_taken(host, settings, leftovers, monkeypatch):
    real = teardown.remove_instance_dir

    def refuse(path):
        if path.endswith(ORPHAN):
            raise PermissionError(13, 'Permission denied', path)
        return real(path)
    monkeypatch.setattr(teardown, 'remove_instance_dir', refuse)
    result = reconcile.reconcile(host, settings, networks=[NET])
    orphan = layout.instance_dir(settings.instances_path, ORPHAN)
    assert result['errors'] == [{'step': 'orphan_directory', 'subject': ORPHAN,
                                 'error': "[Errno 13] Permission denied: '%s'" % orphan}]
    assert [a.get('error') for a in result['actions'] if a['subject'] == ORPHAN] == [result['errors'][0]['error']]
    assert os.path.isdir(orphan)
    assert journal.read(settings.state_path, PARTIAL) is None and result['changed'] is True


def test_a_step_that_fails_is_reported_and_the_next_steps_run(host, settings, leftovers, monkeypatch):
    def broken(*_args):
        raise OSError(5, 'Input/output error')
    monkeypatch.setattr(claims, 'list_claims', broken)
    result = reconcile.reconcile(host, settings, networks=[NET])
    assert [(e['step'], e['error']) for e in result['errors']] == [
        ('stale_claim', '[Errno 5] Input/output error'), ('orphan_directory', '[Errno 5] Input/output error')]
    # orphan_dhcp ran between them
    assert ('orphan_dhcp', '%s fa:16:3e:00:00:06' % NET) in [(a['action'], a['subject']) for a in result['actions']]


ADMIN = {'project_id': 'ops', 'user_id': 'admin', 'roles': ['admin']}
OTHER = {'project_id': 'other', 'user_id': 'someone', 'roles': ['member']}
GONE = '00000000-0000-4000-8000-000000000009'


def test_deletes_recorded_while_libvirtd_was_down_are_done_for_callers_the_policy_allows(host, settings, leftovers):
    """Nova's _cleanup_running_deleted_instances: the recorded caller is checked against the
    record now that it can be read."""
    deleted.request(settings.state_path, ACTIVE, ADMIN, {})
    deleted.request(settings.state_path, SLOW, OTHER, {})
    deleted.request(settings.state_path, GONE, ADMIN, {})
    checked = reconcile.reconcile(host, settings, check_mode=True)
    assert [(a['action'], a['subject']) for a in checked['actions'][:3]] == [
        ('deleted', ACTIVE), ('delete_refused', SLOW), ('deleted', GONE)]
    assert len(deleted.requests(settings.state_path)) == 3
    result = reconcile.reconcile(host, settings)
    assert [(a['action'], a['subject']) for a in result['actions'][:3]] == [
        ('deleted', ACTIVE), ('delete_refused', SLOW), ('deleted', GONE)]
    assert "Policy doesn't allow os_compute_api:servers:delete to be performed." in result['actions'][1]['detail']
    with pytest.raises(libvirt.libvirtError):
        host.lookupByUUIDString(ACTIVE)
    assert not os.path.exists(layout.instance_dir(settings.instances_path, ACTIVE))
    assert 'fa:16:3e:00:00:05' not in [h['mac'] for h in dhcp_hosts(host, NET)]
    assert state_of(host, SLOW) == ('building', 'spawning', None)
    assert deleted.requests(settings.state_path) == [] and result['errors'] == []


def test_a_recorded_delete_that_names_no_uuid_is_reported_and_touches_nothing(host, settings, leftovers):
    os.makedirs(layout.deleted_dir(settings.state_path))
    with open(layout.deleted_path(settings.state_path, 'x'), 'w') as handle:
        json.dump({'instance_uuid': '../inst', 'context': ADMIN, 'policy': {}}, handle)
    result = reconcile.reconcile(host, settings)
    assert result['errors'] == [{'step': 'deleted', 'subject': None,
                                 'error': "a recorded delete names no server uuid: '../inst'"}]
    assert os.path.isdir(settings.instances_path)


def test_a_locked_server_is_not_deleted_for_a_recorded_member(host, settings, leftovers):
    dom = host.lookupByUUIDString(ACTIVE)
    record = sr.read_record(dom)
    record.update(project_id='demo', locked=True)
    sr.write_record(dom, record)
    deleted.request(settings.state_path, ACTIVE, {'project_id': 'demo', 'user_id': 'u', 'roles': ['member']}, {})
    result = reconcile.reconcile(host, settings)
    assert [(a['action'], a['detail'].split(': ')[-1]) for a in result['actions'][:1]] == [
        ('delete_refused', 'Instance %s is locked' % ACTIVE)]
    assert state_of(host, ACTIVE) == ('active', None, None)
    assert deleted.requests(settings.state_path) == []


def test_delete_of_a_partial_build_removes_it_all(host, settings, leftovers):
    result = teardown.delete(host, PARTIAL, settings.instances_path, settings.state_path)
    assert result['changed'] is True and result['server']['vm_state'] == 'error'
    assert not os.path.exists(layout.instance_dir(settings.instances_path, PARTIAL))
    assert journal.read(settings.state_path, PARTIAL) is None
    assert not claims.has_claim(settings.state_path, PARTIAL)
    assert 'fa:16:3e:00:00:01' not in [h['mac'] for h in dhcp_hosts(host, NET)]
    assert [os.path.basename(p) for p, _pid in layout.temporary_files(settings.state_path)] == [
        'def.part.%d' % os.getpid()]
    assert teardown.delete(host, PARTIAL, settings.instances_path, settings.state_path) == {
        'changed': False, 'server': None}
