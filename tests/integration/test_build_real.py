# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""server_build's logic on this machine's libvirtd and QEMU: a real guest boots from the
cached image with its overlay, ephemeral and swap disks and reads its config drive; the
delete, and every failed build, leave the host exactly as it was; two builds racing for the
last slot of the host: exactly one wins.

Boots the project's demo image (the `demo_image` fixture builds it when needed). The test
defines an isolated libvirt network nltest-build and removes it. The disk-full tests mount
small tmpfs filesystems (root needed, as for qemu:///system) and unmount them.
"""

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import uuid

import pytest

from conftest import BIN, REPO

libvirt = pytest.importorskip('libvirt')

from ansible_collections.novalite.compute.plugins.module_utils.compute import build
from ansible_collections.novalite.compute.plugins.module_utils.compute import teardown
from ansible_collections.novalite.compute.plugins.module_utils.compute import claims
from ansible_collections.novalite.compute.plugins.module_utils.compute import image_cache
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt import dac
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt import network as ln
from ansible_collections.novalite.compute.plugins.module_utils.compute import layout
from ansible_collections.novalite.compute.plugins.module_utils.compute.layout import read_failed_builds
from ansible_collections.novalite.compute.plugins.module_utils.compute.host_settings import HostSettings
from ansible_collections.novalite.compute.plugins.module_utils.compute.resource_tracker import (  # noqa: E402
    gather_host_state,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import (  # noqa: E402
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


def remove_quietly(conn, workdir, server_uuid, **paths):
    paths = dict({'instances_path': workdir + '/instances', 'state_path': workdir + '/state'},
                 **paths)
    teardown.delete(conn, server_uuid, paths['instances_path'], paths['state_path'])


# ---- the host before and after a failed build ----------------------------------------------

# Lock files stay by design (unlinking a flock file under a waiter breaks the lock), and the
# failed builds counter is compared on its own: it counts every failure after the claim.
NOT_SNAPSHOT = (layout.COMPUTE_LOCK_FILE, layout.LOCKS_DIR, layout.FAILED_BUILDS_FILE)


def tree(root, with_dirs=True):
    """[(relative path, size or 'dir')] under `root`, without NOT_SNAPSHOT at its top."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        if rel == '.':
            dirnames[:] = [d for d in dirnames if d not in NOT_SNAPSHOT]
            filenames = [f for f in filenames if f not in NOT_SNAPSHOT]
        if with_dirs:
            found.extend((os.path.normpath(os.path.join(rel, d)), 'dir') for d in dirnames)
        found.extend((os.path.normpath(os.path.join(rel, f)),
                      os.lstat(os.path.join(dirpath, f)).st_size) for f in filenames)
    return sorted(found)


def domains_using(conn, instances_path):
    """Names of the domains with a file under `instances_path` (the host is shared with other
    tests: only domains of this test's paths are its own)."""
    names = []
    for dom in conn.listAllDomains(0):
        try:
            if instances_path.rstrip('/') + '/' in dom.XMLDesc(0):
                names.append(dom.name())
        except libvirt.libvirtError:
            continue  # another test's domain, gone meanwhile
    return sorted(names)


def host_snapshot(conn, instances_path, state_path):
    """What a build may touch: domains, instance directories and files, the state path's
    files (claims, image cache, staging, temporary files), the network's DHCP entries."""
    return {
        'domains': domains_using(conn, instances_path),
        'instances': tree(instances_path),
        # State directories (claims/, _base/) are the host's layout; their files are the state.
        'state': tree(state_path, with_dirs=False),
        'dhcp': sorted((h['mac'], h['ip'], h['name']) for h in ln.dhcp_hosts(conn, NET)),
    }


def warm_cache(state_path, server):
    """Fill the image cache with the server's images, as an earlier build would have."""
    for key, fmt in (('image', None), ('kernel', 'aki'), ('ramdisk', 'ari')):
        if server.get(key):
            image = dict(server[key], disk_format=fmt or server[key]['disk_format'])
            image_cache.fetch_image(state_path, image, runner)


def fail_build(conn, workdir, server, **over):
    """Run a build that must fail; the BuildError, with whatever it left removed after."""
    p = params(workdir, server, **over)
    try:
        with pytest.raises(build.BuildError) as err:
            build.Builder(conn, p, runner).build()
    finally:
        remove_quietly(conn, workdir, server['uuid'], instances_path=p['instances_path'],
                       state_path=p['state_path'])
    return err.value


def assert_host_as_before(conn, workdir, server, err, before, paths, counted):
    after = host_snapshot(conn, paths['instances_path'], paths['state_path'])
    assert after == before, err.cause
    assert read_failed_builds(paths['state_path']) == counted
    with pytest.raises(libvirt.libvirtError):
        conn.lookupByUUIDString(server['uuid'])


@contextlib.contextmanager
def small_filesystem(path, size, fill):
    """A tmpfs of `size` mounted at `path` (created), full to the last byte when `fill`."""
    os.makedirs(path)
    proc = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=%s,mode=0755' % size,
                           'nltest-small', path], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        os.rmdir(path)
        pytest.fail('mounting a %s tmpfs at %s failed (root is needed): %s'
                    % (size, path, proc.stderr), pytrace=False)
    try:
        if fill:
            with open(os.path.join(path, 'filler'), 'wb', buffering=0) as handle:
                with contextlib.suppress(OSError):
                    while True:
                        handle.write(b'\0' * 4096)
        yield path
    finally:
        subprocess.run(['umount', path], check=True)
        os.rmdir(path)


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

        # the secrets' files: nobody but root and QEMU's group (issue 11), and the guest
        # below still reads its config drive
        gid = dac.qemu_gid(conn, 'qemu')
        assert gid is not None
        assert (stat.S_IMODE(os.stat(inst).st_mode), os.stat(inst).st_gid) == (0o750, gid)
        config = os.stat(os.path.join(inst, 'disk.config'))
        assert (stat.S_IMODE(config.st_mode), config.st_gid) == (0o640, gid)
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
        deleted = teardown.delete(conn, server_uuid, workdir + '/instances', workdir + '/state')
    assert deleted['changed'] is True and deleted['server']['uuid'] == server_uuid
    assert_nothing_left(conn, workdir, server_uuid)
    # The cached image stays for the next server of that image.
    assert len(os.listdir(workdir + '/state/_base')) == 3
    assert teardown.delete(conn, server_uuid, workdir + '/instances',
                           workdir + '/state')['changed'] is False


