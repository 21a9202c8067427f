# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The server_build action plugin's decisions: which images go to the host, which the host's
cache already has, where they are staged; its shell commands run in a real /bin/sh."""

import os
import stat
import subprocess

import pytest

from ansible_collections.novalite.compute.plugins.action import server_build as action
from ansible_collections.novalite.compute.plugins.module_utils.compute import image_cache
from ansible_collections.novalite.compute.plugins.module_utils.compute import layout

UUID = '0b9c6a55-5a0c-4c6e-9a5e-3b2a7f9d1c01'
CHECKSUM = 'sha256:' + 'ab' * 32


def image(image_id, location, checksum=CHECKSUM):
    return {'id': image_id, 'location': location, 'checksum': checksum}


def server(**images):
    return dict({'uuid': UUID, 'name': 'web 1'}, **images)


def sh(command):
    proc = subprocess.run(['/bin/sh', '-c', command], capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout


@pytest.mark.parametrize('location,expected', [
    ('/srv/images/disk.qcow2', '/srv/images/disk.qcow2'),
    ('file:///srv/images/vmlinuz', '/srv/images/vmlinuz'),
    ('https://images.example/disk.qcow2', None),
    ('http://images.example/disk.qcow2', None),
    ('images/disk.qcow2', None),          # relative: the module names the error
    (None, None),
])
def test_controller_path(location, expected):
    assert action.controller_path(location) == expected


def test_controller_images_are_the_path_locations_only():
    srv = server(image=image('img-1', '/srv/disk.qcow2'),
                 kernel=image('aki-1', 'https://images.example/vmlinuz'),
                 ramdisk=image('ari-1', 'file:///srv/initrd'))
    transfers = action.controller_images([srv], '/var/lib/novalite')
    assert [(t.key, t.source) for t in transfers] == [
        ('image', '/srv/disk.qcow2'), ('ramdisk', '/srv/initrd')]
    first = transfers[0]
    # The host's cache path is the one the module fills; the staged copy is per build.
    assert first.cache == image_cache.cached_path('/var/lib/novalite', srv['image'])
    assert first.staged == '/var/lib/novalite/_staging/%s.%s' % (
        image_cache.cache_name('img-1', CHECKSUM), UUID)


def test_no_transfer_without_images_or_checksums():
    assert action.controller_images([server()], '/s') == []
    assert action.controller_images([server(image={'id': 'x', 'location': '/srv/disk'})], '/s') == []
    assert action.controller_images([None], '/s') == []
    nameless = server(image=image('img-1', '/srv/disk'))
    del nameless['uuid']
    assert action.controller_images([nameless], '/s') == []


def test_cache_identity_does_not_depend_on_the_location():
    on_controller = image('img-1', '/srv/disk.qcow2')
    staged = action.controller_images([server(image=on_controller)], '/s')[0].staged
    # The module sees the staged path as the location: same cache entry as the original.
    assert image_cache.cached_path('/s', dict(on_controller, location=staged)) == \
        image_cache.cached_path('/s', on_controller) == \
        image_cache.cached_path('/s', dict(on_controller, location='https://elsewhere/d'))
    # Another checksum is another image.
    assert image_cache.cached_path('/s', dict(on_controller, checksum='sha256:' + 'cd' * 32)) != \
        image_cache.cached_path('/s', on_controller)


def test_staged_server_replaces_only_the_transferred_locations():
    srv = server(image=image('img-1', '/srv/disk'), kernel=image('aki-1', '/srv/vmlinuz'))
    transfers = action.controller_images([srv], '/s')[:1]
    staged = action.staged_server(srv, transfers)
    assert staged['image'] == dict(srv['image'], location=transfers[0].staged)
    assert staged['kernel'] is srv['kernel']
    assert srv['image']['location'] == '/srv/disk'


def test_stage_command_moves_uploads_into_a_private_staging_dir(tmp_path):
    state = str(tmp_path / 'state')
    uploads = tmp_path / 'upload tmp'
    uploads.mkdir()
    transfers = action.controller_images(
        [server(image=image('img-1', '/srv/disk'), kernel=image('aki-1', '/srv/vmlinuz'))], state)
    moves = []
    for t in transfers:
        path = uploads / os.path.basename(t.staged)
        path.write_text(t.key)
        moves.append((str(path), t.staged))
    rc, _out = sh(action.stage_command(state, moves))
    assert rc == 0
    assert [open(t.staged).read() for t in transfers] == ['image', 'kernel']
    assert list(uploads.iterdir()) == []
    assert stat.S_IMODE(os.stat(layout.staging_dir(state)).st_mode) == 0o700
    # A second build's staging reuses the directory.
    path = uploads / 'next'
    path.write_text('again')
    assert sh(action.stage_command(state, [(str(path), transfers[0].staged)]))[0] == 0


def test_one_transfer_a_image_for_several_servers(tmp_path):
    """A host building several servers of one request gets each image once: the servers that
    name it share one staged path (the first server's), the first build to fetch it moves it
    into the cache; a server naming another image keeps its own."""
    first = server(image=image('img-1', '/srv/disk'))
    second = dict(first, uuid='0b9c6a55-5a0c-4c6e-9a5e-3b2a7f9d1c02')
    third = dict(first, uuid='0b9c6a55-5a0c-4c6e-9a5e-3b2a7f9d1c03',
                 image=image('img-2', '/srv/other', checksum='sha256:' + 'cd' * 32))
    transfers = action.controller_images([first, second, third], '/s')
    assert [(t.key, t.image['id']) for t in transfers] == [('image', 'img-1'), ('image', 'img-2')]
    assert transfers[1].staged.endswith('.' + third['uuid'])
    staged = [action.staged_server(srv, transfers) for srv in (first, second, third)]
    assert staged[0]['image']['location'] == staged[1]['image']['location'] == transfers[0].staged
    assert staged[2]['image']['location'] == transfers[1].staged
