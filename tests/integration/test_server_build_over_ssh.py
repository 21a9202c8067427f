# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""server_build's action plugin over a real SSH connection: images on the controller reach a
hypervisor that lacks them, once; a cached image is not sent again; nothing stays staged.

The hypervisor is this machine reached through a private sshd on 127.0.0.1 (started and
stopped here): for Ansible it is a remote host, so the plugin transfers what the build needs.
Runs the installed collection (scripts/install-collection.sh).
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import pytest

libvirt = pytest.importorskip('libvirt')

from conftest import BIN, REPO, PlaybookRun  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import teardown
from ansible_collections.novalite.compute.plugins.module_utils.compute import image_cache
from ansible_collections.novalite.compute.plugins.module_utils.compute import layout
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import (  # noqa: E402
    open_connection,
)

pytestmark = pytest.mark.integration

PLAYBOOK = """
- name: Build one server on the hypervisor reached over SSH
  hosts: nltest_ssh
  gather_facts: false
  tasks:
    - name: Build
      novalite.compute.server_build:
        server: "{{ nltest_server }}"
        host: nltest-ssh
        instances_path: "{{ nltest_work }}/instances"
        state_path: "{{ nltest_work }}/state"
        virt_type: qemu
      register: nltest_built
      ignore_errors: true

    - name: Hand the result to the test
      ansible.builtin.copy:
        content: "{{ nltest_built | to_json }}"
        dest: "{{ nltest_work }}/result.json"
        mode: '0600'
      delegate_to: localhost
      check_mode: false
"""
SSHD_CONFIG = """Port {port}
ListenAddress 127.0.0.1
HostKey {dir}/host_key
AuthorizedKeysFile {dir}/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile {dir}/sshd.pid
Subsystem sftp internal-sftp
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def wait_for_port(port, proc, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail('sshd exited: %s' % proc.stderr.read(), pytrace=False)
        with socket.socket() as sock:
            if sock.connect_ex(('127.0.0.1', port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail('sshd did not listen on %d' % port, pytrace=False)


@pytest.fixture(scope='module')
def ssh_inventory():
    """An inventory whose one host is this machine over SSH to a private sshd."""
    sshd = shutil.which('sshd') or '/usr/sbin/sshd'
    if not os.path.exists(sshd):
        pytest.fail('this test needs sshd (package openssh-server)', pytrace=False)
    work = tempfile.mkdtemp(prefix='nltest-sshd-')
    for key in ('host_key', 'client_key'):
        subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f',
                        os.path.join(work, key)], check=True)
    shutil.copyfile(os.path.join(work, 'client_key.pub'), os.path.join(work, 'authorized_keys'))
    port = free_port()
    with open(os.path.join(work, 'sshd_config'), 'w') as handle:
        handle.write(SSHD_CONFIG.format(port=port, dir=work))
    os.makedirs('/run/sshd', exist_ok=True)  # sshd's privilege separation directory
    proc = subprocess.Popen([sshd, '-D', '-e', '-f', os.path.join(work, 'sshd_config')],
                            stderr=subprocess.PIPE, universal_newlines=True)
    try:
        wait_for_port(port, proc)
        inventory = os.path.join(work, 'hosts.json')
        with open(inventory, 'w') as handle:
            json.dump({'nltest_ssh': {'hosts': {'nltest-ssh': {
                'ansible_host': '127.0.0.1', 'ansible_port': port, 'ansible_user': 'root',
                'ansible_connection': 'ansible.builtin.ssh',
                'ansible_ssh_private_key_file': os.path.join(work, 'client_key'),
                'ansible_ssh_common_args': '-o StrictHostKeyChecking=no '
                                           '-o UserKnownHostsFile=/dev/null',
                # No persistent master: no SSH session outlives the test's sshd.
                'ansible_ssh_args': '-o ControlMaster=no',
                'ansible_python_interpreter': sys.executable}}}}, handle)
        yield inventory
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture
def work():
    # QEMU runs as an unprivileged user: a world-traversable directory under /var/tmp.
    path = tempfile.mkdtemp(prefix='nltest-action-', dir='/var/tmp')
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def conn():
    connection = open_connection('qemu:///system')
    yield connection
    connection.close()


def demo_server(demo_image, name):
    def image(image_id, path, location=None):
        return {'id': image_id, 'location': location or path, 'checksum': sha256(path)}
    props = {'os_command_line': 'console=ttyS0 panic=-1', 'hw_machine_type': 'pc'}
    return {
        'uuid': str(uuid.uuid4()), 'name': name, 'hostname': name, 'project_id': 'demo',
        'user_id': 'demo-user', 'config_drive': True,
        'flavor': {'name': 'm1.nano', 'flavorid': '1', 'vcpus': 1, 'memory_mb': 128,
                   'root_gb': 1, 'ephemeral_gb': 0, 'swap': 0, 'extra_specs': {}},
        'image': dict(image('img-nltest-action', demo_image['disk']), name='nltest-demo',
                      disk_format='qcow2', properties=props),
        'kernel': image('aki-nltest-action', demo_image['kernel']),
        'ramdisk': image('ari-nltest-action', demo_image['ramdisk'],
                         'file://' + demo_image['ramdisk']),
        'networks': [],
    }


def sha256(path):
    proc = subprocess.run(['sha256sum', path], capture_output=True, text=True, check=True)
    return 'sha256:' + proc.stdout.split()[0]


def run_build(inventory, work, server, check=False):
    """The build through ansible-playbook over SSH: its registered result."""
    playbook = os.path.join(work, 'build.yml')
    with open(playbook, 'w') as handle:
        handle.write(PLAYBOOK)
    result_file = os.path.join(work, 'result.json')
    if os.path.exists(result_file):
        os.unlink(result_file)
    cmd = [os.path.join(BIN, 'ansible-playbook'), '-i', inventory, playbook,
           '-e', json.dumps({'nltest_server': server, 'nltest_work': work})]
    if check:
        cmd.append('--check')
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'), ANSIBLE_NOCOLOR='1',
               PATH=BIN + os.pathsep + os.environ.get('PATH', ''))
    proc = subprocess.run(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, timeout=600,
                          check=False)
    run = PlaybookRun('server_build_action', proc)
    assert run.rc == 0 and os.path.exists(result_file), run
    with open(result_file) as handle:
        return json.load(handle)


def host_files(work):
    """The cache entries and anything left in the staging directory, on the host."""
    state = os.path.join(work, 'state')
    listing = {}
    for sub in (layout.IMAGE_CACHE_DIR, layout.STAGING_DIR):
        path = os.path.join(state, sub)
        listing[sub] = sorted(os.listdir(path)) if os.path.isdir(path) else []
    return listing


def test_images_go_to_a_remote_host_once(ssh_inventory, work, conn, demo_image):
    first = demo_server(demo_image, 'nltest-action-1')
    second = demo_server(demo_image, 'nltest-action-2')
    names = sorted(image_cache.cache_name(first[k]['id'], first[k]['checksum'])
                   for k in ('image', 'kernel', 'ramdisk'))
    try:
        planned = run_build(ssh_inventory, work, first, check=True)
        assert planned['changed'] is True and planned['images_transferred'] == []
        assert host_files(work) == {'_base': [], '_staging': []}

        built = run_build(ssh_inventory, work, first)
        assert not built.get('failed'), built
        assert built['server']['vm_state'] == 'active'
        assert built['images_transferred'] == ['image', 'kernel', 'ramdisk']
        # In the cache under id + checksum; the staged copies were moved in, none is left.
        assert host_files(work) == {'_base': names, '_staging': []}

        again = run_build(ssh_inventory, work, second)
        assert not again.get('failed'), again
        assert again['images_transferred'] == []
        assert host_files(work) == {'_base': names, '_staging': []}
    finally:
        for server in (first, second):
            teardown.delete(conn, server['uuid'], work + '/instances', work + '/state')


def test_staged_images_of_a_refused_claim_are_removed(ssh_inventory, work, conn, demo_image):
    server = demo_server(demo_image, 'nltest-action-3')
    server['flavor'] = dict(server['flavor'], memory_mb=conn.getInfo()[1] * 2)
    try:
        result = run_build(ssh_inventory, work, server)
    finally:
        teardown.delete(conn, server['uuid'], work + '/instances', work + '/state')
    assert result['failed'] is True
    assert (result['failed_step'], result['reschedule']) == ('claim', True)
    assert result['images_transferred'] == ['image', 'kernel', 'ramdisk']
    assert host_files(work) == {'_base': [], '_staging': []}


def test_an_image_missing_on_the_controller_fails_without_reschedule(
        ssh_inventory, work, demo_image):
    server = demo_server(demo_image, 'nltest-action-4')
    server['image'] = dict(server['image'], location=os.path.join(work, 'no-such-image'))
    result = run_build(ssh_inventory, work, server)
    assert result['failed'] is True
    assert (result['failed_step'], result['reschedule']) == ('image', False)
    assert 'server.image.location: %s is not a file on the controller' % (
        os.path.join(work, 'no-such-image')) in result['msg']
    assert result['images_transferred'] == []
    assert host_files(work) == {'_base': [], '_staging': []}