def test_bad_checksum_leaves_host_as_before(conn, network, workdir, catalog):
    server = build_data(catalog, image=dict(catalog['image'], checksum='sha256:' + '1' * 64))
    paths = params(workdir, server)
    before = host_snapshot(conn, paths['instances_path'], paths['state_path'])
    err = fail_build(conn, workdir, server)
    assert (err.step, err.reschedule) == ('image', True)
    assert 'checksum mismatch' in err.cause
    # The image never entered the cache: no entry, no partial download.
    assert_host_as_before(conn, workdir, server, err, before, paths, counted=1)


def test_kernel_qemu_cannot_load_fails_start_and_leaves_host_as_before(
        conn, network, workdir, catalog):
    """A kernel image QEMU cannot boot: libvirt's start fails after the domain is defined."""
    bogus = os.path.join(workdir, 'not-a-kernel')
    with open(bogus, 'wb') as handle:
        handle.write(b'\0' * 4096)
    kernel = {'id': 'aki-bogus', 'location': bogus, 'checksum': sha256(bogus)}
    server = build_data(catalog, kernel=kernel)
    paths = params(workdir, server)
    warm_cache(paths['state_path'], server)
    before = host_snapshot(conn, paths['instances_path'], paths['state_path'])
    err = fail_build(conn, workdir, server)
    assert (err.step, err.reschedule) == ('start', True)
    assert 'kernel' in err.cause
    assert_host_as_before(conn, workdir, server, err, before, paths, counted=1)


def test_libvirt_define_error_leaves_host_as_before(conn, network, workdir, catalog):
    """An image asking for its cdrom on IDE with the q35 machine, which has no IDE controller:
    libvirt refuses the domain definition after the disks and the config drive exist."""
    props = dict(catalog['image']['properties'], hw_machine_type='q35', hw_cdrom_bus='ide')
    server = build_data(catalog, image=dict(catalog['image'], properties=props))
    paths = params(workdir, server)
    warm_cache(paths['state_path'], server)
    before = host_snapshot(conn, paths['instances_path'], paths['state_path'])
    err = fail_build(conn, workdir, server)
    assert (err.step, err.reschedule) == ('define', True)
    assert 'IDE controllers are unsupported' in err.cause
    assert_host_as_before(conn, workdir, server, err, before, paths, counted=1)


