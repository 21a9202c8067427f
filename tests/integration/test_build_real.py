# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""server_build's logic on this machine's libvirtd and QEMU: a real guest boots from the
cached image with its overlay, ephemeral and swap disks and reads its config drive; the
delete, and every failed build, leave nothing behind.

Boots the project's demo image (the `demo_image` fixture builds it when needed). The test
defines an isolated libvirt network nltest-build and removes it.
"""

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid

import pytest

libvirt = pytest.importorskip('libvirt')

from ansible_collections.novalite.compute.plugins.module_utils import (  # noqa: E402
    build, claims, libvirt_network as ln,
)
from ansible_collections.novalite.compute.plugins.module_utils.host_facts import (  # noqa: E402
    read_failed_builds,
)
from ansible_collections.novalite.compute.plugins.module_utils.libvirt_utils import (  # noqa: E402
    open_connection,
)

pytestmark = pytest.mark.integration

URI = 'qemu:///system'
NET = 'nltest-build'
CIDR = '10.254.253.0/24'
BOOT_TIMEOUT = 120
METADATA_RE = r'NOVALITE-METADATA uuid=(\S+) hostname=(\S+) name=([^\r\n]*)'
DISK_RE = r'NOVALITE-DISK (vd[a-z]) sectors=(\d+)'


def runner(args):
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def sha256(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b''):
            digest.update(chunk)
    return 'sha256:' + digest.hexdigest()


@pytest.fixture(scope='module')
def conn():
    try:
        connection = open_connection(URI)
    except libvirt.libvirtError as exc:
        pytest.fail('no libvirtd at %s: %s' % (URI, exc), pytrace=False)
    yield connection
    connection.close()


@pytest.fixture(scope='module')
def network(conn):
    want = ln.desired_network(NET, cidr=CIDR, dhcp_start='10.254.253.100',
                              dhcp_end='10.254.253.200')
    ln.NetworkManager(conn, NET, 'active', want).run()
    yield NET
    ln.NetworkManager(conn, NET, 'absent', {'name': NET}).run()
    assert ln.network_by_name(conn, NET) is None


@pytest.fixture
def workdir():
    # Under /var/tmp and world-traversable: QEMU runs as libvirt's unprivileged user.
    path = tempfile.mkdtemp(prefix='nltest-build-', dir='/var/tmp')
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope='module')
def catalog(demo_image):
    """The demo image as a catalog's image with its kernel and ramdisk images (the kernel
    by file:// URL, the others by path)."""
    props = {'kernel_id': 'aki-nltest', 'ramdisk_id': 'ari-nltest', 'architecture': 'x86_64',
             'os_command_line': 'console=ttyS0 panic=-1', 'hw_machine_type': 'pc',
             'hw_disk_bus': 'virtio', 'hw_cdrom_bus': 'ide', 'hw_vif_model': 'virtio'}
    disk = demo_image['disk']
    return {
        'image': {'id': 'img-nltest', 'name': 'nltest-demo', 'location': disk,
                  'checksum': sha256(disk), 'disk_format': 'qcow2',
                  'size': os.path.getsize(disk), 'properties': props},
        'kernel': {'id': 'aki-nltest', 'location': 'file://' + demo_image['kernel'],
                   'checksum': sha256(demo_image['kernel'])},
        'ramdisk': {'id': 'ari-nltest', 'location': demo_image['ramdisk'],
                    'checksum': sha256(demo_image['ramdisk'])},
    }


def build_data(catalog, **over):
    server_uuid = str(uuid.uuid4())
    data = {
        'uuid': server_uuid, 'name': 'nltest build', 'hostname': 'nltest-build',
        'launch_index': 0, 'reservation_id': 'r-nltest', 'project_id': 'demo',
        'user_id': 'demo-user', 'description': None, 'tags': [], 'availability_zone': 'nova',
        'key_name': None, 'public_keys': {}, 'metadata': {}, 'security_groups': ['default'],
        'config_drive': True, 'access_ip_v4': None, 'access_ip_v6': None,
        'instance_group': None,
        'flavor': {'name': 'nltest.tiny', 'flavorid': 'nl1', 'vcpus': 1, 'memory_mb': 128,
                   'root_gb': 1, 'ephemeral_gb': 1, 'swap': 32, 'extra_specs': {}},
        'image': catalog['image'], 'kernel': catalog['kernel'], 'ramdisk': catalog['ramdisk'],
        'networks': [{'network_id': 'nl-net', 'network_name': 'nltest', 'fixed_ip': None,
                      'port_id': None, 'cidr': CIDR, 'gateway': '10.254.253.1',
                      'dns_nameservers': [],
                      'allocation_pools': [{'start': '10.254.253.10', 'end': '10.254.253.50'}],
                      'libvirt_network': NET, 'bridge': None, 'dhcp': True, 'mtu': None}],
    }
    data.update(over)
    return data


def params(workdir, server, **over):
    data = {'server': server, 'host': 'nltest-hv', 'instances_path': workdir + '/instances',
            'state_path': workdir + '/state', 'virt_type': 'qemu', 'boot_timeout': 60,
            'request_id': 'req-nltest'}
    data.update(over)
    return data


def wait_for_console(path, dom, pattern, timeout):
    deadline, text = time.time() + timeout, ''
    while time.time() < deadline:
        if os.path.exists(path):
            with open(path, errors='replace') as handle:
                text = handle.read()
            match = re.search(pattern, text)
            if match:
                return match
        if not dom.isActive():
            break
        time.sleep(0.2)
    pytest.fail('no %r on the console within %ss:\n%s' % (pattern, timeout, text[-3000:]))


