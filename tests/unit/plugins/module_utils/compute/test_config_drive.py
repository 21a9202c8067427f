# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Config drive: the metadata tree and the ISO, read back with pycdlib."""

import base64
import io
import json
import os
import stat

import pycdlib
import pytest

from ansible_collections.novalite.compute.plugins.module_utils.compute import config_drive

SERVER = {
    'uuid': '6f1c1a52-3f4e-4a8e-9d44-5b0e2f4d7a11', 'name': 'web 1', 'hostname': 'web-1',
    'availability_zone': 'az1', 'project_id': 'demo', 'launch_index': 1,
    'public_keys': {'demo': 'ssh-ed25519 AAAA demo@example'}, 'metadata': {'role': 'web'},
}
NETWORK_DATA = {'links': [{'id': 'tap1234'}], 'networks': [], 'services': []}


def b64(text):
    return base64.b64encode(text.encode()).decode()


def read_iso(path):
    iso = pycdlib.PyCdlib()
    iso.open(path)
    return iso


def rr_read(iso, path):
    out = io.BytesIO()
    iso.get_file_from_iso_fp(out, rr_path=path)
    return out.getvalue()


def joliet_read(iso, path):
    out = io.BytesIO()
    iso.get_file_from_iso_fp(out, joliet_path=path)
    return out.getvalue()


def rr_names(iso, path):
    return sorted(child.rock_ridge.name().decode() for child in iso.list_children(rr_path=path)
                  if not (child.is_dot() or child.is_dotdot()))


@pytest.fixture
def drive(tmp_path):
    tree = config_drive.metadata_tree(
        SERVER, NETWORK_DATA, user_data=b64('#!/bin/sh\necho hi\n'), admin_pass='s3cret',
        injected_files=[{'path': '/etc/motd', 'contents': b64('hello\n')},
                        {'path': '/root/x', 'contents': b64('x')}])
    path = str(tmp_path / 'disk.config')
    config_drive.write_config_drive(path, tree)
    iso = read_iso(path)
    yield iso
    iso.close()


def test_label_and_extensions(drive):
    assert drive.pvd.volume_identifier.decode().strip() == 'config-2'
    assert drive.has_rock_ridge() and drive.has_joliet()


def test_meta_data_latest(drive):
    meta = json.loads(rr_read(drive, '/openstack/latest/meta_data.json'))
    assert meta['uuid'] == SERVER['uuid']
    assert (meta['name'], meta['hostname']) == ('web 1', 'web-1')
    assert meta['availability_zone'] == 'az1' and meta['project_id'] == 'demo'
    assert meta['launch_index'] == 1 and meta['meta'] == {'role': 'web'}
    assert meta['public_keys'] == SERVER['public_keys']
    assert meta['keys'] == [{'name': 'demo', 'type': 'ssh', 'data': 'ssh-ed25519 AAAA demo@example'}]
    assert meta['admin_pass'] == 's3cret'
    assert meta['devices'] == []
    assert len(base64.b64decode(meta['random_seed'])) == 512
    assert meta['files'] == [{'path': '/etc/motd', 'content_path': '/content/0000'},
                             {'path': '/root/x', 'content_path': '/content/0001'}]


def test_files_of_latest(drive):
    assert rr_read(drive, '/openstack/latest/user_data') == b'#!/bin/sh\necho hi\n'
    assert json.loads(rr_read(drive, '/openstack/latest/network_data.json')) == NETWORK_DATA
    assert json.loads(rr_read(drive, '/openstack/latest/vendor_data.json')) == {}
    assert json.loads(rr_read(drive, '/openstack/latest/vendor_data2.json')) == {}
    assert rr_read(drive, '/openstack/content/0000') == b'hello\n'
    assert rr_read(drive, '/openstack/content/0001') == b'x'
    assert joliet_read(drive, '/openstack/latest/vendor_data2.json') == b'{}'


def test_dated_versions_follow_nova(drive):
    oldest = json.loads(rr_read(drive, '/openstack/2012-08-10/meta_data.json'))
    assert 'random_seed' not in oldest and 'project_id' not in oldest
    assert rr_names(drive, '/openstack/2012-08-10') == ['meta_data.json', 'user_data']
    assert rr_names(drive, '/openstack/2015-10-15') == [
        'meta_data.json', 'network_data.json', 'user_data', 'vendor_data.json']
    assert set(rr_names(drive, '/openstack')) == set(config_drive.OPENSTACK_VERSIONS) | {
        'latest', 'content'}


def test_no_user_data_no_keys(tmp_path):
    tree = config_drive.metadata_tree({'uuid': 'u', 'name': 'n', 'hostname': 'n'}, NETWORK_DATA,
                                      random_seed=b'\0' * 512)
    assert 'openstack/latest/user_data' not in tree
    meta = json.loads(tree['openstack/latest/meta_data.json'])
    assert 'public_keys' not in meta and 'admin_pass' not in meta and meta['files'] == []
    assert meta['random_seed'] == base64.b64encode(b'\0' * 512).decode()


@pytest.mark.parametrize('kwargs,field', [
    ({'user_data': 'not base64!'}, 'user_data'),
    ({'injected_files': [{'path': '/a', 'contents': '%%%'}]}, r'injected_files\[0\].contents'),
])
def test_bad_base64_names_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field + ': must be base64-encoded'):
        config_drive.metadata_tree(SERVER, NETWORK_DATA, **kwargs)


def test_wrapped_base64_accepted():
    wrapped = b64('line one\n' * 20)
    wrapped = '\n'.join(wrapped[i:i + 60] for i in range(0, len(wrapped), 60))
    assert config_drive.decode_base64(wrapped, 'user_data') == b'line one\n' * 20


def test_write_is_atomic_and_leaves_no_temp(tmp_path):
    path = str(tmp_path / 'disk.config')
    config_drive.write_config_drive(path, {'openstack/latest/meta_data.json': b'{}'})
    assert os.listdir(str(tmp_path)) == ['disk.config']
    # The rename into place fails (a directory is in the way) after the image was written:
    # the temporary file must not stay behind.
    blocked = tmp_path / 'blocked'
    (blocked / 'disk.config').mkdir(parents=True)
    with pytest.raises(OSError):
        config_drive.write_config_drive(str(blocked / 'disk.config'), {'a': b'x'})
    assert os.listdir(str(blocked)) == ['disk.config']
    assert os.listdir(str(blocked / 'disk.config')) == []


def test_config_drive_is_closed_to_other_users_from_its_creation(tmp_path):
    """Issue 11, defect 5: the config drive (adminPass, user_data, files) was 0644."""
    path = str(tmp_path / 'disk.config')
    old = os.umask(0)
    try:
        config_drive.write_config_drive(path, {'openstack/latest/meta_data.json': b'{}'},
                                        gid=os.getgid())
    finally:
        os.umask(old)
    st = os.stat(path)
    assert (stat.S_IMODE(st.st_mode), st.st_gid) == (0o640, os.getgid())
