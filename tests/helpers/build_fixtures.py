# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A whole server build on libvirt's test driver (a private in-memory host per connection)
with the real qemu-img, image cache and config drive: the host, the catalog images, the
build data and the build's parameters, for the tests of the build and of what acts on a
built server (rebuild, resize)."""

import base64
import hashlib
import subprocess

from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import (
    open_connection,
)

# 4 host CPUs, 4096 MiB: with the default reserved 512 MiB and ratio 1.5, 5376 MiB fit.
NODE_XML = """<node>
  <cpu><mhz>2000</mhz><model>x86_64</model><active>4</active><nodes>1</nodes>
       <sockets>1</sockets><cores>4</cores><threads>1</threads></cpu>
  <memory>4194304</memory>
  <network>
    <name>nltest-unit</name>
    <bridge name='nltest0'/>
    <ip address='10.254.253.1' netmask='255.255.255.0'>
      <dhcp><range start='10.254.253.100' end='10.254.253.200'/></dhcp>
    </ip>
  </network>
</node>
"""
UUID = '0b9c6a55-5a0c-4c6e-9a5e-3b2a7f9d1c01'


def runner(args):
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def sha256(path):
    with open(path, 'rb') as handle:
        return 'sha256:' + hashlib.sha256(handle.read()).hexdigest()


def open_test_host(tmp_path, node_xml=NODE_XML):
    """A test-driver connection to a host of its own (`node_xml`); close it after use."""
    node = tmp_path / 'node.xml'
    node.write_text(node_xml)
    return open_connection('test://%s' % node)


def image_catalog(tmp_path):
    """A 32 MiB qcow2 image with a kernel and a ramdisk, in <tmp_path>/images."""
    src = tmp_path / 'images'
    src.mkdir()
    disk = src / 'disk.qcow2'
    subprocess.check_call(['qemu-img', 'create', '-q', '-f', 'qcow2', str(disk), '32M'])
    (src / 'vmlinuz').write_bytes(b'kernel' * 100)
    (src / 'initrd').write_bytes(b'initrd' * 100)
    return {
        'image': {'id': 'img-1', 'name': 'tiny', 'location': str(disk), 'checksum': sha256(disk),
                  'disk_format': 'qcow2', 'size': disk.stat().st_size,
                  'properties': {'os_command_line': 'console=ttyS0 panic=-1',
                                 'hw_machine_type': 'pc'}},
        'kernel': {'id': 'aki-1', 'location': str(src / 'vmlinuz'), 'checksum': sha256(src / 'vmlinuz')},
        'ramdisk': {'id': 'ari-1', 'location': str(src / 'initrd'), 'checksum': sha256(src / 'initrd')},
    }


def server(catalog, **over):
    data = {
        'uuid': UUID, 'name': 'web 1', 'hostname': 'web-1', 'launch_index': 0,
        'reservation_id': 'r-abc', 'project_id': 'demo', 'user_id': 'demo-user',
        'description': None, 'tags': ['t1'], 'availability_zone': 'nova', 'key_name': 'demo',
        'public_keys': {'demo': 'ssh-ed25519 AAAA demo'}, 'metadata': {'role': 'web'},
        'security_groups': ['default'], 'config_drive': True, 'access_ip_v4': None,
        'access_ip_v6': None, 'instance_group': None,
        'flavor': {'name': 'm1.tiny', 'flavorid': '1', 'vcpus': 2, 'memory_mb': 256, 'root_gb': 1,
                   'ephemeral_gb': 1, 'swap': 64, 'extra_specs': {}},
        'image': catalog['image'], 'kernel': catalog['kernel'], 'ramdisk': catalog['ramdisk'],
        'networks': [{'network_id': 'net-1', 'network_name': 'private', 'fixed_ip': None,
                      'port_id': None, 'cidr': '10.254.253.0/24', 'gateway': '10.254.253.1',
                      'dns_nameservers': ['10.254.253.1'],
                      'allocation_pools': [{'start': '10.254.253.10', 'end': '10.254.253.20'}],
                      'libvirt_network': 'nltest-unit', 'bridge': None, 'dhcp': True,
                      'mtu': 1500}],
    }
    data.update(over)
    return data


def params(tmp_path, srv, **over):
    data = {'server': srv, 'host': 'hv1', 'nodename': 'hv1.example',
            'instances_path': str(tmp_path / 'instances'), 'state_path': str(tmp_path / 'state'),
            'virt_type': 'qemu', 'boot_timeout': 5, 'request_id': 'req-1',
            'user_data': base64.b64encode(b'#!/bin/sh\necho hi\n').decode(),
            'admin_pass': 'pw', 'injected_files': []}
    data.update(over)
    return data
