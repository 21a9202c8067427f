# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Image cache and instance disks, with the real qemu-img."""

import contextlib
import functools
import hashlib
import http.server
import json
import os
import shutil
import subprocess
import threading

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.compute import image_cache
from ansible_collections.novalite.compute.plugins.module_utils.compute import layout

pytestmark = pytest.mark.skipif(shutil.which('qemu-img') is None, reason='needs qemu-img')
GiB = 1024 ** 3


def runner(args):
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def info(path):
    return json.loads(subprocess.check_output(['qemu-img', 'info', '--output=json', path]))


@pytest.fixture
def qcow2_image(tmp_path):
    path = tmp_path / 'src' / 'image.qcow2'
    path.parent.mkdir()
    subprocess.check_call(['qemu-img', 'create', '-q', '-f', 'qcow2', str(path), '64M'])
    data = path.read_bytes()
    return {'id': 'img-1', 'location': str(path), 'disk_format': 'qcow2',
            'checksum': 'sha256:' + hashlib.sha256(data).hexdigest()}


def base_files(state):
    base = os.path.join(state, '_base')
    return sorted(os.listdir(base)) if os.path.isdir(base) else []


@pytest.mark.parametrize('checksum,expected', [
    ('sha256:' + 'a' * 64, ('sha256', 'a' * 64)),
    ('MD5:' + 'B' * 32, ('md5', 'b' * 32)),
    ('c' * 32, ('md5', 'c' * 32)),
    ('d' * 64, ('sha256', 'd' * 64)),
])
def test_parse_checksum(checksum, expected):
    assert image_cache.parse_checksum(checksum) == expected


@pytest.mark.parametrize('checksum', ['', 'sha256:abc', 'crc32:' + 'a' * 8, 'z' * 32, 'sha256:' + 'g' * 64])
def test_parse_checksum_rejects(checksum):
    with pytest.raises(image_cache.ImageError, match='is not a checksum'):
        image_cache.parse_checksum(checksum, 'images[0].checksum')


def test_fetch_local_path_once(tmp_path, qcow2_image):
    state = str(tmp_path / 'state')
    path = image_cache.fetch_image(state, qcow2_image, runner)
    assert path == image_cache.cached_path(state, qcow2_image)
    assert base_files(state) == [os.path.basename(path)]
    assert info(path)['format'] == 'qcow2'
    # Cached: the source is not read again.
    os.unlink(qcow2_image['location'])
    assert image_cache.fetch_image(state, qcow2_image, runner) == path


def test_cache_entry_is_named_by_image_id_and_checksum(tmp_path, qcow2_image):
    state = str(tmp_path / 'state')
    path = image_cache.fetch_image(state, qcow2_image, runner)
    assert os.path.basename(path) == hashlib.sha256(
        ('img-1\n' + qcow2_image['checksum']).encode()).hexdigest()
    # The same image reached elsewhere is a hit; it is never read from there.
    moved = dict(qcow2_image, location='https://images.invalid/image.qcow2')
    assert image_cache.fetch_image(state, moved, runner) == path
    assert base_files(state) == [os.path.basename(path)]


def test_missing_names_each_key_a_server_lacks_once_in_the_order_found(tmp_path, qcow2_image):
    """What server_build asks before any build of a command claims (the action plugin then
    transfers each image once), and what one build asks before its claim."""
    state = str(tmp_path / 'state')
    kernel = dict(qcow2_image, id='aki-1', checksum='sha256:' + 'a' * 64)
    first = {'uuid': 'u0', 'image': qcow2_image, 'kernel': kernel}
    second = {'uuid': 'u1', 'image': dict(qcow2_image, id='img-2'), 'kernel': kernel}
    keys = ['image', 'kernel']
    assert image_cache.missing(state, [first, second], keys) == ['image', 'kernel']
    image_cache.fetch_image(state, qcow2_image, runner)
    # The first server's image is cached now: the second's is what is missing, after the kernel.
    assert image_cache.missing(state, [first], keys) == ['kernel']
    assert image_cache.missing(state, [first, second], keys) == ['kernel', 'image']
    assert image_cache.missing(state, [first, second], ['image']) == ['image']
    assert image_cache.missing(state, [first], ['image']) == []
    assert image_cache.missing(state, [first, second], []) == []


