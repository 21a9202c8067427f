# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""domain_state's DomainManager on the real qemu:///system: the demo image is defined,
started, boots and reads its config drive, shuts down gracefully and is undefined."""

import os
import shutil
import subprocess
import tempfile
import time
import uuid

import pytest

libvirt = pytest.importorskip('libvirt')
pycdlib = pytest.importorskip('pycdlib')

from libvirt_helpers import remove_domain  # noqa: E402

from ansible_collections.novalite.compute.plugins.module_utils.compute import config_drive  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.domain_state import (  # noqa: E402
    DomainManager,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import (  # noqa: E402
    open_connection,
)

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(os.geteuid() != 0, reason='qemu:///system needs root')]

BOOT_TIMEOUT = 90


def run(conn, params):
    return DomainManager(conn, params).run()


def wait_for_text(path, text, timeout):
    deadline, content = time.monotonic() + timeout, ''
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path, errors='replace') as handle:
                content = handle.read()
            if text in content:
                return content
        time.sleep(0.2)
    pytest.fail('no %r on the console within %ss:\n%s' % (text, timeout, content[-3000:]))


@pytest.fixture
def workdir():
    # Under /var/tmp and world-traversable: QEMU runs as libvirt's unprivileged user.
    path = tempfile.mkdtemp(prefix='nltest-domain-', dir='/var/tmp')
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_demo_image_lifecycle_on_qemu(demo_image, workdir):
    system = open_connection('qemu:///system')
    server_uuid = str(uuid.uuid4())
    name = 'nltest-qemu-%s' % server_uuid[:8]
    overlay = os.path.join(workdir, 'disk')
    drive = os.path.join(workdir, 'disk.config')
    console = os.path.join(workdir, 'console.log')
    subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-b', demo_image['disk'],
                    '-F', 'qcow2', overlay], check=True)
    server = {'uuid': server_uuid, 'hostname': 'nltest-qemu', 'name': name}
    config_drive.write_config_drive(drive, config_drive.metadata_tree(
        server, {'links': [], 'networks': [], 'services': []}))
    params = dict(name=name, uuid=server_uuid, state='running', xml=None, vcpus=1,
                  memory_mb=128, virt_type='qemu', cpu_mode=None, machine_type='pc',
                  kernel=demo_image['kernel'], ramdisk=demo_image['ramdisk'],
                  cmdline='console=ttyS0 panic=-1',
                  disks=[dict(path=overlay, format='qcow2', device='disk', bus='virtio',
                              target_dev='vda', readonly=False),
                         dict(path=drive, format='raw', device='cdrom', bus='ide',
                              target_dev='hdc', readonly=True)],
                  interfaces=[], console_log=console, shutdown_timeout=60, start_timeout=30,
                  force=False)
    try:
        started = run(system, params)
        assert started['actions'] == ['define', 'start']
        assert started['domain']['uuid'] == server_uuid
        # 'pc' is stored as its canonical machine type, and still compares equal
        assert started['diff']['after']['os']['machine'].startswith('pc-')
        assert not run(system, params)['changed']
        text = wait_for_text(console, 'NOVALITE-READY', BOOT_TIMEOUT)
        assert 'NOVALITE-METADATA uuid=%s hostname=nltest-qemu name=%s' % (server_uuid, name) \
            in text
        stopped = run(system, dict(params, state='stopped'))
        assert stopped['actions'] == ['shutdown']  # graceful: no destroy needed
        assert system.lookupByName(name).state()[0] == libvirt.VIR_DOMAIN_SHUTOFF
        wait_for_text(console, 'NOVALITE-POWEROFF', 5)  # by the guest's ACPI handler
        assert not run(system, dict(params, state='stopped'))['changed']
        gone = run(system, dict(name=name, state='absent'))
        assert gone['actions'] == ['undefine']
        assert not run(system, dict(name=name, state='absent'))['changed']
    finally:
        remove_domain(system, name)
        system.close()