class FaultAfterStart:
    """This machine's libvirt connection, except that a domain it defines meets `fault` (a real
    libvirt call or signal) the moment it is let run (libvirt's start returned, or, for a guest
    started paused for its DHCP entries, its resume), while the build waits for RUNNING: the
    only moment a real guest can fail to get there."""

    def __init__(self, conn, fault):
        self._conn, self._fault = conn, fault

    def __getattr__(self, name):
        return getattr(self._conn, name)

    def defineXML(self, xml):  # libvirt's name
        return _DomainWithFault(self._conn.defineXML(xml), self._fault)


class _DomainWithFault:
    def __init__(self, dom, fault):
        self._dom, self._fault = dom, fault

    def __getattr__(self, name):
        return getattr(self._dom, name)

    def createWithFlags(self, flags):  # libvirt's name
        result = self._dom.createWithFlags(flags)
        if not flags & libvirt.VIR_DOMAIN_START_PAUSED:
            self._fault(self._dom)
        return result

    def resume(self):  # libvirt's name
        result = self._dom.resume()
        self._fault(self._dom)
        return result


def kill_qemu(dom):
    """SIGKILL the guest's QEMU, as the OOM killer would, and wait until libvirt has seen it."""
    with open('/run/libvirt/qemu/%s.pid' % dom.name()) as handle:
        os.kill(int(handle.read().strip()), 9)
    deadline = time.monotonic() + 10
    while dom.isActive() and time.monotonic() < deadline:
        time.sleep(0.05)


# fault -> (what it does to the guest, the cause the build reports)
NEVER_RUNNING = {
    'paused': (lambda dom: dom.suspend(), r'did not reach state \[1\] within 2s \(state 3\)'),
    'QEMU killed': (kill_qemu, r'stopped \(state 5, crashed\) before reaching state \[1\]'),
}


@pytest.mark.parametrize('fault', sorted(NEVER_RUNNING))
def test_guest_that_never_reaches_running_leaves_host_as_before(conn, network, workdir, catalog, fault):
    """Paused by libvirt, or its QEMU killed, right after the start: the build gives up (the
    paused one after boot_timeout, the dead one at once), removes the domain, disks, config
    drive and DHCP entry, and counts a failed build."""
    action, cause = NEVER_RUNNING[fault]
    server = build_data(catalog)
    paths = params(workdir, server)
    warm_cache(paths['state_path'], server)
    before = host_snapshot(conn, paths['instances_path'], paths['state_path'])
    err = fail_build(FaultAfterStart(conn, action), workdir, server, boot_timeout=2)
    assert (err.step, err.reschedule) == ('start', True)
    assert re.search(cause, err.cause), err.cause
    assert_host_as_before(conn, workdir, server, err, before, paths, counted=1)


# A flavor without disks asks for no DISK_GB, so the claim does not weigh the instances
# filesystem's size (Nova's zero-disk flavor: the root disk keeps the image's size).
ZERO_DISK = {'name': 'nltest.zero', 'flavorid': 'nl0', 'vcpus': 1, 'memory_mb': 128,
             'root_gb': 0, 'ephemeral_gb': 0, 'swap': 0, 'extra_specs': {}}
# Where the filesystem is full: (the path on the small filesystem, its size, filled to the
# last byte, image cache filled first, flavor, the step that fails, failed builds counted).
DISK_FULL = {
    # Not even the claim file fits: the claim fails, which counts no failed build.
    'claim': ('state_path', '16k', True, False, None, 'claim', 0),
    # The claim fits, the 196 KiB image does not: the download stops half way.
    'image cache': ('state_path', '128k', False, False, None, 'image', 1),
    # The cache has the image, the instance directory has no room for the qcow2 overlay.
    'instance disks': ('instances_path', '64k', False, True, ZERO_DISK, 'image', 1),
}


