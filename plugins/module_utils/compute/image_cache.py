# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hypervisor's image cache and the instance disks made from it (Nova's `_create_image`).

An image (or a kernel/ramdisk image) is fetched once into `<state_path>/_base/`, named by
the sha256 of its id and checksum (never of its location: the same image reached by another
path or URL is the same cache entry), verified against the checksum Glance would hold, and
shared read-only by every server booted from it. The download goes to a temporary file that
is renamed into place only once verified, under a per-image lock, so a reader never sees a
partial or a bad image and two builds never fetch the same image twice.

A location under `<state_path>/_staging/` is a copy the server_build action plugin put on
the host for this build: it is moved into the cache (same filesystem, no second copy) or
removed, never left behind.

qemu-img runs through `runner(args) -> (rc, stdout, stderr)` (AnsibleModule.run_command in
the module) so the same code runs under tests with the real binary.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import fcntl
import hashlib
import json
import os
import re

from ansible_collections.novalite.compute.plugins.module_utils.compute import layout

GiB = 1024 ** 3
MiB = 1024 ** 2
_CHUNK = 1024 * 1024
_HEX_RE = re.compile(r'^[0-9a-f]+$')
# Bare checksums as Glance reports them, told apart by length.
_BARE_ALGORITHMS = {32: 'md5', 64: 'sha256', 128: 'sha512'}
_ALGORITHMS = ('md5', 'sha1', 'sha256', 'sha512')


class ImageError(Exception):
    """The image cannot be used: unreachable, checksum mismatch, wrong format."""


def parse_checksum(checksum, field='checksum'):
    """('sha256', '<hex>') for 'sha256:<hex>', 'md5:<hex>' or a bare md5/sha256 hex digest."""
    text = (checksum or '').strip().lower()
    algorithm, sep, digest = text.partition(':')
    if not sep:
        algorithm, digest = _BARE_ALGORITHMS.get(len(text)), text
    if algorithm not in _ALGORITHMS or not _HEX_RE.match(digest or '') \
            or len(digest) != hashlib.new(algorithm).digest_size * 2:
        raise ImageError('%s: %r is not a checksum (expected sha256:<hex>, md5:<hex> or a '
                         'bare md5 hex digest)' % (field, checksum))
    return algorithm, digest


def cache_name(image_id, checksum):
    """The cache file name of an image: sha256 of its id and checksum."""
    return hashlib.sha256(('%s\n%s' % (image_id or '', checksum)).encode('utf-8')).hexdigest()


def cached_path(state_path, image):
    return os.path.join(layout.image_cache_dir(state_path), cache_name(image.get('id'), image['checksum']))


def _local_path(location):
    """The file a non-http(s) location names (file:// URL or absolute path), else None."""
    if location.startswith(('http://', 'https://')):
        return None
    return location[len('file://'):] if location.startswith('file://') else location


def _staged_copy(state_path, location):
    """The path of `location` when it is a staged copy under <state_path>/_staging, else None."""
    path = _local_path(location)
    if not path or not os.path.isabs(path):
        return None
    path = os.path.normpath(path)
    return path if os.path.dirname(path) == os.path.normpath(layout.staging_dir(state_path)) else None


def is_cached(state_path, image):
    return os.path.isfile(cached_path(state_path, image))


def missing(state_path, servers, keys):
    """The keys of `keys` (`image`, `kernel`, `ramdisk`) whose image this host's cache lacks
    for one of `servers`, each once, in the order they are found: what the controller must
    transfer before the builds. A server whose image is absent, null or malformed is passed
    over: its build refuses it, naming the field, or has no such image to fetch."""
    needed = []
    for server in servers:
        for key in keys:
            try:
                if key not in needed and not is_cached(state_path, server[key]):
                    needed.append(key)
            except (AttributeError, KeyError, TypeError, ValueError):
                pass
    return needed


def _open_source(location, timeout):
    path = _local_path(location)
    if path is None:
        # Imported here: ansible's urls (and the TLS stack under it) would otherwise load in
        # every build, which most often finds its image cached or on a local path.
        from ansible.module_utils.urls import open_url
        return open_url(location, timeout=timeout, follow_redirects='safe')
    if not os.path.isabs(path):
        raise ImageError('location %r is neither an absolute path nor a file:// or http(s) URL'
                         % location)
    return open(path, 'rb')


def _download(location, dest, algorithm, timeout):
    """Copy the image to `dest`, returning its hex digest."""
    # Imported here, where only a download needs it (its test pause point): the controller's
    # server_build action plugin imports this module for cache_name, and journal's
    # server_record would load libvirt and lxml into every create's controller process.
    from ansible_collections.novalite.compute.plugins.module_utils.compute import journal
    digest = hashlib.new(algorithm)
    try:
        source = _open_source(location, timeout)
    except (IOError, OSError) as exc:
        raise ImageError('cannot read %s: %s' % (location, exc))
    with source:
        try:
            with open(dest, 'wb') as out:
                for chunk in iter(lambda: source.read(_CHUNK), b''):
                    digest.update(chunk)
                    out.write(chunk)
                    journal.pause_point('image_fetch')
        except (IOError, OSError) as exc:
            # A read error of the source or a full cache filesystem: name both ends.
            raise ImageError('cannot copy %s into the image cache: %s' % (location, exc))
    return digest.hexdigest()