def assert_nothing_left(conn, workdir, server_uuid):
    with pytest.raises(libvirt.libvirtError):
        conn.lookupByUUIDString(server_uuid)
    assert not os.path.exists(os.path.join(workdir, 'instances', server_uuid))
    assert not claims.has_claim(workdir + '/state', server_uuid)
    assert claims.list_claims(workdir + '/state') == []
    assert [h for h in ln.dhcp_hosts(conn, NET) if h['name'] == 'nltest-build'] == []


def remove_quietly(conn, workdir, server_uuid):
    build.delete(conn, server_uuid, workdir + '/instances', workdir + '/state')


def test_build_boots_then_delete_leaves_nothing(conn, network, workdir, catalog):
    server = build_data(catalog)
    server_uuid = server['uuid']
    try:
        result = build.Builder(conn, params(workdir, server), runner).build()
        assert result['changed'] is True
        record = result['server']
        assert (record['vm_state'], record['power_state']) == ('active', 1)
        port = record['ports'][0]
        assert port['fixed_ip'] == '10.254.253.10'

        dom = conn.lookupByUUIDString(server_uuid)
        state, _max_mem, memory_kib, vcpus, _cpu_time = dom.info()
        assert state == libvirt.VIR_DOMAIN_RUNNING
        assert (vcpus, memory_kib) == (1, 128 * 1024)
        inst = os.path.join(workdir, 'instances', server_uuid)
        disks = [(d['target'], os.path.basename(d['source']), d['device'])
                 for d in result['diff']['after']['disks']]
        assert disks == [('vda', 'disk', 'disk'), ('vdb', 'disk.eph0', 'disk'),
                         ('vdc', 'disk.swap', 'disk'), ('hdc', 'disk.config', 'cdrom')]
        assert result['diff']['after']['interfaces'][0]['mac'] == port['mac']
        assert result['diff']['after']['type'] == 'qemu'
        assert {'mac': port['mac'], 'ip': '10.254.253.10', 'name': 'nltest-build'} in \
            ln.dhcp_hosts(conn, NET)

        console = os.path.join(inst, 'console.log')
        match = wait_for_console(console, dom, METADATA_RE, BOOT_TIMEOUT)
        assert match.groups() == (server_uuid, 'nltest-build', 'nltest build')
        # root, ephemeral and swap as the flavor sizes them (512-byte sectors)
        wait_for_console(console, dom, r'NOVALITE-READY', BOOT_TIMEOUT)
        with open(console, errors='replace') as handle:
            sizes = dict(re.findall(DISK_RE, handle.read()))
        assert sizes == {'vda': str(1 << 21), 'vdb': str(1 << 21), 'vdc': str(32 << 11)}

        again = build.Builder(conn, params(workdir, server), runner).build()
        assert again['changed'] is False and again['server'] == record
    finally:
        deleted = build.delete(conn, server_uuid, workdir + '/instances', workdir + '/state')
    assert deleted['changed'] is True and deleted['server']['uuid'] == server_uuid
    assert_nothing_left(conn, workdir, server_uuid)
    # The cached image stays for the next server of that image.
    assert len(os.listdir(workdir + '/state/_base')) == 3
    assert build.delete(conn, server_uuid, workdir + '/instances',
                        workdir + '/state')['changed'] is False


def test_bad_checksum_leaves_nothing(conn, network, workdir, catalog):
    server = build_data(catalog, image=dict(catalog['image'], checksum='sha256:' + '1' * 64))
    try:
        with pytest.raises(build.BuildError) as err:
            build.Builder(conn, params(workdir, server), runner).build()
    finally:
        remove_quietly(conn, workdir, server['uuid'])
    assert (err.value.step, err.value.reschedule) == ('image', True)
    assert 'checksum mismatch' in err.value.cause
    assert_nothing_left(conn, workdir, server['uuid'])
    assert [f for f in os.listdir(workdir + '/state/_base') if f.startswith(
        os.path.basename(build.image_cache.cached_path(workdir + '/state', server['image'])))] == []
    assert read_failed_builds(workdir + '/state') == 1


def test_kernel_qemu_cannot_load_fails_start_and_leaves_nothing(conn, network, workdir, catalog):
    """A kernel image QEMU cannot boot: libvirt's start fails after the domain is defined."""
    bogus = os.path.join(workdir, 'not-a-kernel')
    with open(bogus, 'wb') as handle:
        handle.write(b'\0' * 4096)
    kernel = {'id': 'aki-bogus', 'location': bogus, 'checksum': sha256(bogus)}
    server = build_data(catalog, kernel=kernel)
    try:
        with pytest.raises(build.BuildError) as err:
            build.Builder(conn, params(workdir, server), runner).build()
    finally:
        remove_quietly(conn, workdir, server['uuid'])
    assert (err.value.step, err.value.reschedule) == ('start', True)
    assert 'kernel' in err.value.cause
    assert_nothing_left(conn, workdir, server['uuid'])
    assert read_failed_builds(workdir + '/state') == 1


def test_claim_that_does_not_fit_leaves_nothing(conn, network, workdir, catalog):
    total_mb = conn.getInfo()[1]
    server = build_data(catalog)
    server['flavor'] = dict(server['flavor'], memory_mb=total_mb * 2)
    with pytest.raises(build.BuildError) as err:
        build.Builder(conn, params(workdir, server), runner).build()
    assert (err.value.step, err.value.reschedule) == ('claim', True)
    assert 'MEMORY_MB: requested %d exceeds the host total' % (total_mb * 2) in err.value.cause
    assert_nothing_left(conn, workdir, server['uuid'])
    assert read_failed_builds(workdir + '/state') == 0