@pytest.mark.parametrize('where', sorted(DISK_FULL))
def test_disk_full_leaves_host_as_before(conn, network, workdir, catalog, where):
    key, size, fill, warm, flavor, step, counted = DISK_FULL[where]
    server = build_data(catalog, **({'flavor': flavor} if flavor else {}))
    with small_filesystem(os.path.join(workdir, 'small'), size, fill) as small:
        paths = params(workdir, server, **{key: small})
        if warm:
            warm_cache(paths['state_path'], server)
        before = host_snapshot(conn, paths['instances_path'], paths['state_path'])
        err = fail_build(conn, workdir, server, **{key: small})
        assert (err.step, err.reschedule) == (step, True)
        assert 'No space left on device' in err.cause
        assert_host_as_before(conn, workdir, server, err, before, paths, counted)


def test_claim_that_does_not_fit_leaves_host_as_before(conn, network, workdir, catalog):
    total_mb = conn.getInfo()[1]
    server = build_data(catalog)
    server['flavor'] = dict(server['flavor'], memory_mb=total_mb * 2)
    paths = params(workdir, server)
    before = host_snapshot(conn, paths['instances_path'], paths['state_path'])
    err = fail_build(conn, workdir, server)
    assert (err.step, err.reschedule) == ('claim', True)
    assert 'MEMORY_MB: requested %d exceeds the host total' % (total_mb * 2) in err.cause
    assert_host_as_before(conn, workdir, server, err, before, paths, counted=0)


# ---- two builds racing for the last slot ------------------------------------------------------

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                   'build', 'src')
MODULE = 'ansible_collections.novalite.compute.plugins.modules.server_build'
NANO = {'name': 'm1.nano', 'flavorid': '1', 'vcpus': 1, 'memory_mb': 128, 'root_gb': 1,
        'ephemeral_gb': 0, 'swap': 0, 'extra_specs': {}}
# Only memory may decide: vCPUs and disk get room to spare.
RACE_RATIOS = {'cpu_allocation_ratio': 64.0, 'disk_allocation_ratio': 64.0,
               'ram_allocation_ratio': 1.0}


def memory_mb(conn, workdir):
    """(total, used) MiB of this host as the claim counts them: libvirt's node memory, and
    the flavors of every server on the host (other tests' too) plus this test's claims."""
    settings = HostSettings(instances_path=workdir + '/instances', state_path=workdir + '/state',
                            reserved_host_memory_mb=0, reserved_host_disk_mb=0,
                            reserved_host_cpus=0, **RACE_RATIOS)
    state, _servers = gather_host_state(
        conn, settings, host='nltest-hv', availability_zone=None, aggregates=[],
        virt_type='qemu', claims=claims.list_claims(workdir + '/state'))
    return state['memory_mb_total'], state['memory_mb_used']


def start_build_process(workdir, args):
    """server_build's own entry point (the module's main) in a process of its own."""
    path = os.path.join(workdir, 'args-%s.json' % args['server']['uuid'])
    with open(path, 'w') as handle:
        json.dump({'ANSIBLE_MODULE_ARGS': args}, handle)
    env = dict(os.environ, PYTHONPATH=SRC)
    return subprocess.Popen([sys.executable, '-m', MODULE, path], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, universal_newlines=True, env=env)


def race(conn, workdir, catalog, reserved):
    servers = [build_data(catalog, flavor=NANO, hostname='nltest-race-%d' % i,
                          name='nltest race %d' % i) for i in range(2)]
    procs = [start_build_process(workdir, dict(params(workdir, srv, boot_timeout=BOOT_TIMEOUT,
                                                      reserved_host_memory_mb=reserved),
                                               **RACE_RATIOS))
             for srv in servers]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert out.strip(), err
        results.append(json.loads(out))
    return servers, results