@pytest.mark.parametrize('server', [
    None, {}, {'uuid': 'u2', 'kernel': None}, {'uuid': 'u2', 'kernel': 'vmlinuz'},
    {'uuid': 'u2', 'kernel': {'id': 'aki-2'}},
], ids=['no server', 'no kernel key', 'null kernel', 'kernel not a dict', 'kernel without checksum'])
def test_missing_passes_over_a_server_without_the_image_or_with_a_malformed_one(tmp_path, qcow2_image, server):
    """Its build refuses it naming the field (or has no kernel to fetch); the others' images
    are still asked for."""
    state = str(tmp_path / 'state')
    other = {'uuid': 'u0', 'kernel': dict(qcow2_image, id='aki-1')}
    assert image_cache.missing(state, [server], ['kernel']) == []
    assert image_cache.missing(state, [server, other], ['kernel']) == ['kernel']


def staged_copy(state, image):
    """A copy of the image under <state>/_staging, as the action plugin leaves it."""
    staging = layout.staging_dir(state)
    os.makedirs(staging, exist_ok=True)
    path = os.path.join(staging, 'copy-for-build-1')
    shutil.copyfile(image['location'], path)
    return path


def test_staged_copy_is_moved_into_the_cache(tmp_path, qcow2_image):
    state = str(tmp_path / 'state')
    staged = staged_copy(state, qcow2_image)
    inode = os.stat(staged).st_ino
    path = image_cache.fetch_image(state, dict(qcow2_image, location=staged), runner)
    # Renamed, not copied a second time; the staging directory is empty again.
    assert os.stat(path).st_ino == inode
    assert os.listdir(layout.staging_dir(state)) == []
    assert path == image_cache.cached_path(state, qcow2_image)


def test_staged_copy_dropped_when_the_cache_has_the_image(tmp_path, qcow2_image):
    state = str(tmp_path / 'state')
    path = image_cache.fetch_image(state, qcow2_image, runner)
    staged = staged_copy(state, qcow2_image)
    assert image_cache.fetch_image(state, dict(qcow2_image, location=staged), runner) == path
    assert os.listdir(layout.staging_dir(state)) == []


def test_staged_copy_with_a_bad_checksum_leaves_nothing(tmp_path, qcow2_image):
    state = str(tmp_path / 'state')
    staged = staged_copy(state, qcow2_image)
    bad = dict(qcow2_image, location=staged, checksum='sha256:' + '0' * 64)
    with pytest.raises(image_cache.ImageError, match='checksum mismatch'):
        image_cache.fetch_image(state, bad, runner)
    assert base_files(state) == []
    assert os.listdir(layout.staging_dir(state)) == []


def test_a_file_elsewhere_is_copied_not_moved(tmp_path, qcow2_image):
    state = str(tmp_path / 'state')
    image_cache.fetch_image(state, qcow2_image, runner)
    assert os.path.isfile(qcow2_image['location'])


def test_fetch_file_url_with_md5(tmp_path, qcow2_image):
    state = str(tmp_path / 'state')
    data = open(qcow2_image['location'], 'rb').read()
    image = dict(qcow2_image, location='file://' + qcow2_image['location'],
                 checksum=hashlib.md5(data).hexdigest())
    path = image_cache.fetch_image(state, image, runner)
    assert open(path, 'rb').read() == data


@contextlib.contextmanager
def http_server(directory):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=directory)
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield 'http://127.0.0.1:%d' % server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_fetch_http(tmp_path, qcow2_image):
    state = str(tmp_path / 'state')
    with http_server(os.path.dirname(qcow2_image['location'])) as url:
        image = dict(qcow2_image, location=url + '/image.qcow2')
        path = image_cache.fetch_image(state, image, runner)
    assert info(path)['format'] == 'qcow2'


