# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The demo image boots for real on qemu:///system: it reads a config drive, configures its
NIC from network_data.json on an isolated network, runs user_data and powers off on ACPI."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import io
import json
import os
import re
import shutil
import subprocess
import time
import uuid

import pytest

libvirt = pytest.importorskip('libvirt')
pycdlib = pytest.importorskip('pycdlib')
yaml = pytest.importorskip('yaml')

from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt import network as ln  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import open_connection  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.virt_type import resolve_virt_type  # noqa: E402

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(os.geteuid() != 0, reason='building and booting need root')]

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CATALOG = os.path.join(REPO, 'inventories', 'local', 'group_vars', 'all', 'demo_image.yml')
NET = 'nltest-img-net'  # isolated: no <forward>
MAC = 'fa:16:3e:7e:57:02'
BOOT_TIMEOUT = 90


@pytest.fixture(scope='module')
def image(demo_image):
    """The catalog's images by name, as the build of the demo image wrote them."""
    with open(CATALOG) as f:
        images = yaml.safe_load(f)['novalite_demo_images']
    return dict((i['name'], i) for i in images)


def test_catalog_describes_the_built_files(image, demo_image):
    disk, kernel, ramdisk = image['novalite-demo'], image['novalite-demo-kernel'], image['novalite-demo-ramdisk']
    assert (kernel['disk_format'], kernel['container_format']) == ('aki', 'aki')
    assert (ramdisk['disk_format'], ramdisk['container_format']) == ('ari', 'ari')
    assert (disk['disk_format'], disk['container_format']) == ('qcow2', 'bare')
    assert disk['properties']['kernel_id'] == kernel['id']
    assert disk['properties']['ramdisk_id'] == ramdisk['id']
    assert disk['properties']['os_command_line'] == 'console=ttyS0 panic=-1'
    for img, key in ((disk, 'disk'), (kernel, 'kernel'), (ramdisk, 'ramdisk')):
        assert img['location'] == demo_image[key]
        assert img['status'] == 'active' and uuid.UUID(img['id'])
        assert os.path.getsize(img['location']) == img['size']
        out = subprocess.check_output(['sha256sum', img['location']], universal_newlines=True)
        assert img['checksum'] == 'sha256:' + out.split()[0]


def config_drive(path, files):
    """ISO 9660 labelled config-2 with Rock Ridge (real names) and Joliet, as Nova writes."""
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=3, joliet=3, rock_ridge='1.09', vol_ident='config-2')
    made = set()
    for name in sorted(files):
        parts = name.split('/')
        for depth in range(1, len(parts)):
            d = '/'.join(parts[:depth])
            if d not in made:
                made.add(d)
                iso.add_directory('/' + '/'.join(_iso_name(p) for p in parts[:depth]),
                                  rr_name=parts[depth - 1], joliet_path='/' + d)
        data = files[name]
        iso.add_fp(io.BytesIO(data), len(data),
                   '/' + '/'.join([_iso_name(p) for p in parts[:-1]] + [_iso_name(parts[-1], True)]),
                   rr_name=parts[-1], joliet_path='/' + name)
    iso.write(path)
    iso.close()


def _iso_clean(text, length):
    return re.sub('[^A-Z0-9_]', '_', text.upper())[:length]


def _iso_name(name, is_file=False):
    base, _dot, ext = name.partition('.')
    return _iso_clean(base, 8) + '.' + _iso_clean(ext, 3) + ';1' if is_file else _iso_clean(name, 8)


def domain_xml(virt_type, name, server_uuid, image_dir, work):
    return """<domain type='{vt}'>
  <name>{name}</name><uuid>{uuid}</uuid>
  <memory unit='MiB'>128</memory><vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>{img}/vmlinuz</kernel><initrd>{img}/initrd.img</initrd>
    <cmdline>console=ttyS0 panic=-1</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff><on_reboot>restart</on_reboot><on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
      <source file='{work}/disk'/><target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='cdrom'><driver name='qemu' type='raw'/>
      <source file='{work}/disk.config'/><target dev='hdc' bus='ide'/><readonly/></disk>
    <interface type='network'><source network='{net}'/><mac address='{mac}'/>
      <model type='virtio'/></interface>
    <serial type='file'><source path='{work}/console.log'/><target port='0'/></serial>
    <memballoon model='none'/>
  </devices>
</domain>""".format(vt=virt_type, name=name, uuid=server_uuid, img=image_dir, work=work,
                    net=NET, mac=MAC)


