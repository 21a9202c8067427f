# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The whole build and delete against libvirt's test driver (a private in-memory host per
connection) with the real qemu-img, image cache and config drive."""

import base64
import io
import json
import os
import shutil
import subprocess

import pycdlib
import pytest

libvirt = pytest.importorskip('libvirt')

from ansible_collections.novalite.compute.plugins.module_utils.compute import build  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import teardown  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import claims  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import image_cache  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import journal  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import layout  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import reconcile  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute.host_settings import HostSettings  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute.resource_tracker import (  # noqa: E402
    report_host_state,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute.layout import (  # noqa: E402
    read_failed_builds,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.network import (  # noqa: E402
    dhcp_hosts,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import (  # noqa: E402
    open_connection,
)

from build_fixtures import (  # noqa: E402
    NODE_XML, UUID, params, runner, server, sha256,
)

pytestmark = pytest.mark.skipif(shutil.which('qemu-img') is None, reason='needs qemu-img')
# The build's steps in their order, as server_build documents them.
STEPS = ('claim', 'network', 'image', 'config_drive', 'define', 'start')


def assert_nothing_left(conn, tmp_path, uuid=UUID):
    assert [d.UUIDString() for d in conn.listAllDomains()] == []
    assert not os.path.exists(str(tmp_path / 'instances' / uuid))
    assert claims.list_claims(str(tmp_path / 'state')) == []
    assert not os.path.exists(str(tmp_path / 'state' / 'claims' / ('%s.json' % uuid)))
    assert dhcp_hosts(conn, 'nltest-unit') == []


def test_build_defines_starts_and_records(host, tmp_path, catalog):
    state = tmp_path / 'state'
    state.mkdir()
    (state / 'failed_builds').write_text('2\n')
    result = build.Builder(host, params(tmp_path, server(catalog)), runner).build()
    assert result['changed'] is True and result['host'] == 'hv1'
    assert set(result['timings']) == set(STEPS)
    record = result['server']
    assert (record['vm_state'], record['task_state'], record['power_state']) == ('active', None, 1)
    assert record['host'] == 'hv1' and record['node'] == 'hv1.example'
    assert record['flavor']['id'] == '1' and record['image'] == {'id': 'img-1', 'name': 'tiny'}
    assert record['launched_at'] and record['created']
    action = record['actions'][0]
    assert (action['action'], action['request_id']) == ('create', 'req-1')
    assert action['events'][0]['event'] == build.BUILD_EVENT
    assert action['events'][0]['result'] == 'Success' and action['finish_time']
    port = record['ports'][0]
    assert port['fixed_ip'] == '10.254.253.10' and port['mac'].startswith('fa:16:3e:')
    assert dhcp_hosts(host, 'nltest-unit') == [{'mac': port['mac'], 'ip': '10.254.253.10', 'name': 'web-1'}]
    assert 'pw' not in json.dumps(result)

    dom = host.lookupByUUIDString(UUID)
    assert dom.name() == 'instance-' + UUID and dom.isActive()
    after = result['diff']['after']
    assert (after['vcpus'], after['memory_mb'], after['type']) == (2, 256, 'qemu')
    inst = str(tmp_path / 'instances' / UUID)
    assert [(d['target'], d['source'], d['device']) for d in after['disks']] == [
        ('vda', inst + '/disk', 'disk'), ('vdb', inst + '/disk.eph0', 'disk'),
        ('vdc', inst + '/disk.swap', 'disk'), ('hdc', inst + '/disk.config', 'cdrom')]
    assert after['os']['kernel'] == inst + '/kernel'
    assert after['os']['cmdline'] == 'console=ttyS0 panic=-1'
    assert after['interfaces'][0]['mac'] == port['mac']
    assert after['console_log'] == inst + '/console.log'
    assert after['record']['vm_state'] == 'active'

    assert os.path.realpath(inst + '/kernel').startswith(str(state / '_base'))
    info = json.loads(subprocess.check_output(['qemu-img', 'info', '--output=json', inst + '/disk']))
    assert info['virtual-size'] == 1024 ** 3
    iso = pycdlib.PyCdlib()
    iso.open(inst + '/disk.config')
    out = io.BytesIO()
    iso.get_file_from_iso_fp(out, rr_path='/openstack/latest/meta_data.json')
    iso.close()
    assert json.loads(out.getvalue())['uuid'] == UUID
    assert claims.list_claims(str(state)) == []
    assert read_failed_builds(str(state)) == 0


@pytest.mark.parametrize('request_spec', [{'availability_zone': 'az1'}, {'availability_zone': None}])
def test_the_record_keeps_the_zone_the_create_asked_for(host, tmp_path, catalog, request_spec):
    # the conductor gave the server its host's zone; the zone asked for is kept beside it
    data = server(catalog, availability_zone='az1', request_spec=request_spec)
    result = build.Builder(host, params(tmp_path, data), runner).build()
    stored = server_record.read_record(host.lookupByUUIDString(UUID))
    assert (stored['availability_zone'], stored['request_spec']) == ('az1', request_spec)
    assert result['server']['request_spec'] == request_spec


def test_a_build_without_a_request_spec_records_none(host, tmp_path, catalog):
    build.Builder(host, params(tmp_path, server(catalog)), runner).build()
    assert server_record.read_record(host.lookupByUUIDString(UUID))['request_spec'] is None


@pytest.mark.parametrize('request_spec, rule', [
    ('az1', 'server.request_spec must be a dict with availability_zone only'),
    ({'availability_zone': 'az1', 'force_hosts': ['hv1']},
     'server.request_spec must be a dict with availability_zone only'),
    ({'availability_zone': ''}, 'server.request_spec.availability_zone must be null or a zone name'),
    ({'availability_zone': 7}, 'server.request_spec.availability_zone must be null or a zone name'),
])
def test_a_bad_request_spec_is_refused_before_anything(host, tmp_path, catalog, request_spec, rule):
    with pytest.raises(build.BuildError) as err:
        build.Builder(host, params(tmp_path, server(catalog, request_spec=request_spec)), runner).build()
    assert (err.value.step, err.value.reschedule, err.value.cause) == ('validate', False, rule)
    assert not os.path.exists(str(tmp_path / 'state'))


def test_the_host_report_after_the_build_counts_the_new_server(host, tmp_path, catalog):
    builder = build.Builder(host, params(tmp_path, server(catalog)), runner)
    result = builder.build()
    state, table = report_host_state(host, builder.settings, host='hv1')
    assert state['host'] == 'hv1' and state['num_instances'] == 1
    assert state['instances'] == {UUID: None}
    assert state['vcpus_used'] == result['server']['flavor']['vcpus']
    assert state['claims'] == [] and len(table['rows']) == 1


def test_build_again_is_unchanged(host, tmp_path, catalog):
    first = build.Builder(host, params(tmp_path, server(catalog)), runner).build()
    again = build.Builder(host, params(tmp_path, server(catalog)), runner).build()
    assert again['changed'] is False
    assert again['server'] == first['server']


def test_images_on_the_controller_not_cached_are_asked_for_before_the_claim(host, tmp_path, catalog):
    """What the action plugin relies on: the build names the controller's images the host's
    cache lacks and stops before claiming or counting anything; once cached, it builds."""
    srv = server(catalog)
    p = params(tmp_path, srv, controller_images=['image', 'kernel'])
    with pytest.raises(build.ImagesNeeded) as err:
        build.Builder(host, p, runner).build()
    assert err.value.keys == ['image', 'kernel']
    assert not os.path.exists(str(tmp_path / 'state' / 'failed_builds'))
    assert_nothing_left(host, tmp_path)
    image_cache.fetch_image(str(tmp_path / 'state'), srv['kernel'], runner)
    with pytest.raises(build.ImagesNeeded) as err:
        build.Builder(host, p, runner).build()
    assert err.value.keys == ['image']
    image_cache.fetch_image(str(tmp_path / 'state'), srv['image'], runner)
    assert build.Builder(host, p, runner).build()['changed'] is True


def test_second_server_gets_next_address(host, tmp_path, catalog):
    first = build.Builder(host, params(tmp_path, server(catalog)), runner).build()
    other = server(catalog, uuid='0b9c6a55-5a0c-4c6e-9a5e-3b2a7f9d1c02', hostname='web-2')
    second = build.Builder(host, params(tmp_path, other), runner).build()
    assert second['server']['ports'][0]['fixed_ip'] == '10.254.253.11'
    assert second['server']['ports'][0]['mac'] != first['server']['ports'][0]['mac']


def test_check_mode_plans_without_changes(host, tmp_path, catalog):
    planned = build.Builder(host, params(tmp_path, server(catalog)), runner).plan()
    assert planned['changed'] is True
    assert [s['step'] for s in planned['plan']] == list(STEPS)
    assert 'to fetch' in planned['plan'][2]['detail']
    assert planned['diff']['after']['name'] == 'instance-' + UUID
    assert planned['server']['ports'][0]['fixed_ip'] == '10.254.253.10'
    assert_nothing_left(host, tmp_path)
    assert not os.path.exists(str(tmp_path / 'state' / '_base'))


def test_check_mode_reports_claim_failure(host, tmp_path, catalog):
    big = server(catalog)
    big['flavor'] = dict(big['flavor'], memory_mb=4000)
    builder = build.Builder(host, params(tmp_path, big, ram_allocation_ratio=1.0), runner)
    with pytest.raises(build.BuildError) as err:
        builder.plan()
    assert (err.value.step, err.value.reschedule) == ('claim', True)
    assert 'MEMORY_MB: requested 4000, used 0 of capacity 3584' in err.value.cause


def test_claim_that_does_not_fit(host, tmp_path, catalog):
    big = server(catalog)
    big['flavor'] = dict(big['flavor'], vcpus=4)
    build.Builder(host, params(tmp_path, server(catalog), cpu_allocation_ratio=1.0), runner).build()
    other = dict(big, uuid='0b9c6a55-5a0c-4c6e-9a5e-3b2a7f9d1c02')
    with pytest.raises(build.BuildError) as err:
        build.Builder(host, params(tmp_path, other, cpu_allocation_ratio=1.0), runner).build()
    assert (err.value.step, err.value.reschedule) == ('claim', True)
    assert 'VCPU: requested 4, used 2 of capacity 4' in err.value.cause
    assert err.value.message(other['uuid'], 'hv1').startswith(
        'Build of instance %s failed on hv1 at step claim: ' % other['uuid'])
    assert not os.path.exists(str(tmp_path / 'instances' / other['uuid']))
    assert read_failed_builds(str(tmp_path / 'state')) == 0


def test_the_journal_opens_under_the_compute_lock_once_the_claim_fits(host, tmp_path, catalog, monkeypatch):
    """A build waiting for the lock, or whose claim does not fit, has made nothing: no journal."""
    state = str(tmp_path / 'state')
    seen = []
    real = build.Builder._checked_fit

    def checked(builder, current):
        seen.append(journal.read(state, UUID))
        return real(builder, current)
    monkeypatch.setattr(build.Builder, '_checked_fit', checked)
    build.Builder(host, params(tmp_path, server(catalog)), runner).build()
    assert seen == [None]
    big = server(catalog, uuid='0b9c6a55-5a0c-4c6e-9a5e-3b2a7f9d1c02')
    big['flavor'] = dict(big['flavor'], vcpus=64)
    with pytest.raises(build.BuildError):
        build.Builder(host, params(tmp_path, big, cpu_allocation_ratio=1.0), runner).build()
    assert journal.list_journals(state) == []


def test_a_journal_that_cannot_be_written_fails_the_claim_and_leaves_nothing(host, tmp_path, catalog, monkeypatch):
    def full(*_args):
        raise OSError(28, 'No space left on device')
    monkeypatch.setattr(journal, 'begin', full)
    with pytest.raises(build.BuildError) as err:
        build.Builder(host, params(tmp_path, server(catalog)), runner).build()
    assert (err.value.step, err.value.reschedule) == ('claim', True)
    assert err.value.cause == '[Errno 28] No space left on device'
    assert_nothing_left(host, tmp_path)
    assert not claims.has_claim(str(tmp_path / 'state'), UUID)
    assert read_failed_builds(str(tmp_path / 'state')) == 0


def test_a_second_build_of_a_server_under_way_keeps_the_first_ones_journal(host, tmp_path, catalog):
    state = str(tmp_path / 'state')
    first = journal.begin(state, server(catalog), 'hv1', 'req-first')
    os.makedirs(layout.claims_dir(state))
    layout.write_atomic(layout.claim_path(state, UUID), json.dumps(
        {'instance_uuid': UUID, 'vcpus': 1, 'memory_mb': 64, 'disk_gb': 1, 'created': 'x',
         'pid': os.getpid(), 'ports': []}))
    with pytest.raises(build.BuildError) as err:
        build.Builder(host, params(tmp_path, server(catalog)), runner).build()
    assert 'a build of this instance is already in progress' in err.value.cause
    assert journal.read(state, UUID)['request_id'] == first.data['request_id']


def test_bad_checksum_leaves_nothing(host, tmp_path, catalog):
    srv = server(catalog)
    srv['image'] = dict(srv['image'], checksum='sha256:' + '0' * 64)
    with pytest.raises(build.BuildError) as err:
        build.Builder(host, params(tmp_path, srv), runner).build()
    assert (err.value.step, err.value.reschedule) == ('image', True)
    assert 'checksum mismatch' in err.value.cause
    assert_nothing_left(host, tmp_path)
    assert os.listdir(str(tmp_path / 'state' / '_base')) == []
    assert read_failed_builds(str(tmp_path / 'state')) == 1


def test_two_servers_of_one_host_name_both_build(host, tmp_path, catalog):
    first = build.Builder(host, params(tmp_path, server(catalog)), runner).build()
    other = server(catalog, uuid='0b9c6a55-5a0c-4c6e-9a5e-3b2a7f9d1c02')
    second = build.Builder(host, params(tmp_path, other), runner).build()
    assert second['server']['hostname'] == 'web-1'
    # libvirt refuses a second DHCP entry of the same name: the second lease has none.
    assert sorted((entry['ip'], entry['name']) for entry in dhcp_hosts(host, 'nltest-unit')) == [
        ('10.254.253.10', 'web-1'), ('10.254.253.11', None)]
    assert first['server']['ports'][0]['fixed_ip'] == '10.254.253.10'


def test_unreachable_libvirtd_counts_a_failed_build(tmp_path):
    state = str(tmp_path / 'state')
    with pytest.raises(libvirt.libvirtError):
        build.connect('qemu:///system?socket=%s' % (tmp_path / 'no-libvirtd.sock'), state)
    assert read_failed_builds(state) == 1
    build.connect('test:///default', state).close()
    assert read_failed_builds(state) == 1


def test_failed_build_keeps_its_cause_when_the_counter_cannot_be_written(host, tmp_path, catalog):
    srv = server(catalog)
    srv['image'] = dict(srv['image'], checksum='sha256:' + '0' * 64)
    # The counter's place is taken by a directory: renaming the new count onto it fails.
    os.makedirs(str(tmp_path / 'state' / 'failed_builds'))
    with pytest.raises(build.BuildError) as err:
        build.Builder(host, params(tmp_path, srv), runner).build()
    assert (err.value.step, err.value.reschedule) == ('image', True)
    assert err.value.cause.startswith('image img-1: checksum mismatch')
    assert 'and counting the failed build failed' in err.value.cause
    assert_nothing_left(host, tmp_path)
    assert sorted(os.listdir(str(tmp_path / 'state'))) == [
        '_base', 'claims', 'compute.lock', 'failed_builds', 'journal', 'locks']


def test_requested_ip_in_use_fails_network_step(host, tmp_path, catalog):
    build.Builder(host, params(tmp_path, server(catalog)), runner).build()
    srv = server(catalog, uuid='0b9c6a55-5a0c-4c6e-9a5e-3b2a7f9d1c02')
    srv['networks'] = [dict(srv['networks'][0], fixed_ip='10.254.253.10')]
    with pytest.raises(build.BuildError) as err:
        build.Builder(host, params(tmp_path, srv), runner).build()
    assert (err.value.step, err.value.reschedule) == ('network', False)
    assert 'networks[0].fixed_ip: 10.254.253.10 is already in use' in err.value.cause
    assert len(host.listAllDomains()) == 1
    assert len(dhcp_hosts(host, 'nltest-unit')) == 1
    assert claims.list_claims(str(tmp_path / 'state')) == []


def test_define_failure_rolls_back(host, tmp_path, catalog):
    """A domain of the same name but another uuid makes defineXML fail after the disks, the
    config drive and the DHCP entry exist."""
    host.defineXML("<domain type='qemu'><name>instance-%s</name><memory>1024</memory>"
                   "<os><type>hvm</type></os></domain>" % UUID)
    with pytest.raises(build.BuildError) as err:
        build.Builder(host, params(tmp_path, server(catalog)), runner).build()
    assert (err.value.step, err.value.reschedule) == ('define', True)
    assert [d.name() for d in host.listAllDomains()] == ['instance-' + UUID]
    assert not os.path.exists(str(tmp_path / 'instances' / UUID))
    assert dhcp_hosts(host, 'nltest-unit') == []
    assert claims.list_claims(str(tmp_path / 'state')) == []
    assert read_failed_builds(str(tmp_path / 'state')) == 1


@pytest.mark.parametrize('over,field', [
    ({'user_data': 'not base64!'}, 'user_data: must be base64'),
    ({'virt_type': 'xen'}, 'virt_type must be one of'),
])
def test_validation_fails_before_anything(host, tmp_path, catalog, over, field):
    with pytest.raises(build.BuildError) as err:
        build.Builder(host, params(tmp_path, server(catalog), **over), runner).build()
    assert err.value.step == 'validate' and err.value.reschedule is False
    assert field in err.value.cause
    assert not os.path.exists(str(tmp_path / 'state'))


def test_delete(host, tmp_path, catalog):
    record = build.Builder(host, params(tmp_path, server(catalog)), runner).build()['server']
    args = (host, UUID, str(tmp_path / 'instances'), str(tmp_path / 'state'))
    checked = teardown.delete(*args, check_mode=True)
    assert checked == {'changed': True, 'server': record}
    assert host.lookupByUUIDString(UUID).isActive()
    assert teardown.delete(*args) == {'changed': True, 'server': record}
    assert_nothing_left(host, tmp_path)
    assert teardown.delete(*args) == {'changed': False, 'server': None}


def test_delete_removes_a_stale_half_build(host, tmp_path, catalog):
    """What a killed build leaves (claim with a DHCP entry, instance dir) goes too."""
    state, inst = str(tmp_path / 'state'), tmp_path / 'instances' / UUID
    inst.mkdir(parents=True)
    (inst / 'disk').write_bytes(b'x')
    from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.network import add_dhcp_host
    add_dhcp_host(host, 'nltest-unit', 'fa:16:3e:00:00:09', '10.254.253.19', 'x')
    with claims.claim(state, UUID, {'vcpus': 1, 'memory_mb': 1}, lambda c: []) as held:
        held.save_ports([{'id': 'p', 'network_id': 'net-1', 'mac': 'fa:16:3e:00:00:09',
                          'fixed_ip': '10.254.253.19', 'dhcp_network': 'nltest-unit'}])
    assert teardown.delete(host, UUID, str(tmp_path / 'instances'), state)['changed'] is True
    assert_nothing_left(host, tmp_path)


# ---- the modules ------------------------------------------------------------------------

def run_module(module, args, capsys, check_mode=False, diff=False):
    from ansible.module_utils.testing import patch_module_args
    with patch_module_args(dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)):
        with pytest.raises(SystemExit):
            module.main()
    return json.loads(capsys.readouterr().out)


def module_args(tmp_path, srv, **over):
    args = dict(params(tmp_path, srv), uri='test://%s' % (tmp_path / 'node.xml'))
    args.update(over)
    return args


def test_server_build_module(tmp_path, catalog, capsys):
    from ansible_collections.novalite.compute.plugins.modules import server_build
    (tmp_path / 'node.xml').write_text(NODE_XML)
    checked = run_module(server_build, module_args(tmp_path, server(catalog)), capsys,
                         check_mode=True, diff=True)
    assert checked['changed'] is True and checked['host'] == 'hv1'
    assert [s['step'] for s in checked['plan']] == list(STEPS)
    assert checked['diff']['before'] == {} and checked['diff']['after']['vcpus'] == 2
    # Each connection to a test:// file is a fresh host, so a real build is checked here by
    # its result only.
    built = run_module(server_build, module_args(tmp_path, server(catalog)), capsys)
    assert built['changed'] is True and built['server']['vm_state'] == 'active'
    assert set(built['timings']) == set(STEPS) and 'diff' not in built
    assert 'pw' not in json.dumps(built['server'])


def test_server_build_module_hides_file_contents_but_not_paths(tmp_path, catalog, capsys):
    from ansible_collections.novalite.compute.plugins.modules import server_build
    (tmp_path / 'node.xml').write_text(NODE_XML)
    secret = 'injected-secret-%s' % UUID
    contents = base64.b64encode(secret.encode()).decode()
    srv = dict(server(catalog), injected_file_paths=['/etc/motd'])
    args = module_args(tmp_path, srv, injected_files=[{'path': '/etc/motd', 'contents': contents}])
    out = json.dumps(run_module(server_build, args, capsys))
    assert secret not in out and contents not in out
    assert '/etc/motd' in out


def test_server_build_module_failure_keys(tmp_path, catalog, capsys):
    from ansible_collections.novalite.compute.plugins.modules import server_build
    (tmp_path / 'node.xml').write_text(NODE_XML)
    srv = server(catalog)
    srv['image'] = dict(srv['image'], checksum='sha256:' + '0' * 64)
    failed = run_module(server_build, module_args(tmp_path, srv), capsys)
    assert failed['failed'] is True
    assert failed['msg'].startswith('Build of instance %s failed on hv1 at step image: ' % UUID)
    assert (failed['failed_step'], failed['reschedule']) == ('image', True)
    assert 'image' in failed['timings']
    assert 'builds' not in failed and 'instance_uuid' not in failed


def test_server_build_module_names_the_images_it_needs(tmp_path, catalog, capsys):
    from ansible_collections.novalite.compute.plugins.modules import server_build
    (tmp_path / 'node.xml').write_text(NODE_XML)
    failed = run_module(server_build, module_args(tmp_path, server(catalog), controller_images=['ramdisk']),
                        capsys)
    assert failed['failed'] is True and failed['images_needed'] == ['ramdisk']
    assert (failed['failed_step'], failed['reschedule']) == ('image', True)
    # Asked before the build as for `servers`: nothing claimed, nothing counted.
    assert failed['msg'] == 'Builds on hv1 need images first: ramdisk'
    assert (failed['host'], failed['timings']) == ('hv1', {}) and 'builds' not in failed
    assert not os.path.exists(str(tmp_path / 'state'))


def test_server_build_module_asks_for_the_images_of_all_its_servers_before_any_build(tmp_path, catalog, capsys):
    """With `servers` the images are asked for once for the whole command: the task fails
    with them before any build claims or counts, so the action plugin transfers each once."""
    from ansible_collections.novalite.compute.plugins.modules import server_build
    (tmp_path / 'node.xml').write_text(NODE_XML)
    state = str(tmp_path / 'state')
    first = server(catalog)
    # The second server has no ramdisk: it asks for none.
    second = server(catalog, uuid='0b9c6a55-5a0c-4c6e-9a5e-3b2a7f9d1c02', hostname='web-2', ramdisk=None)
    image_cache.fetch_image(state, first['image'], runner)
    args = dict(module_args(tmp_path, None, controller_images=['image', 'kernel', 'ramdisk']),
                servers=[second, first])
    del args['server']
    failed = run_module(server_build, args, capsys)
    assert failed['failed'] is True and failed['images_needed'] == ['kernel', 'ramdisk']
    assert (failed['failed_step'], failed['reschedule'], failed['host']) == ('image', True, 'hv1')
    assert failed['msg'] == 'Builds on hv1 need images first: kernel, ramdisk'
    assert 'builds' not in failed
    assert claims.list_claims(state) == [] and read_failed_builds(state) == 0
    # Only what the test's own fetch made: no journal, no claim, no build slot taken.
    assert sorted(os.listdir(state)) == ['_base', 'locks']
    assert [n for n in os.listdir(os.path.join(state, 'locks')) if n.startswith('build-slot')] == []


SECOND = '0b9c6a55-5a0c-4c6e-9a5e-3b2a7f9d1c02'


def servers_args(tmp_path, servers, **over):
    args = dict(module_args(tmp_path, None, **over), servers=servers)
    del args['server']
    return args


@pytest.mark.parametrize('check_mode', [False, True], ids=['built in children', 'planned in process'])
def test_server_build_module_gives_each_server_its_entry(tmp_path, catalog, capsys, check_mode):
    """One entry a server in their order, named by its uuid, a failed build among them."""
    from ansible_collections.novalite.compute.plugins.modules import server_build
    (tmp_path / 'node.xml').write_text(NODE_XML)
    bad = server(catalog, uuid=SECOND, hostname='web-2', flavor=None)
    result = run_module(server_build, servers_args(tmp_path, [bad, server(catalog)]), capsys,
                        check_mode=check_mode)
    assert 'failed' not in result and result['changed'] is True and result['host'] == 'hv1'
    refused, built = result['builds']
    assert refused['instance_uuid'] == SECOND and refused['failed'] is True
    assert (refused['failed_step'], refused['reschedule']) == ('validate', False)
    assert refused['msg'] == 'Build of instance %s failed on hv1 at step validate: server.flavor is required' % SECOND
    assert built['instance_uuid'] == UUID and built['changed'] is True
    assert built['server']['uuid'] == UUID
    assert ('plan' in built) is check_mode


def test_server_build_module_reports_the_host_once_all_its_builds_ended(tmp_path, catalog, capsys):
    """With report_host_state the host state is gathered once, after every child ended: both
    failed builds are counted in it. (Each connection to a test:// file is a fresh host: the
    report's own connection sees no domain of the children.)"""
    from ansible_collections.novalite.compute.plugins.modules import server_build
    (tmp_path / 'node.xml').write_text(NODE_XML)
    bad_image = dict(catalog['image'], checksum='sha256:' + '0' * 64)
    servers = [server(catalog, image=bad_image),
               server(catalog, uuid=SECOND, hostname='web-2', image=bad_image)]
    result = run_module(server_build, servers_args(tmp_path, servers, report_host_state=True,
                                                   local_ip='10.81.0.11'), capsys)
    assert [(b['instance_uuid'], b['failed_step']) for b in result['builds']] == [(UUID, 'image'), (SECOND, 'image')]
    state = result['host_state']
    assert (state['host'], state['failed_builds'], state['local_ip']) == ('hv1', 2, '10.81.0.11')
    assert (state['availability_zone'], state['aggregates'], state['claims']) == ('nova', [], [])
    assert result['servers']['rows'] == []
    # In check mode nothing is reported.
    checked = run_module(server_build, servers_args(tmp_path, servers, report_host_state=True), capsys,
                         check_mode=True)
    assert 'host_state' not in checked and 'servers' not in checked


def test_server_build_module_with_no_servers_builds_nothing_and_still_reports_the_host(
        tmp_path, catalog, capsys, monkeypatch):
    """`servers: []` (a host the round gave nothing): no build, no claim, no change; with
    report_host_state the host's state all the same, its zone left for the controller (no
    server names one), and no warning."""
    from ansible_collections.novalite.compute.plugins.modules import server_build
    # In-process the warnings go to the controller's display, not into the result.
    warned = []
    monkeypatch.setattr(server_build.AnsibleModule, 'warn', lambda self, msg, **kw: warned.append(msg))
    (tmp_path / 'node.xml').write_text(NODE_XML)
    state_path = str(tmp_path / 'state')
    result = run_module(server_build, servers_args(tmp_path, [], report_host_state=True,
                                                   local_ip='10.81.0.11'), capsys)
    assert 'failed' not in result and warned == [], (result, warned)
    assert (result['changed'], result['host'], result['builds']) == (False, 'hv1', [])
    state = result['host_state']
    assert (state['host'], state['availability_zone'], state['local_ip']) == ('hv1', None, '10.81.0.11')
    assert (state['num_instances'], state['claims'], state['failed_builds']) == (0, [], 0)
    assert result['servers']['rows'] == []
    assert claims.list_claims(state_path) == [] and read_failed_builds(state_path) == 0
    # Without report_host_state, and in check mode, only the empty list of builds.
    quiet = run_module(server_build, servers_args(tmp_path, []), capsys)
    checked = run_module(server_build, servers_args(tmp_path, [], report_host_state=True), capsys,
                         check_mode=True)
    for result in (quiet, checked):
        assert 'failed' not in result and 'host_state' not in result and 'servers' not in result
        assert (result['changed'], result['builds']) == (False, [])
    assert warned == []


def test_server_build_module_one_server_is_the_entry_of_a_list_of_one(tmp_path, catalog, capsys):
    """`server` is `servers` with one item: the task's result is that server's entry (no
    instance_uuid, no builds) with the host's report, which counts the new server. On
    test:///default (one host for the whole process while a connection is open) the report's
    own connection sees the build's domain."""
    from ansible_collections.novalite.compute.plugins.modules import server_build
    srv = server(catalog, uuid=SECOND, networks=[])
    args = dict(module_args(tmp_path, srv, report_host_state=True, local_ip='10.81.0.11'),
                uri='test:///default')
    planned = run_module(server_build, args, capsys, check_mode=True, diff=True)
    listed = run_module(server_build, dict(servers_args(tmp_path, [srv]), uri='test:///default'), capsys,
                        check_mode=True, diff=True)
    entry = dict(listed['builds'][0])
    assert entry.pop('instance_uuid') == SECOND
    del planned['invocation']  # Ansible's, of the task
    assert sorted(planned) == sorted(entry) == ['changed', 'diff', 'host', 'plan', 'server', 'timings']
    assert (planned['plan'], planned['diff']) == (entry['plan'], entry['diff'])
    keep = open_connection('test:///default')
    try:
        built = run_module(server_build, args, capsys)
        assert 'builds' not in built and 'instance_uuid' not in built
        assert built['changed'] is True and built['server']['uuid'] == SECOND
        assert set(built['timings']) == set(STEPS) and built['host'] == 'hv1'
        state = built['host_state']
        assert SECOND in state['instances'] and state['local_ip'] == '10.81.0.11'
        assert (state['host'], state['claims'], state['failed_builds']) == ('hv1', [], 0)
        assert [row for row in built['servers']['rows'] if row[0] == 'web 1']
    finally:
        teardown.remove_server(keep, SECOND, str(tmp_path / 'instances'), str(tmp_path / 'state'))
        keep.close()


def test_server_delete_module_absent(tmp_path, capsys):
    from ansible_collections.novalite.compute.plugins.modules import server_delete
    (tmp_path / 'node.xml').write_text(NODE_XML)
    result = run_module(server_delete, {'uri': 'test://%s' % (tmp_path / 'node.xml'),
                                        'server': UUID,
                                        'instances_path': str(tmp_path / 'instances'),
                                        'state_path': str(tmp_path / 'state'),
                                        'context': {'project_id': 'demo', 'user_id': 'demo'}},
                        capsys)
    assert result['changed'] is False and result['server'] is None


def test_server_delete_module_checks_a_partial_build_against_its_journal(tmp_path, catalog, capsys):
    """A build killed before its domain: its journal's project owns it (Nova's delete policy)."""
    from ansible_collections.novalite.compute.plugins.modules import server_delete
    (tmp_path / 'node.xml').write_text(NODE_XML)
    state = str(tmp_path / 'state')
    entry = journal.begin(state, dict(server(catalog), project_id='demo', user_id='demo'), 'hv1', 'req-1')
    layout.write_atomic(layout.journal_path(state, UUID), json.dumps(dict(entry.data, pid=_dead_pid())))
    args = {'uri': 'test://%s' % (tmp_path / 'node.xml'), 'server': UUID,
            'instances_path': str(tmp_path / 'instances'), 'state_path': state}
    other = run_module(server_delete, dict(args, context={'project_id': 'other', 'user_id': 'x',
                                                          'roles': ['member']}), capsys)
    assert other['failed'] and other['rule'] == 'os_compute_api:servers:delete', other
    assert journal.read(state, UUID) is not None
    own = run_module(server_delete, dict(args, context={'project_id': 'demo', 'user_id': 'demo',
                                                        'roles': ['member']}), capsys)
    assert own['changed'] is True and own['server']['vm_state'] == 'error', own
    assert journal.read(state, UUID) is None


VXLAN_NET = {'network_id': '7d1e0000-aaaa-4bbb-8ccc-000000000001', 'network_name': 'tenant',
             'network_type': 'vxlan', 'segmentation_id': 1001, 'fixed_ip': '10.9.0.5',
             'port_id': None, 'cidr': '10.9.0.0/24', 'gateway': None, 'dns_nameservers': [],
             'allocation_pools': [], 'libvirt_network': None, 'bridge': None, 'dhcp': False,
             'mtu': None}
SECURITY_GROUPS = [{'id': 'sg-d', 'name': 'default', 'rules': []}]


class HostCommands(object):
    """qemu-img for real; ip, bridge and nft recorded (this host has only eth0), with the
    domains `conn` had when a ruleset was loaded."""

    def __init__(self, conn=None):
        self.conn = conn
        self.calls = []
        self.rulesets = []
        self.domains_at_load = []

    def __call__(self, args):
        if args[0] == 'qemu-img':
            return runner(args)
        self.calls.append(args)
        if args[:2] == ['ip', '-d']:
            return 0, json.dumps([{'ifname': 'eth0', 'flags': ['UP'], 'mtu': 1500}]), ''
        if args[:2] == ['nft', 'list']:
            return 1, '', 'No such file or directory'
        if args[:2] == ['nft', '-f']:
            with open(args[2]) as f:
                self.rulesets.append(f.read())
            if self.conn is not None:
                self.domains_at_load.append([d.UUIDString() for d in self.conn.listAllDomains()])
        return 0, '', ''


def test_build_on_vxlan_plugs_the_segment_and_filters_the_port_before_the_start(host, tmp_path, catalog):
    commands = HostCommands(host)
    srv = server(catalog, networks=[VXLAN_NET])
    builder = build.Builder(host, params(tmp_path, srv, local_ip='10.81.0.11',
                                         vxlan_peers=['10.81.0.11', '10.81.0.12'],
                                         security_groups=SECURITY_GROUPS,
                                         security_group_members={'default': ['10.9.0.7']}),
                            commands)
    result = builder.build()
    assert set(result['network_timings']) == {'plug', 'firewall'}
    run = [' '.join(c) for c in commands.calls]
    assert 'ip link add brq7d1e0000-aa type bridge' in run
    assert 'ip link add vxlan-1001 type vxlan id 1001 local 10.81.0.11 dstport 4789 nolearning' in run
    assert 'bridge fdb append 00:00:00:00:00:00 dev vxlan-1001 dst 10.81.0.12' in run
    assert not any('dst 10.81.0.11' in c for c in run)
    port = result['server']['ports'][0]
    tap = 'tap' + port['id'][:11]
    text, = commands.rulesets
    assert commands.domains_at_load == [[]]   # loaded before the domain was even defined
    assert '"%s" : jump from_1' % tap in text
    assert 'ip saddr { 10.9.0.5, 10.9.0.7 } accept' in text   # default: from its members
    iface = result['diff']['after']['interfaces'][0]
    assert iface['bridge'] == 'brq7d1e0000-aa' and iface['mtu'] == 1450
    dom = host.lookupByUUIDString(UUID)
    assert "<target dev='%s'/>" % tap in dom.XMLDesc(0)
    # the guest is told the lowered MTU
    iso = pycdlib.PyCdlib()
    iso.open(str(tmp_path / 'instances' / UUID / 'disk.config'))
    out = io.BytesIO()
    iso.get_file_from_iso_fp(out, rr_path='/openstack/latest/network_data.json')
    assert json.loads(out.getvalue())['links'][0]['mtu'] == 1450


def test_a_vxlan_network_without_segmentation_id_is_refused_before_anything(host, tmp_path, catalog):
    srv = server(catalog, networks=[dict(VXLAN_NET, segmentation_id=None)])
    with pytest.raises(build.BuildError, match=r'server.networks\[0\]: segmentation_id: is required '
                                               r'for a vxlan network') as failed:
        build.Builder(host, params(tmp_path, srv, local_ip='10.81.0.11'), HostCommands()).build()
    assert failed.value.step == 'validate' and failed.value.reschedule is False


# ---- libvirtd gone in the middle of a build ---------------------------------------------------

class StoppingLibvirtd(object):
    """The connection of a libvirtd that stops once `down` is set: every call through it
    fails as libvirt's client does when the daemon is gone."""

    def __init__(self, conn):
        self.conn, self.down = conn, False

    def __getattr__(self, name):
        if not self.down:
            return getattr(self.conn, name)

        def gone(*_args, **_kwargs):
            raise libvirt.libvirtError('Cannot write data: Broken pipe (libvirtd stopped)')
        return gone


def _dead_pid():
    proc = subprocess.Popen(['true'])
    proc.wait()
    return proc.pid


# After the network step the next libvirt call is the QEMU group lookup for the instance
# directory's mode (the build's step image, the journal's step directory); after the config
# drive it is the define.
@pytest.mark.parametrize('stop_at,failed_at,journal_step', [('network', 'image', 'directory'),
                                                            ('config_drive', 'define', 'define')])
def test_libvirtd_stopping_mid_build_leaves_a_journal_the_reconciler_clears(
        host, tmp_path, catalog, monkeypatch, stop_at, failed_at, journal_step):
    state = str(tmp_path / 'state')
    flaky = StoppingLibvirtd(host)

    def stop(step):
        if step == stop_at:
            flaky.down = True
    monkeypatch.setattr(journal, 'pause_point', stop)
    with pytest.raises(build.BuildError) as err:
        build.Builder(flaky, params(tmp_path, server(catalog)), runner).build()
    # The step failed and so did the rollback: the journal names what is left.
    assert err.value.step == failed_at and 'removing the partial build failed' in err.value.cause
    entry = journal.read(state, UUID)
    # The journal names the DHCP entry before it exists: it is added as the guest starts.
    assert entry['step'] == journal_step and len(entry['dhcp']) == 1
    assert os.path.isdir(entry['instance_dir']) and dhcp_hosts(host, 'nltest-unit') == []
    # The module's process ends; libvirtd comes back; one pass clears everything.
    for path in (layout.journal_path(state, UUID), layout.claim_path(state, UUID)):
        if os.path.exists(path):
            with open(path) as handle:
                data = json.load(handle)
            layout.write_atomic(path, json.dumps(dict(data, pid=_dead_pid())))
    flaky.down = False
    settings = HostSettings(state_path=state, instances_path=str(tmp_path / 'instances'))
    result = reconcile.reconcile(host, settings)
    assert [a['action'] for a in result['actions']] == ['partial_build']
    assert_nothing_left(host, tmp_path)
    assert journal.list_journals(state) == []
