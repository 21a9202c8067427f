# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

import uuid

import libvirt
import pytest
from lxml import etree

from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt import domain_xml as dx
from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record as sr

from libvirt_fixtures import connect_test_driver
from libvirt_helpers import unique_name
from libvirt_helpers import remove_domain


def guest_spec(name, **over):
    spec = {
        'name': name, 'uuid': str(uuid.uuid4()), 'virt_type': 'qemu', 'vcpus': 2,
        'memory_mb': 192, 'cpu_mode': None, 'machine_type': 'pc', 'arch': 'x86_64',
        'kernel': '/srv/i/kernel', 'ramdisk': '/srv/i/ramdisk', 'cmdline': 'console=ttyS0 panic=-1',
        'disks': [
            {'path': '/srv/i/disk', 'format': 'qcow2', 'device': 'disk', 'bus': 'virtio',
             'target_dev': 'vda', 'readonly': False},
            {'path': '/srv/i/disk.config', 'format': 'raw', 'device': 'cdrom', 'bus': 'ide',
             'target_dev': 'hdc', 'readonly': True},
        ],
        'interfaces': [
            {'mac': 'FA:16:3E:00:00:01', 'model': 'virtio', 'network': 'default',
             'bridge': None, 'mtu': None},
            {'mac': 'fa:16:3e:00:00:02', 'model': 'virtio', 'network': None,
             'bridge': 'br-nltest', 'mtu': 1400},
        ],
        'console_log': '/srv/i/console.log',
        'record': sr.new_record(uuid='u-1', name='web', metadata={'hw:x': 'y'}),
        'description': 'web server',
    }
    spec.update(over)
    return spec


def test_guest_xml_structure():
    root = etree.fromstring(dx.guest_xml(guest_spec('nltest-s')).encode())
    assert root.get('type') == 'qemu'
    assert root.findtext('memory') == str(192 * 1024)
    assert root.find('features/acpi') is not None
    assert root.find('cpu') is None  # the default CPU model is what works under TCG
    assert [root.findtext(t) for t in ('on_poweroff', 'on_reboot', 'on_crash')] == \
        ['destroy', 'restart', 'destroy']
    assert root.find('devices/memballoon').get('model') == 'none'
    serial = root.find('devices/serial')
    assert serial.get('type') == 'file'
    assert serial.find('source').get('path') == '/srv/i/console.log'
    assert root.find('devices/console') is None
    assert root.find('devices/interface/mac').get('address') == 'fa:16:3e:00:00:01'
    assert root.find('metadata/{%s}server' % sr.NAMESPACE) is not None


def test_cpu_mode_and_pty_console():
    root = etree.fromstring(dx.guest_xml(guest_spec(
        'nltest-c', cpu_mode='host-passthrough', console_log=None)).encode())
    assert root.find('cpu').get('mode') == 'host-passthrough'
    assert root.find('devices/serial').get('type') == 'pty'


@pytest.mark.parametrize('over, message', [
    ({'cpu_mode': 'custom'}, 'cpu_mode must be one of'),
    ({'kernel': None}, 'ramdisk and cmdline need a kernel'),
    ({'vcpus': None}, 'vcpus is required'),
    ({'disks': [{'path': '/x', 'target_dev': 'vda', 'bus': 'usb'}]}, r'disks\[0\]\.bus'),
    ({'disks': [{'target_dev': 'vda'}]}, r'disks\[0\]: path is required'),
    ({'interfaces': [{'network': 'a', 'bridge': 'b'}]}, r'interfaces\[0\]: exactly one'),
])
def test_invalid_specs_name_the_field(over, message):
    with pytest.raises(ValueError, match=message):
        dx.guest_xml(guest_spec('nltest-bad', **over))


@pytest.fixture
def conn():
    return connect_test_driver()


def test_defined_guest_reads_back_the_same_managed_fields(conn):
    name = unique_name('xml')
    spec = guest_spec(name)
    xml_str = dx.guest_xml(spec)
    try:
        dom = conn.defineXML(xml_str)
        inactive = dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
        assert dx.managed_fields(inactive) == dx.managed_fields(xml_str)
        fields = dx.managed_fields(inactive)
        assert fields['uuid'] == spec['uuid']
        assert fields['memory_mb'] == 192 and fields['vcpus'] == 2
        assert fields['disks'][1] == {'target': 'hdc', 'source': '/srv/i/disk.config',
                                      'format': 'raw', 'device': 'cdrom', 'bus': 'ide',
                                      'readonly': True}
        assert fields['interfaces'][1] == {'mac': 'fa:16:3e:00:00:02', 'network': None,
                                           'bridge': 'br-nltest', 'model': 'virtio', 'mtu': 1400}
        assert fields['record'] == spec['record']
        assert sr.read_record(dom) == spec['record']
    finally:
        remove_domain(conn, name)


def test_managed_fields_ignore_what_libvirt_adds():
    base = dx.guest_xml(guest_spec('nltest-n', uuid='00000000-0000-4000-8000-000000000001'))
    root = etree.fromstring(base.encode())
    etree.SubElement(root.find('devices'), 'controller', type='usb')
    etree.SubElement(root.find('devices/disk'), 'address', type='pci', slot='0x03')
    root.find('memory').set('unit', 'MiB')
    root.find('memory').text = '192'
    etree.SubElement(root, 'cpu', mode='custom')
    assert dx.managed_fields(etree.tostring(root, encoding='unicode')) == dx.managed_fields(base)


def test_managed_fields_see_a_changed_disk():
    spec = guest_spec('nltest-d', uuid='00000000-0000-4000-8000-000000000002')
    other = guest_spec('nltest-d', uuid=spec['uuid'])
    other['disks'][0]['path'] = '/srv/i/other'
    assert dx.managed_fields(dx.guest_xml(spec)) != dx.managed_fields(dx.guest_xml(other))


def test_interface_target_dev_names_the_tap():
    spec = guest_spec('nltest-t')
    spec['interfaces'][1] = dict(spec['interfaces'][1], target_dev='tapfeedbeef-01')
    root = etree.fromstring(dx.guest_xml(spec).encode())
    first, second = root.findall('devices/interface')
    assert first.find('target') is None
    assert second.find('target').get('dev') == 'tapfeedbeef-01'
