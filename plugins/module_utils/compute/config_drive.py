# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The config drive (Nova's `nova/virt/configdrive.py` and `nova/api/metadata/base.py`).

An ISO 9660 image labelled `config-2` with Rock Ridge and Joliet names, holding the metadata
tree cloud-init and similar agents read: `openstack/<version>/meta_data.json`,
`network_data.json`, `user_data`, `vendor_data.json`, `vendor_data2.json`, and the injected
files under `openstack/content/`. Built in memory with pycdlib (no external tool), written to
a temporary file and renamed into place.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import io
import json
import os
import re
import traceback

try:
    import pycdlib
except ImportError:
    HAS_PYCDLIB = False
    PYCDLIB_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_PYCDLIB = True
    PYCDLIB_IMPORT_ERROR = None

from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt import dac

VOLUME_LABEL = 'config-2'
# Nova's OPENSTACK_VERSIONS with the first version each item appears in.
FOLSOM, GRIZZLY, HAVANA, LIBERTY = '2012-08-10', '2013-04-04', '2013-10-17', '2015-10-15'
NEWTON_ONE, NEWTON_TWO = '2016-06-30', '2016-10-06'
OPENSTACK_VERSIONS = (FOLSOM, GRIZZLY, HAVANA, LIBERTY, NEWTON_ONE, NEWTON_TWO,
                      '2017-02-22', '2018-08-27', '2020-10-14')
RANDOM_SEED_BYTES = 512
_ISO_NAME_RE = re.compile(r'[^A-Z0-9_]')
_ISO_NAME_MAX = 30


def _newer_or_equal(version, since):
    return version == 'latest' or version >= since


def meta_data(server, version, files, admin_pass=None, random_seed=None):
    """meta_data.json of one metadata version for the server's build data."""
    keys = server.get('public_keys') or {}
    data = {
        'uuid': server['uuid'],
        'meta': dict(server.get('metadata') or {}),
        'hostname': server.get('hostname'),
        'name': server.get('name'),
        'launch_index': server.get('launch_index') or 0,
        'availability_zone': server.get('availability_zone'),
        'files': files,
    }
    if keys:
        data['public_keys'] = dict(keys)
        data['keys'] = [{'name': name, 'type': 'ssh', 'data': key}
                        for name, key in sorted(keys.items())]
    if admin_pass:
        data['admin_pass'] = admin_pass
    if _newer_or_equal(version, GRIZZLY) and random_seed is not None:
        data['random_seed'] = base64.b64encode(random_seed).decode('ascii')
    if _newer_or_equal(version, HAVANA):
        data['project_id'] = server.get('project_id')
    if _newer_or_equal(version, NEWTON_ONE):
        data['devices'] = []
    return data


def metadata_tree(server, network_data, user_data=None, admin_pass=None, injected_files=(),
                  random_seed=None):
    """The drive's files, {path: bytes}, for every metadata version and `latest`.

    `user_data` and the `contents` of `injected_files` ([{path, contents}]) are base64, as in
    Nova's API.
    `random_seed`: bytes (os.urandom(512) when None)."""
    if random_seed is None:
        random_seed = os.urandom(RANDOM_SEED_BYTES)
    tree, files = {}, []
    for index, item in enumerate(injected_files or ()):
        key = '%04d' % index
        files.append({'path': item['path'], 'content_path': '/content/%s' % key})
        tree['openstack/content/%s' % key] = decode_base64(
            item.get('contents'), 'injected_files[%d].contents' % index)
    for version in OPENSTACK_VERSIONS + ('latest',):
        prefix = 'openstack/%s/' % version
        tree[prefix + 'meta_data.json'] = _json(
            meta_data(server, version, files, admin_pass, random_seed))
        if user_data is not None:
            tree[prefix + 'user_data'] = decode_base64(user_data, 'user_data')
        if _newer_or_equal(version, HAVANA):
            tree[prefix + 'vendor_data.json'] = _json({})
        if _newer_or_equal(version, LIBERTY):
            tree[prefix + 'network_data.json'] = _json(network_data)
        if _newer_or_equal(version, NEWTON_TWO):
            tree[prefix + 'vendor_data2.json'] = _json({})
    return tree


def _json(value):
    return json.dumps(value, sort_keys=True).encode('utf-8')


def decode_base64(value, field):
    """The bytes of a base64 API field (user_data, personality contents); ValueError naming
    the field when it is not base64."""
    try:
        # Line breaks are common in wrapped base64 and carry nothing.
        return base64.b64decode(''.join((value or '').split()), validate=True)
    except (ValueError, TypeError):
        raise ValueError('%s: must be base64-encoded' % field)


def _iso_name(name, is_dir, taken):
    """A unique ISO 9660 level 3 name (d-characters); the real name is in Rock Ridge."""
    stem, dot, ext = name.rpartition('.') if not is_dir and '.' in name else (name, '', '')
    stem = _ISO_NAME_RE.sub('_', stem.upper()) or '_'
    ext = _ISO_NAME_RE.sub('_', ext.upper())
    room = _ISO_NAME_MAX - len(ext) - 1
    candidate, counter = stem[:room], 0
    while (candidate + '.' + ext if ext else candidate) in taken:
        counter += 1
        suffix = '_%d' % counter
        candidate = stem[:room - len(suffix)] + suffix
    result = candidate + '.' + ext if ext else candidate
    taken.add(result)
    return result


def _add_tree(iso, tree):
    iso_dirs = {'': '/'}
    taken = {}

    def iso_dir(path):
        if path not in iso_dirs:
            parent, _sep, base = path.rpartition('/')
            parent_iso = iso_dir(parent)
            name = _iso_name(base, True, taken.setdefault(parent, set()))
            iso_dirs[path] = parent_iso.rstrip('/') + '/' + name
            iso.add_directory(iso_dirs[path], rr_name=base, joliet_path='/' + path)
        return iso_dirs[path]

    for path in sorted(tree):
        parent, _sep, base = path.rpartition('/')
        parent_iso = iso_dir(parent)
        name = _iso_name(base, False, taken.setdefault(parent, set()))
        data = tree[path]
        iso.add_fp(io.BytesIO(data), len(data), parent_iso.rstrip('/') + '/' + name + ';1',
                   rr_name=base, joliet_path='/' + path)


def write_config_drive(path, tree, gid=None):
    """Write the ISO for `tree` ({path: bytes}) to `path` atomically, mode 0640 and group
    `gid` (QEMU's) from its creation on: it holds the guest's secrets. Removes its temp file
    on any failure."""
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=3, joliet=3, rock_ridge='1.09', vol_ident=VOLUME_LABEL)
    tmp = '%s.tmp.%d' % (path, os.getpid())
    try:
        _add_tree(iso, tree)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'wb') as out:
            dac.restrict(tmp, dac.SECRET_FILE_MODE, gid)
            iso.write_fp(out)
        os.rename(tmp, path)
    finally:
        iso.close()
        if os.path.exists(tmp):
            os.unlink(tmp)


def read_drive_file(path, name):
    """The bytes of the file `name` ('openstack/latest/meta_data.json') on the config drive
    at `path`, or None when the drive has no such file. A rebuild reads what it keeps of the
    server's first drive (network_data.json, the user data) from there, as Nova reads them
    from its database."""
    iso = pycdlib.PyCdlib()
    iso.open(path)
    try:
        out = io.BytesIO()
        try:
            iso.get_file_from_iso_fp(out, joliet_path='/' + name)
        except pycdlib.pycdlibexception.PyCdlibInvalidInput:
            return None
        return out.getvalue()
    finally:
        iso.close()