def test_two_builds_racing_for_the_last_slot_exactly_one_wins(conn, network, workdir, catalog):
    state = workdir + '/state'
    warm_cache(state, build_data(catalog))
    before = host_snapshot(conn, workdir + '/instances', state)
    # Other tests build and delete servers on this host meanwhile: a race is judged only when
    # the usage of everyone else was the same before and after it.
    for _attempt in range(3):
        total, used = memory_mb(conn, workdir)
        # capacity = (total - reserved) * 1.0 = used + 128: one m1.nano fits, not two.
        reserved = total - used - NANO['memory_mb']
        servers, results = race(conn, workdir, catalog, reserved)
        try:
            winners = [r for r in results if not r.get('failed')]
            others_after = memory_mb(conn, workdir)[1] - NANO['memory_mb'] * len(winners)
            if others_after != used:
                continue
            losers = [(srv, r) for srv, r in zip(servers, results) if r.get('failed')]
            assert len(winners) == 1 and len(losers) == 1, results
            assert winners[0]['changed'] is True and winners[0]['server']['vm_state'] == 'active'
            loser, result = losers[0]
            assert (result['failed_step'], result['reschedule']) == ('claim', True), result
            assert ('MEMORY_MB: requested 128, used %d of capacity %d'
                    % (used + NANO['memory_mb'], used + NANO['memory_mb'])) in result['msg']
            # Nothing of the loser: no domain, directory, claim or DHCP entry.
            assert_nothing_left(conn, workdir, loser['uuid'])
            assert [h['name'] for h in ln.dhcp_hosts(conn, NET)] == [
                winners[0]['server']['hostname']]
            print('race: host %d MiB, used %d, reserved %d; winner %s (claim %.3fs), loser '
                  'claim %.3fs: %s' % (total, used, reserved, winners[0]['server']['hostname'],
                                       winners[0]['timings']['claim'],
                                       result['timings']['claim'], result['msg']))
            break
        finally:
            for srv in servers:
                remove_quietly(conn, workdir, srv['uuid'])
    else:
        pytest.fail('the usage of other servers on this host changed during each of 3 races')
    assert host_snapshot(conn, workdir + '/instances', state) == before
    assert read_failed_builds(state) == 0


def _waiting_on(path):
    """True when some process waits for the flock on `path` (/proc/locks '->' lines)."""
    inode = os.stat(path).st_ino
    with open('/proc/locks') as handle:
        return any('->' in line and line.split()[-3].endswith(':%d' % inode)
                   for line in handle)


def test_a_killed_run_leaves_no_secret_on_disk(conn, network, workdir, catalog, tmp_path):
    """Issue 11, defect 5: a run killed while server_build ran left AnsiballZ_server_build.py
    with the adminPass in the temporary directory (the local connection did not pipeline).
    The run is killed while the module waits for the host's compute lock, with pipelining
    switched off in the configuration; no file anywhere under the run's temporary
    directories holds the secret."""
    secret = 'nltest-secret-%s' % uuid.uuid4().hex
    task = params(workdir, build_data(catalog), admin_pass=secret)
    playbook = tmp_path / 'build.yml'
    playbook.write_text(json.dumps([{
        'hosts': 'localhost', 'connection': 'local', 'gather_facts': False,
        'vars': {'ansible_python_interpreter': sys.executable},
        'tasks': [{'name': 'Build', 'novalite.compute.server_build': task}]}]))
    temp = tmp_path / 'temp'
    for sub in ('local', 'remote', 'tmp'):
        (temp / sub).mkdir(parents=True)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'),
               ANSIBLE_PIPELINING='False', ANSIBLE_LOCAL_TEMP=str(temp / 'local'),
               ANSIBLE_REMOTE_TMP=str(temp / 'remote'), TMPDIR=str(temp / 'tmp'))
    os.makedirs(workdir + '/state', exist_ok=True)
    lock_path = workdir + '/state/compute.lock'
    with open(lock_path, 'a') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        run = subprocess.Popen([os.path.join(BIN, 'ansible-playbook'), '-i', 'localhost,',
                                str(playbook)], cwd=REPO, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, universal_newlines=True,
                               start_new_session=True)
        try:
            deadline = time.time() + 120
            while not _waiting_on(lock_path):
                assert run.poll() is None, run.communicate()[0]
                assert time.time() < deadline, 'the module never waited for the compute lock'
                time.sleep(0.2)
        finally:
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)
            run.communicate()
    holding = []
    for root, _dirs, files in os.walk(str(temp)):
        for name in files:
            with open(os.path.join(root, name), 'rb') as handle:
                if secret.encode() in handle.read():
                    holding.append(os.path.join(root, name))
    assert holding == []
    assert teardown.delete(conn, task['server']['uuid'], workdir + '/instances',
                        workdir + '/state')['changed'] is False
