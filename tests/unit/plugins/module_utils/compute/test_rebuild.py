# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rebuild of a server built on libvirt's test driver, with the real qemu-img, image cache
and config drive: the state machine, the files, the record, and a failure on each side of
the swap."""

import base64
import json
import os
import shutil
import subprocess

import pytest

libvirt = pytest.importorskip('libvirt')

from ansible_collections.novalite.compute.plugins.module_utils.compute import build  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import config_drive  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import image_cache  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import rebuild  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record as sr  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute.lifecycle import (  # noqa: E402
    LifecycleError,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import (  # noqa: E402
    domain_by_uuid,
)

from build_fixtures import UUID, image_catalog, params, runner, server, sha256  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which('qemu-img') is None, reason='needs qemu-img')
LATEST = 'openstack/latest/'


@pytest.fixture
def built(host, tmp_path):
    """A server built and running, and the catalog with a second image to rebuild with."""
    catalog = image_catalog(tmp_path)
    first = build.Builder(host, params(tmp_path, server(catalog)), runner).build()
    other = tmp_path / 'images' / 'other.qcow2'
    subprocess.check_call(['qemu-img', 'create', '-q', '-f', 'qcow2', str(other), '16M'])
    catalog['other'] = dict(catalog['image'], id='img-2', name='other', location=str(other),
                            checksum=sha256(other), size=other.stat().st_size)
    return first['server'], catalog


def spec(catalog, **changes):
    data = dict(image=catalog['other'], kernel=catalog['kernel'], ramdisk=catalog['ramdisk'],
                preserve_ephemeral=False)
    data.update(changes)
    return data


def rebuild_params(tmp_path, the_spec, **over):
    data = dict(server=UUID, rebuild=the_spec, instances_path=str(tmp_path / 'instances'),
                state_path=str(tmp_path / 'state'), virt_type='qemu', shutdown_timeout=0,
                boot_timeout=5, request_id='req-rb', is_admin=False)
    data.update(over)
    return data


def inst(tmp_path, name=''):
    return os.path.join(str(tmp_path / 'instances' / UUID), name)


def drive_json(tmp_path, name):
    return json.loads(config_drive.read_drive_file(inst(tmp_path, 'disk.config'), LATEST + name))


def backing_file(path):
    info = json.loads(subprocess.check_output(['qemu-img', 'info', '--output=json', path]))
    return info.get('backing-filename')


def test_rebuild_changes_the_image_and_keeps_uuid_ports_and_host(host, tmp_path, built):
    record, catalog = built
    before_net = drive_json(tmp_path, 'network_data.json')
    result = rebuild.rebuild(host, rebuild_params(tmp_path, spec(
        catalog, name='web 1 again', metadata={'tier': 'front'})), runner)
    after = result['server']
    assert result['changed'] is True
    assert (after['uuid'], after['ports'], after['host']) == (UUID, record['ports'], record['host'])
    assert after['image'] == {'id': 'img-2', 'name': 'other'}
    assert (after['name'], after['metadata']) == ('web 1 again', {'tier': 'front'})
    assert (after['vm_state'], after['task_state'], after['power_state']) == ('active', None, sr.RUNNING)
    stored = sr.read_record(domain_by_uuid(host, UUID))
    assert stored['image']['id'] == 'img-2' and stored['vm_state'] == 'active'
    entry = stored['actions'][-1]
    assert (entry['action'], entry['request_id'], entry['message']) == ('rebuild', 'req-rb', None)
    assert [(e['event'], e['result']) for e in entry['events']] == [
        ('compute_rebuild_instance', 'Success')]
    assert result['transition']['before']['image']['id'] == 'img-1'
    # the root disk sits on the new image's cache entry; nothing of the rebuild is left over
    assert backing_file(inst(tmp_path, 'disk')) == image_cache.cached_path(
        str(tmp_path / 'state'), catalog['other'])
    assert sorted(n for n in os.listdir(inst(tmp_path)) if n.endswith((rebuild.NEW, rebuild.OLD))) == []
    # the config drive again: the new name and metadata, the same network and user data, keys
    meta = drive_json(tmp_path, 'meta_data.json')
    assert (meta['uuid'], meta['name'], meta['meta'], meta['hostname']) == (
        UUID, 'web 1 again', {'tier': 'front'}, 'web-1')
    assert meta['public_keys'] == {'demo': 'ssh-ed25519 AAAA demo'}
    assert drive_json(tmp_path, 'network_data.json') == before_net
    assert config_drive.read_drive_file(inst(tmp_path, 'disk.config'), LATEST + 'user_data') == \
        b'#!/bin/sh\necho hi\n'


def test_rebuild_replaces_or_removes_key_and_user_data(host, tmp_path, built):
    _record, catalog = built
    rebuild.rebuild(host, rebuild_params(tmp_path, spec(
        catalog, key_name=None, public_keys={}, user_data=None)), runner)
    meta = drive_json(tmp_path, 'meta_data.json')
    assert 'public_keys' not in meta
    assert config_drive.read_drive_file(inst(tmp_path, 'disk.config'), LATEST + 'user_data') is None
    assert sr.read_record(domain_by_uuid(host, UUID))['key_name'] is None
    new_data = base64.b64encode(b'#!/bin/sh\necho two\n').decode()
    rebuild.rebuild(host, rebuild_params(tmp_path, spec(
        catalog, key_name='k2', public_keys={'k2': 'ssh-ed25519 BBBB'}, user_data=new_data)), runner)
    assert drive_json(tmp_path, 'meta_data.json')['public_keys'] == {'k2': 'ssh-ed25519 BBBB'}
    assert config_drive.read_drive_file(inst(tmp_path, 'disk.config'), LATEST + 'user_data') == \
        b'#!/bin/sh\necho two\n'


def test_check_mode_reports_the_rebuild_and_changes_nothing(host, tmp_path, built):
    record, catalog = built
    disk_before = os.stat(inst(tmp_path, 'disk')).st_ino
    planned = rebuild.rebuild(host, rebuild_params(tmp_path, spec(catalog, name='x')), runner,
                              check_mode=True)
    assert planned['changed'] is True and planned['instance_action'] is None
    assert planned['diff']['before']['image']['id'] == 'img-1'
    assert planned['diff']['after']['image']['id'] == 'img-2'
    assert planned['diff']['after']['name'] == 'x'
    stored = sr.read_record(domain_by_uuid(host, UUID))
    assert (stored['image'], stored['name'], len(stored['actions'])) == (
        record['image'], record['name'], len(record['actions']))
    assert os.stat(inst(tmp_path, 'disk')).st_ino == disk_before
    assert not image_cache.is_cached(str(tmp_path / 'state'), catalog['other'])


def test_a_stopped_server_stays_stopped(host, tmp_path, built):
    _record, catalog = built
    dom = domain_by_uuid(host, UUID)
    dom.destroy()
    sr.write_record(dom, dict(sr.read_record(dom), vm_state='stopped'), live=False)
    after = rebuild.rebuild(host, rebuild_params(tmp_path, spec(catalog)), runner)['server']
    assert (after['vm_state'], after['power_state']) == ('stopped', sr.SHUTDOWN)
    assert not dom.isActive()


@pytest.mark.parametrize('change, message', [
    (dict(vm_state='paused'), "Cannot 'rebuild' instance %s while it is in vm_state paused" % UUID),
    (dict(task_state='rebooting'),
     "Cannot 'rebuild' instance %s while it is in task_state rebooting" % UUID),
    (dict(locked=True, locked_by='admin'), 'Instance %s is locked' % UUID),
])
def test_refused_in_a_wrong_state_or_locked(host, tmp_path, built, change, message):
    _record, catalog = built
    dom = domain_by_uuid(host, UUID)
    sr.write_record(dom, dict(sr.read_record(dom), **change))
    before = sr.read_record(dom)
    with pytest.raises(LifecycleError) as err:
        rebuild.rebuild(host, rebuild_params(tmp_path, spec(catalog)), runner)
    assert str(err.value) == message
    assert sr.read_record(dom) == before


def test_an_admin_rebuilds_a_locked_server(host, tmp_path, built):
    _record, catalog = built
    dom = domain_by_uuid(host, UUID)
    sr.write_record(dom, dict(sr.read_record(dom), locked=True, locked_by='owner'))
    after = rebuild.rebuild(host, rebuild_params(tmp_path, spec(catalog), is_admin=True), runner)
    assert after['server']['image']['id'] == 'img-2'


def test_an_image_that_boots_differently_is_refused_before_anything(host, tmp_path, built):
    _record, catalog = built
    scsi = dict(catalog['other'], properties=dict(catalog['other']['properties'], hw_disk_bus='scsi'))
    with pytest.raises(LifecycleError) as err:
        rebuild.rebuild(host, rebuild_params(tmp_path, spec(catalog, image=scsi)), runner)
    assert 'disk on scsi, not virtio' in str(err.value)
    with pytest.raises(LifecycleError) as err:
        rebuild.rebuild(host, rebuild_params(tmp_path, spec(catalog, kernel=None, ramdisk=None)), runner)
    assert 'no kernel' in str(err.value)
    assert len(sr.read_record(domain_by_uuid(host, UUID))['actions']) == 1


def test_a_failure_before_the_swap_leaves_the_server_as_it_was(host, tmp_path, built):
    record, catalog = built
    bad = dict(catalog['other'], checksum='sha256:' + '0' * 64)
    disk_before = os.stat(inst(tmp_path, 'disk')).st_ino
    with pytest.raises(LifecycleError) as err:
        rebuild.rebuild(host, rebuild_params(tmp_path, spec(catalog, image=bad)), runner)
    assert str(err.value).startswith('Rebuild of instance %s failed: ' % UUID)
    stored = sr.read_record(domain_by_uuid(host, UUID))
    assert (stored['vm_state'], stored['task_state'], stored['image']) == ('active', None, record['image'])
    assert stored['fault']['code'] == 500
    assert (stored['actions'][-1]['message'], stored['actions'][-1]['events'][-1]['result']) == (
        'Error', 'Error')
    assert domain_by_uuid(host, UUID).isActive()
    assert os.stat(inst(tmp_path, 'disk')).st_ino == disk_before
    assert [n for n in os.listdir(inst(tmp_path)) if n.endswith((rebuild.NEW, rebuild.OLD))] == []


def test_a_failure_after_the_swap_puts_the_old_disks_back(host, tmp_path, built, monkeypatch):
    record, catalog = built
    disk_before = os.stat(inst(tmp_path, 'disk')).st_ino
    calls = []

    def start_fails_once(dom, timeout):
        # the first start (the rebuilt guest) fails as a guest that does not come up does
        calls.append(timeout)
        if len(calls) == 1:
            raise TimeoutError('domain did not reach RUNNING')
        dom.create()

    monkeypatch.setattr(rebuild, 'start_domain', start_fails_once)
    with pytest.raises(LifecycleError):
        rebuild.rebuild(host, rebuild_params(tmp_path, spec(catalog)), runner)
    stored = sr.read_record(domain_by_uuid(host, UUID))
    assert (stored['vm_state'], stored['image']) == ('active', record['image'])
    assert stored['fault']['message'] == 'TimeoutError'
    assert len(calls) == 2 and domain_by_uuid(host, UUID).isActive()
    assert os.stat(inst(tmp_path, 'disk')).st_ino == disk_before
    assert [n for n in os.listdir(inst(tmp_path)) if n.endswith((rebuild.NEW, rebuild.OLD))] == []