def _take_staged(staged, dest, algorithm):
    """Move the staged copy to `dest` and return its hex digest; False when `dest` is on
    another filesystem (the caller copies then)."""
    try:
        os.rename(staged, dest)
    except OSError as exc:
        if exc.errno == errno.EXDEV:
            return False
        raise ImageError('cannot read %s: %s' % (staged, exc))
    digest = hashlib.new(algorithm)
    with open(dest, 'rb') as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b''):
            digest.update(chunk)
    return digest.hexdigest()


def _discard(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def qemu_img_info(runner, path, fmt=None):
    """`qemu-img info --output=json` of `path`; without `fmt` qemu-img probes the format."""
    args = ['qemu-img', 'info', '--output=json']
    if fmt:
        args += ['-f', fmt]
    rc, out, err = runner(args + [path])
    if rc != 0:
        raise ImageError('qemu-img info %s failed: %s' % (path, (err or out).strip()))
    return json.loads(out)


def _check_format(runner, path, image):
    """Refuse a disk image whose content is not its declared disk_format, or that points at a
    backing file (it could read any file on the host), as Nova's format inspector does."""
    declared = image.get('disk_format') or 'raw'
    if declared not in ('qcow2', 'raw'):
        return
    info = qemu_img_info(runner, path)
    if info.get('format') != declared:
        raise ImageError('image %s: disk_format is %s but the data is %s'
                         % (image.get('id'), declared, info.get('format')))
    if info.get('backing-filename'):
        raise ImageError('image %s: a disk image with a backing file is not acceptable'
                         % image.get('id'))


def _lock(state_path, name):
    path = layout.image_lock_path(state_path, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def fetch_image(state_path, image, runner, timeout=60):
    """The cached path of `image` ({id, location, checksum, disk_format}), fetching it first
    when it is not cached. Raises ImageError; then nothing new is left in the cache."""
    for key in ('location', 'checksum'):
        if not image.get(key):
            raise ImageError('image %s: %s is required' % (image.get('id'), key))
    algorithm, expected = parse_checksum(image['checksum'], 'image %s checksum' % image.get('id'))
    path = cached_path(state_path, image)
    staged = _staged_copy(state_path, image['location'])
    try:
        if os.path.isfile(path):
            return path
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        fd = _lock(state_path, os.path.basename(path))
        try:
            # Another build may have fetched it while this one waited for the lock.
            if os.path.isfile(path):
                return path
            _fill(image, path, staged, algorithm, expected, runner, timeout)
        finally:
            os.close(fd)
    finally:
        if staged:
            _discard(staged)
    return path


def _fill(image, path, staged, algorithm, expected, runner, timeout):
    """Put the verified image at `path`, or raise ImageError leaving nothing."""
    tmp = layout.temporary_path(path, os.getpid())
    try:
        actual = _take_staged(staged, tmp, algorithm) if staged else False
        if actual is False:
            actual = _download(image['location'], tmp, algorithm, timeout)
        if actual != expected:
            raise ImageError('image %s: checksum mismatch for %s: expected %s:%s, got %s:%s'
                             % (image.get('id'), image['location'], algorithm, expected,
                                algorithm, actual))
        _check_format(runner, tmp, image)
        os.chmod(tmp, 0o644)
        os.rename(tmp, path)
    finally:
        _discard(tmp)


def _run(runner, args):
    rc, out, err = runner(args)
    if rc != 0:
        raise ImageError('%s failed: %s' % (' '.join(args[:2]), (err or out).strip()))


def root_disk_size(runner, base, base_format, root_gb):
    """Bytes of the root disk: the flavor's root_gb, never less than the image's virtual size
    (root_gb 0 keeps the image's size, as Nova does for a zero-disk flavor)."""
    virtual = int(qemu_img_info(runner, base, base_format)['virtual-size'])
    return max(virtual, int(root_gb or 0) * GiB)


def create_overlay(runner, base, base_format, path, root_gb):
    """A qcow2 overlay on the cached `base` at `path`, sized by root_disk_size; its size."""
    size = root_disk_size(runner, base, base_format, root_gb)
    _run(runner, ['qemu-img', 'create', '-q', '-f', 'qcow2', '-F', base_format or 'raw',
                  '-b', base, path, str(size)])
    return size


def create_blank(runner, path, size_bytes, fmt='qcow2'):
    """An empty disk (ephemeral or swap); formatting is left to the guest."""
    _run(runner, ['qemu-img', 'create', '-q', '-f', fmt, path, str(int(size_bytes))])


def link_into(cached, path):
    """A symlink `path` -> the cached file (the instance's kernel and ramdisk)."""
    if os.path.lexists(path):
        os.unlink(path)
    os.symlink(cached, path)