def wait_for(path, patterns, dom, timeout):
    """Read the serial log until every regex in `patterns` matched; returns the matches."""
    deadline, found, text = time.time() + timeout, {}, ''
    while time.time() < deadline and len(found) < len(patterns):
        if os.path.exists(path):
            with open(path, errors='replace') as f:
                text = f.read()
        for key, rx in patterns.items():
            m = re.search(rx, text)
            if m:
                found[key] = m
        if not dom.isActive():
            break
        time.sleep(0.1)
    missing = sorted(set(patterns) - set(found))
    assert not missing, 'no %s in the console after %ss:\n%s' % (missing, timeout, text[-3000:])
    return found


@pytest.mark.parametrize('addressing', ['static', 'dhcp'])
def test_demo_image_boots_with_config_drive_and_network(image, demo_image, addressing):
    conn = open_connection('qemu:///system')
    server_uuid = str(uuid.uuid4())
    name = 'nltest-demo-%s' % server_uuid[:8]
    work = '/var/lib/libvirt/images/%s' % name
    meta = {'uuid': server_uuid, 'name': 'demo server', 'hostname': 'nltest-demo',
            'launch_index': 0, 'availability_zone': 'nova', 'meta': {'role': 'test'},
            'keys': [{'name': 'demo', 'type': 'ssh', 'data': 'ssh-ed25519 AAAA demo'}],
            'public_keys': {'demo': 'ssh-ed25519 AAAA demo'}, 'project_id': 'p1'}
    network = {'links': [{'id': 'tap0', 'vif_id': 'port-1', 'type': 'ovs', 'mtu': 1450,
                          'ethernet_mac_address': MAC}],
               'networks': [{'id': 'network0', 'type': 'ipv4', 'link': 'tap0',
                             'ip_address': '10.254.246.20', 'netmask': '255.255.255.0',
                             'routes': [{'network': '0.0.0.0', 'netmask': '0.0.0.0',
                                         'gateway': '10.254.246.1'}],
                             'network_id': 'n1', 'services': []}],
               'services': []}
    if addressing == 'dhcp':  # the address comes from the network's dnsmasq instead
        network['networks'][0] = {'id': 'network0', 'type': 'ipv4_dhcp', 'link': 'tap0',
                                  'network_id': 'n1'}
    user_data = b'#!/bin/sh\necho NOVALITE-TEST-USERDATA-RAN on $(hostname)\n'
    dom = None
    try:
        ln.NetworkManager(conn, NET, 'active', ln.desired_network(NET, cidr='10.254.246.0/24')).run()
        ln.add_dhcp_host(conn, NET, MAC, '10.254.246.20', 'nltest-demo')
        os.makedirs(work)
        config_drive(os.path.join(work, 'disk.config'), {
            'openstack/latest/meta_data.json': json.dumps(meta).encode(),
            'openstack/latest/network_data.json': json.dumps(network).encode(),
            'openstack/latest/user_data': user_data})
        subprocess.check_call(['qemu-img', 'create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b',
                               image['novalite-demo']['location'], os.path.join(work, 'disk')])
        virt_type = resolve_virt_type('auto')[0]
        dom = conn.defineXML(domain_xml(virt_type, name, server_uuid, demo_image['dir'], work))
        dom.create()

        log = os.path.join(work, 'console.log')
        found = wait_for(log, {
            'metadata': r'NOVALITE-METADATA uuid=(\S+) hostname=(\S+) name=([^\r\n]*)',
            'net': r'NOVALITE-NET (\S+) mac=(\S+) ip=(\S+)( dhcp)?\r?\n',
            'userdata': r'NOVALITE-TEST-USERDATA-RAN on (\S+)',
            'disk': r'NOVALITE-DISK vda sectors=2097152',
            'ready': r'NOVALITE-READY'}, dom, BOOT_TIMEOUT)
        assert found['metadata'].groups() == (server_uuid, 'nltest-demo', 'demo server')
        assert found['net'].groups() == ('eth0', MAC, '10.254.246.20/24',
                                         ' dhcp' if addressing == 'dhcp' else None)
        assert found['userdata'].group(1) == 'nltest-demo'

        # graceful shutdown: ACPI power button -> acpid -> poweroff
        dom.shutdown()
        deadline = time.time() + 30
        while dom.isActive() and time.time() < deadline:
            time.sleep(0.2)
        assert not dom.isActive(), 'guest ignored the ACPI power button'
    finally:
        if dom is not None:
            if dom.isActive():
                dom.destroy()
            dom.undefine()
        shutil.rmtree(work, ignore_errors=True)
        ln.NetworkManager(conn, NET, 'absent').run()
        conn.close()
