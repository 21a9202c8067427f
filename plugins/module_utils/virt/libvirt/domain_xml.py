# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Guest domain XML (Nova's LibvirtConfigGuest) built with lxml, and its managed projection.

`guest_xml(spec)` writes the domain; `managed_fields(xml)` reads back only the fields this
collection decides, from libvirt's normalised inactive XML, so that comparing two domains
never trips over what libvirt adds (addresses, controllers, machine aliases, MACs).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

try:
    from lxml import etree
except ImportError:
    pass  # modules check libvirt_utils.HAS_LXML and fail with missing_required_lib

from ansible_collections.novalite.compute.plugins.module_utils.compute.server_record import (
    record_from_element, record_to_element, ROOT_TAG,
)

DISK_FORMATS = ('qcow2', 'raw')
DISK_DEVICES = ('disk', 'cdrom')
DISK_BUSES = ('virtio', 'ide', 'scsi', 'sata')
CPU_MODES = (None, 'host-model', 'host-passthrough')

SPEC_DEFAULTS = {
    'virt_type': 'qemu', 'cpu_mode': None, 'machine_type': 'pc', 'arch': 'x86_64',
    'kernel': None, 'ramdisk': None, 'cmdline': None, 'disks': [], 'interfaces': [],
    'console_log': None, 'record': None, 'description': None, 'memballoon': 'none',
}
DISK_DEFAULTS = {'format': 'qcow2', 'device': 'disk', 'bus': 'virtio', 'readonly': False}
INTERFACE_DEFAULTS = {'mac': None, 'model': 'virtio', 'network': None, 'bridge': None,
                      'mtu': None, 'target_dev': None}


def _sub(parent, tag, text=None, **attrs):
    elem = etree.SubElement(parent, tag, {k: str(v) for k, v in attrs.items() if v is not None})
    if text is not None:
        elem.text = str(text)
    return elem


def _require(spec, key, where):
    if spec.get(key) in (None, ''):
        raise ValueError('%s: %s is required' % (where, key))
    return spec[key]


def _check_choice(value, choices, field):
    if value not in choices:
        raise ValueError('%s must be one of %s, got %r'
                         % (field, ', '.join(str(c) for c in choices), value))


def _os(root, spec):
    os_elem = _sub(root, 'os')
    _sub(os_elem, 'type', 'hvm', arch=spec['arch'], machine=spec['machine_type'])
    if spec['kernel']:
        _sub(os_elem, 'kernel', spec['kernel'])
        if spec['ramdisk']:
            _sub(os_elem, 'initrd', spec['ramdisk'])
        if spec['cmdline']:
            _sub(os_elem, 'cmdline', spec['cmdline'])
    elif spec['ramdisk'] or spec['cmdline']:
        raise ValueError('ramdisk and cmdline need a kernel')
    _sub(os_elem, 'boot', dev='hd')


def _disk(devices, disk, index):
    where = 'disks[%d]' % index
    disk = dict(DISK_DEFAULTS, **disk)
    _check_choice(disk['format'], DISK_FORMATS, where + '.format')
    _check_choice(disk['device'], DISK_DEVICES, where + '.device')
    _check_choice(disk['bus'], DISK_BUSES, where + '.bus')
    elem = _sub(devices, 'disk', type='file', device=disk['device'])
    _sub(elem, 'driver', name='qemu', type=disk['format'])
    _sub(elem, 'source', file=_require(disk, 'path', where))
    _sub(elem, 'target', dev=_require(disk, 'target_dev', where), bus=disk['bus'])
    if disk['readonly']:
        _sub(elem, 'readonly')


def _interface(devices, iface, index):
    where = 'interfaces[%d]' % index
    iface = dict(INTERFACE_DEFAULTS, **iface)
    if bool(iface['network']) == bool(iface['bridge']):
        raise ValueError('%s: exactly one of network and bridge is required' % where)
    kind = 'network' if iface['network'] else 'bridge'
    elem = _sub(devices, 'interface', type=kind)
    if iface['mac']:
        _sub(elem, 'mac', address=iface['mac'].lower())
    _sub(elem, 'source', **{kind: iface[kind]})
    if iface['target_dev']:
        # a tap name known before the guest starts: the port's filters are in place by then
        _sub(elem, 'target', dev=iface['target_dev'])
    _sub(elem, 'model', type=iface['model'])
    if iface['mtu']:
        _sub(elem, 'mtu', size=int(iface['mtu']))


def _serial(devices, console_log):
    if console_log:
        serial = _sub(devices, 'serial', type='file')
        # append: the console keeps its history across stop/start, as Nova's console.log does.
        _sub(serial, 'source', path=console_log, append='on')
    else:
        serial = _sub(devices, 'serial', type='pty')
    _sub(serial, 'target', port=0)


