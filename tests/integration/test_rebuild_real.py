# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rebuild through its playbook on a real guest of this machine's libvirtd: a second image
of the catalog, the same uuid, ports and host, the guest booting again with the regenerated
config drive (its console line shows the new name); refused for a reader and for another
project, Nova's conflict in a wrong state, check mode changing nothing. The wall time of each
playbook run is printed (pytest -s shows it)."""
import json
import os
import subprocess
import time
import uuid

import pytest
import yaml

from conftest import REPO, run_playbook, servers_named

libvirt = pytest.importorskip('libvirt')

from ansible_collections.novalite.compute.plugins.module_utils.compute import image_cache  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record as sr  # noqa: E402

pytestmark = pytest.mark.integration

NETWORK_ID = '5f0c3a6e-8d2b-4d6e-9a51-2c3b6a1e0f01'
ADMIN = {'project_id': 'ops', 'user_id': 'admin', 'roles': ['admin']}
READER = {'project_id': 'demo', 'user_id': 'auditor', 'roles': ['reader']}
OTHER = {'project_id': 'other', 'user_id': 'mallory', 'roles': ['member']}
STATE_PATH = '/var/lib/novalite'
INSTANCES_PATH = '/var/lib/novalite/instances'


def timed(playbook, extra_vars, **kwargs):
    start = time.monotonic()
    run = run_playbook(playbook, extra_vars, **kwargs)
    print('wall time %-16s %5.1f s  rc=%d' % (playbook, time.monotonic() - start, run.rc))
    return run


def wait_for_console_line(target, line, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        run = run_playbook('console_log', target)
        assert run.rc == 0, run
        if line in run.output:
            return run
        assert time.monotonic() < deadline, run
        time.sleep(2)


def sha256(path):
    out = subprocess.check_output(['sha256sum', path], universal_newlines=True)
    return 'sha256:' + out.split()[0]


@pytest.fixture
def second_image(demo_image, tmp_path_factory):
    """The catalog's images and one more bootable image: an empty qcow2 of its own id that
    boots the demo kernel and ramdisk, as the demo image does."""
    with open(os.path.join(REPO, 'inventories', 'local', 'group_vars', 'all', 'demo_image.yml')) as handle:
        images = yaml.safe_load(handle)['novalite_demo_images']
    demo = [i for i in images if i['name'] == 'novalite-demo'][0]
    path = str(tmp_path_factory.mktemp('rebuild-image') / 'second.qcow2')
    subprocess.check_call(['qemu-img', 'create', '-q', '-f', 'qcow2', path, '512M'])
    os.chmod(os.path.dirname(path), 0o755)
    second = dict(demo, id=str(uuid.uuid4()), name='nltest-second-%s' % uuid.uuid4().hex[:6],
                  location=path, checksum=sha256(path), size=os.path.getsize(path))
    yield images + [second], second
    cached = image_cache.cached_path(STATE_PATH, second)
    if os.path.exists(cached):
        os.unlink(cached)


def test_rebuild_on_a_real_guest(prepared_hypervisor, second_image):
    images, second = second_image
    name = 'nltest-rb-%s' % uuid.uuid4().hex[:6]
    new_name = name + '-new'
    server = {'name': name, 'flavorRef': 'm1.nano', 'imageRef': 'novalite-demo',
              'networks': [{'uuid': NETWORK_ID}], 'metadata': {'role': 'web'}}
    created = run_playbook('create_server', {'novalite_server': server})
    try:
        assert created.rc == 0, created
        ((dom, record),) = servers_named(name)
        server_uuid = dom.UUIDString()
        target = {'novalite_server_id': server_uuid, 'novalite_images': images}
        wait_for_console_line(target, 'NOVALITE-METADATA uuid=%s' % server_uuid)
        body = {'imageRef': second['id'], 'name': new_name, 'metadata': {'role': 'db'}}

        # refused for a reader and for another project; check mode changes nothing
        # (another project does not see the server at all: servers:show refuses it first)
        for context, rule in ((READER, 'rebuild'), (OTHER, 'show')):
            refused = run_playbook('rebuild_server', dict(target, novalite_rebuild=body,
                                                          novalite_context=context))
            assert refused.rc != 0, refused
            assert "Policy doesn't allow os_compute_api:servers:%s" % rule in refused.output, refused
        checked = timed('rebuild_server', dict(target, novalite_rebuild=body), check=True)
        assert checked.rc == 0, checked
        now = sr.read_record(dom)
        assert (now['image'], now['name'], len(now['actions'])) == (
            record['image'], record['name'], len(record['actions']))

        # paused: Nova's conflict
        assert run_playbook('pause_server', target).rc == 0
        wrong = run_playbook('rebuild_server', dict(target, novalite_rebuild=body))
        assert ("Cannot 'rebuild' instance %s while it is in vm_state paused" % server_uuid
                in wrong.output), wrong
        assert run_playbook('unpause_server', target).rc == 0

        rebuilt = timed('rebuild_server', dict(target, novalite_rebuild=body))
        assert rebuilt.rc == 0, rebuilt
        ((dom, after),) = servers_named(new_name)
        assert dom.UUIDString() == server_uuid
        assert (after['ports'], after['host']) == (record['ports'], record['host'])
        assert after['image'] == {'id': second['id'], 'name': second['name']}
        assert (after['metadata'], after['vm_state'], after['task_state']) == (
            {'role': 'db'}, 'active', None)
        entry = after['actions'][-1]
        assert entry['action'] == 'rebuild' and entry['message'] is None
        assert [(e['event'], e['result']) for e in entry['events']] == [
            ('compute_rebuild_instance', 'Success')]
        # the root disk is on the new image's cache entry
        info = json.loads(subprocess.check_output(
            ['qemu-img', 'info', '-U', '--output=json',
             os.path.join(INSTANCES_PATH, server_uuid, 'disk')]))
        assert info['backing-filename'] == image_cache.cached_path(STATE_PATH, second)
        # the guest booted again on the regenerated drive: its new name, the same address
        # (the playbook's YAML output may wrap the guest's line before name=)
        console = wait_for_console_line(target, 'name=%s' % new_name)
        assert 'NOVALITE-METADATA uuid=%s' % server_uuid in console.output, console
        fixed_ip = record['ports'][0]['fixed_ip']
        assert 'ip=%s/' % fixed_ip in console.output, console
    finally:
        for found in (name, new_name):
            for dom, _record in servers_named(found):
                deleted = run_playbook('delete_server', {'novalite_server_id': dom.UUIDString(),
                                                         'novalite_context': ADMIN})
                assert deleted.rc == 0, deleted
    assert servers_named(name) == [] and servers_named(new_name) == []