def test_checksum_mismatch_leaves_nothing(tmp_path, qcow2_image):
    state = str(tmp_path / 'state')
    bad = dict(qcow2_image, checksum='sha256:' + '0' * 64)
    with pytest.raises(image_cache.ImageError, match='checksum mismatch'):
        image_cache.fetch_image(state, bad, runner)
    assert base_files(state) == []


def test_http_not_found_leaves_nothing(tmp_path, qcow2_image):
    state = str(tmp_path / 'state')
    with http_server(str(tmp_path)) as url:
        with pytest.raises(image_cache.ImageError, match='cannot read'):
            image_cache.fetch_image(state, dict(qcow2_image, location=url + '/missing'), runner)
    assert base_files(state) == []


def test_missing_local_file(tmp_path, qcow2_image):
    state = str(tmp_path / 'state')
    with pytest.raises(image_cache.ImageError, match='cannot read'):
        image_cache.fetch_image(state, dict(qcow2_image, location=str(tmp_path / 'nope')), runner)
    assert base_files(state) == []


def test_declared_format_must_match(tmp_path, qcow2_image):
    state = str(tmp_path / 'state')
    with pytest.raises(image_cache.ImageError, match='disk_format is raw but the data is qcow2'):
        image_cache.fetch_image(state, dict(qcow2_image, disk_format='raw'), runner)
    assert base_files(state) == []


def test_image_with_backing_file_refused(tmp_path, qcow2_image):
    state = str(tmp_path / 'state')
    sneaky = tmp_path / 'src' / 'sneaky.qcow2'
    subprocess.check_call(['qemu-img', 'create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b',
                           qcow2_image['location'], str(sneaky)])
    image = {'id': 'sneaky', 'location': str(sneaky), 'disk_format': 'qcow2',
             'checksum': 'sha256:' + hashlib.sha256(sneaky.read_bytes()).hexdigest()}
    with pytest.raises(image_cache.ImageError, match='backing file'):
        image_cache.fetch_image(state, image, runner)
    assert base_files(state) == []


@pytest.mark.parametrize('root_gb,expected', [(0, 64 * 1024 ** 2), (1, GiB), (3, 3 * GiB)])
def test_overlay_size(tmp_path, qcow2_image, root_gb, expected):
    state = str(tmp_path / 'state')
    base = image_cache.fetch_image(state, qcow2_image, runner)
    disk = str(tmp_path / 'disk')
    assert image_cache.create_overlay(runner, base, 'qcow2', disk, root_gb) == expected
    details = info(disk)
    assert details['virtual-size'] == expected
    assert details['backing-filename'] == base
    assert details['backing-filename-format'] == 'qcow2'


def test_overlay_never_shrinks_below_image(tmp_path):
    base = str(tmp_path / 'big.raw')
    subprocess.check_call(['qemu-img', 'create', '-q', '-f', 'raw', base, '2G'])
    disk = str(tmp_path / 'disk')
    assert image_cache.create_overlay(runner, base, 'raw', disk, 1) == 2 * GiB
    assert info(disk)['virtual-size'] == 2 * GiB


def test_blank_disks(tmp_path):
    eph, swap = str(tmp_path / 'disk.eph0'), str(tmp_path / 'disk.swap')
    image_cache.create_blank(runner, eph, 2 * GiB)
    image_cache.create_blank(runner, swap, 512 * 1024 ** 2)
    assert (info(eph)['virtual-size'], info(eph)['format']) == (2 * GiB, 'qcow2')
    assert info(swap)['virtual-size'] == 512 * 1024 ** 2


def test_link_into(tmp_path):
    target = tmp_path / 'cached'
    target.write_bytes(b'kernel')
    link = str(tmp_path / 'kernel')
    image_cache.link_into(str(target), link)
    image_cache.link_into(str(target), link)
    assert os.readlink(link) == str(target)