def guest_xml(spec):
    """The domain XML (str) for `spec` (see SPEC_DEFAULTS and the module docs)."""
    spec = dict(SPEC_DEFAULTS, **spec)
    _check_choice(spec['cpu_mode'], CPU_MODES, 'cpu_mode')
    root = etree.Element('domain', type=_require(spec, 'virt_type', 'domain'))
    _sub(root, 'name', _require(spec, 'name', 'domain'))
    if spec.get('uuid'):
        _sub(root, 'uuid', spec['uuid'])
    if spec['description']:
        _sub(root, 'description', spec['description'])
    if spec['record'] is not None:
        _sub(root, 'metadata').append(record_to_element(spec['record']))
    memory_kib = int(_require(spec, 'memory_mb', 'domain')) * 1024
    _sub(root, 'memory', memory_kib, unit='KiB')
    _sub(root, 'currentMemory', memory_kib, unit='KiB')
    _sub(root, 'vcpu', int(_require(spec, 'vcpus', 'domain')), placement='static')
    _os(root, spec)
    features = _sub(root, 'features')
    _sub(features, 'acpi')
    _sub(features, 'apic')
    if spec['cpu_mode']:
        _sub(root, 'cpu', mode=spec['cpu_mode'])
    _sub(root, 'clock', offset='utc')
    _sub(root, 'on_poweroff', 'destroy')
    _sub(root, 'on_reboot', 'restart')
    _sub(root, 'on_crash', 'destroy')
    devices = _sub(root, 'devices')
    for index, disk in enumerate(spec['disks']):
        _disk(devices, disk, index)
    for index, iface in enumerate(spec['interfaces']):
        _interface(devices, iface, index)
    _serial(devices, spec['console_log'])
    _sub(devices, 'memballoon', model=spec['memballoon'])
    return etree.tostring(root, pretty_print=True, encoding='unicode')


# ---- projection -----------------------------------------------------------------------------

def _attr(root, path, name):
    elem = root.find(path)
    return None if elem is None else elem.get(name)


def _text(root, path):
    elem = root.find(path)
    return None if elem is None else elem.text


def _memory_mb(root):
    elem = root.find('memory')
    if elem is None:
        return None
    factor = {'b': 1.0 / 1048576, 'bytes': 1.0 / 1048576, 'KiB': 1.0 / 1024, 'k': 1.0 / 1024,
              'MiB': 1, 'M': 1, 'GiB': 1024, 'G': 1024}[elem.get('unit', 'KiB')]
    return int(int(elem.text) * factor)


def _disks(root):
    disks = []
    for elem in root.findall('devices/disk'):
        disks.append({
            'target': _attr(elem, 'target', 'dev'),
            'source': _attr(elem, 'source', 'file') or _attr(elem, 'source', 'dev'),
            'format': _attr(elem, 'driver', 'type'),
            'device': elem.get('device', 'disk'),
            'bus': _attr(elem, 'target', 'bus'),
            'readonly': elem.find('readonly') is not None,
        })
    return disks


def _interfaces(root):
    interfaces = []
    for elem in root.findall('devices/interface'):
        mtu = _attr(elem, 'mtu', 'size')
        mac = _attr(elem, 'mac', 'address')
        interfaces.append({
            'mac': mac.lower() if mac else None,
            'network': _attr(elem, 'source', 'network'),
            'bridge': _attr(elem, 'source', 'bridge'),
            'model': _attr(elem, 'model', 'type'),
            'mtu': int(mtu) if mtu else None,
        })
    return interfaces


def _console_log(root):
    for serial in root.findall('devices/serial'):
        if serial.get('type') == 'file':
            return _attr(serial, 'source', 'path')
    return None


def managed_fields(xml_str):
    """The fields this collection manages, from a domain XML (use the inactive XML)."""
    root = etree.fromstring(xml_str.encode('utf-8'))
    vcpu = _text(root, 'vcpu')
    record_elem = root.find('metadata/' + ROOT_TAG)
    return {
        'name': _text(root, 'name'),
        'uuid': _text(root, 'uuid'),
        'type': root.get('type'),
        'vcpus': int(vcpu) if vcpu else None,
        'memory_mb': _memory_mb(root),
        # libvirt writes the default CPU model out as mode='custom'; only the modes this
        # collection sets are managed.
        'cpu_mode': _attr(root, 'cpu', 'mode') if _attr(root, 'cpu', 'mode') in CPU_MODES else None,
        'os': {
            'arch': _attr(root, 'os/type', 'arch'),
            'machine': _attr(root, 'os/type', 'machine'),
            'kernel': _text(root, 'os/kernel'),
            'initrd': _text(root, 'os/initrd'),
            'cmdline': _text(root, 'os/cmdline'),
        },
        'disks': _disks(root),
        'interfaces': _interfaces(root),
        'console_log': _console_log(root),
        'record': None if record_elem is None else record_from_element(record_elem),
    }
