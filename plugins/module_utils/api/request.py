# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""nova-api's part of creating a server: check the `server` object of a `POST /servers` body
(Nova's JSON schema, then the checks of servers.py `create()` and compute/api.py), run the
create policies, look up the catalog, and build the request spec and per-instance build data.

Shape: one small validator per field family in FIELD_VALIDATORS (type, format, catalog
lookup), then CROSS_CHECKS that need several fields, then the output builders. Every error
is a ValidationError naming the field path (`server.networks[1].fixed_ip`) and the rule.
Nothing here touches a host: the result is plain data for quota_check, select_destinations
and server_build.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import binascii
import random
import re
import string
import unicodedata
import uuid

try:
    import netaddr
except ImportError:
    pass  # modules check network.HAS_NETADDR and fail with missing_required_lib

from ansible_collections.novalite.compute.plugins.module_utils.api import catalog
from ansible_collections.novalite.compute.plugins.module_utils.errors import (
    QuotaExceeded, ValidationError)
from ansible_collections.novalite.compute.plugins.module_utils.api.policy import Enforcer
from ansible_collections.novalite.compute.plugins.module_utils.api import quota

MAX_USERDATA_SIZE = 65535          # schema maxLength of the base64 text
MAX_TAG_COUNT = 50                 # nova.objects.instance.MAX_TAG_COUNT
MAX_INT = 0x7FFFFFFF               # nova.db.MAX_INT, the schema maximum of volume_size
MAX_LOCAL_BLOCK_DEVICES = 3        # nova.conf max_local_block_devices default
# nova.objects.fields.DiskBus.ALL
DISK_BUSES = frozenset(('fdc', 'ide', 'sata', 'scsi', 'usb', 'virtio', 'xen', 'lxc', 'uml'))
MULTI_INSTANCE_NAME_TEMPLATE = '%(name)s-%(count)d'
GIB = 1024 ** 3
BOOLEAN_STRINGS = {
    'True': True, 'TRUE': True, 'true': True, '1': True, 'ON': True, 'On': True, 'on': True,
    'YES': True, 'Yes': True, 'yes': True,
    'False': False, 'FALSE': False, 'false': False, '0': False, 'OFF': False, 'Off': False,
    'off': False, 'NO': False, 'No': False, 'no': False,
}
METADATA_KEY_RE = re.compile(r'^[a-zA-Z0-9-_:. ]{1,255}$')
POSITIVE_INT_RE = re.compile(r'^[0-9]*$')
BOOT_INDEX_RE = re.compile(r'^-?[0-9]+$')
# Nova's pattern, character range `_-r` included (it is how the API has always behaved).
DEVICE_NAME_RE = re.compile(r'^[a-zA-Z0-9._-r/]*$')
BDM_UUID_RE = re.compile(r'^[a-zA-Z0-9._-]*$')
FQDN_RE = re.compile(r'^[a-zA-Z0-9-._]*$')
HINT_CIDR_RE = re.compile(r'^/[0-9a-f.:]+$')
BDM_KEYS = frozenset((
    'source_type', 'destination_type', 'uuid', 'image_id', 'volume_id', 'snapshot_id',
    'boot_index', 'volume_size', 'device_name', 'delete_on_termination', 'guest_format',
    'device_type', 'disk_bus', 'tag', 'volume_type', 'no_device', 'virtual_name',
    'connection_info'))
# legacy block_device_mapping properties the v2 schema still carries: (key, max length)
BDM_LEGACY_STRINGS = (('virtual_name', 255), ('connection_info', 16777215))
NETWORK_KEYS = frozenset(('uuid', 'port', 'fixed_ip', 'tag'))


# --- small checks shared by the validators ------------------------------------------------------

def _printable(text):
    """Nova's valid_name_regex characters: no control/format characters, no line or
    paragraph separators (spaces are fine). Nova builds the regex from the Basic
    Multilingual Plane only (U+0000-U+FFFE), so characters above it are refused too."""
    for char in text:
        cat = unicodedata.category(char)
        if cat[0] == 'C' or (cat[0] == 'Z' and cat != 'Zs') or ord(char) >= 0xFFFF:
            return False
    return True


def check_string(value, field, min_len=0, max_len=255):
    if not isinstance(value, str):
        raise ValidationError(field, 'must be a string')
    if not min_len <= len(value) <= max_len:
        raise ValidationError(field, 'must be %d-%d characters long' % (min_len, max_len))
    return value


def check_name(value, field):
    """parameter_types.name: 1-255 printable characters, no leading/trailing whitespace."""
    check_string(value, field, 1, 255)
    if not _printable(value):
        raise ValidationError(field, 'must contain only printable characters')
    if unicodedata.category(value[0]) == 'Zs' or unicodedata.category(value[-1]) == 'Zs':
        raise ValidationError(field, 'must not have leading or trailing whitespace')
    return value


def check_boolean(value, field):
    """parameter_types.boolean: a JSON boolean or one of Nova's boolean strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in BOOLEAN_STRINGS:
        return BOOLEAN_STRINGS[value]
    raise ValidationError(field, 'must be a boolean (true/false, yes/no, on/off, 1/0)')


def check_positive_int(value, field, minimum=1, maximum=None):
    """parameter_types.positive_integer: an integer or a string of digits, >= minimum (Nova
    applies minimum and maximum to strings of digits too)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValidationError(field, 'must be an integer')
    if isinstance(value, str) and (not value or not POSITIVE_INT_RE.match(value)):
        raise ValidationError(field, 'must be an integer')
    if int(value) < minimum:
        raise ValidationError(field, 'must be >= %d' % minimum)
    if maximum is not None and int(value) > maximum:
        raise ValidationError(field, 'must be <= %d' % maximum)
    return int(value)


def check_uuid(value, field):
    """A uuid in any of the forms oslo's uuidutils.is_uuid_like accepts (braces, urn:uuid:,
    no hyphens, upper case), returned in the canonical form."""
    try:
        parsed = uuid.UUID(value)
        plain = value.replace('urn:', '').replace('uuid:', '').strip('{}').replace('-', '')
    except (AttributeError, TypeError, ValueError):
        parsed = plain = None
    # uuid.UUID lets int() parse the hex, which takes '_' between digits: is_uuid_like does not
    if parsed is None or parsed.hex != plain.lower():
        raise ValidationError(field, 'must be a uuid')
    return str(parsed)


def check_base64(value, field):
    """Nova's base64 format: standard alphabet, padding required; whitespace is ignored."""
    if not isinstance(value, str):
        raise ValidationError(field, 'must be a string')
    try:
        return base64.b64decode(''.join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(field, 'must be valid base64')


def check_ip(value, field, version=None):
    """An IP address (netaddr, strict inet_pton parsing) of the given version if any."""
    if not isinstance(value, str):
        raise ValidationError(field, 'must be a string')
    try:
        address = netaddr.IPAddress(value, flags=netaddr.INET_PTON)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        address = None
    if address is None or (version and address.version != version):
        raise ValidationError(field, 'must be an %s address' % (
            'IPv%d' % version if version else 'IPv4 or IPv6'))
    return address


def check_tag(value, field):
    """parameter_types.tag: 1-60 characters, no '/' or ','."""
    check_string(value, field, 1, 60)
    if '/' in value or ',' in value:
        raise ValidationError(field, "must not contain '/' or ','")
    return value


def check_object(value, field):
    if not isinstance(value, dict):
        raise ValidationError(field, 'must be an object')
    return value


def check_list(value, field):
    if not isinstance(value, list):
        raise ValidationError(field, 'must be a list')
    return value


def check_keys(value, allowed, field):
    """additionalProperties: false."""
    extra = sorted(str(k) for k in value if k not in allowed)
    if extra:
        raise ValidationError('%s.%s' % (field, extra[0]),
                              'is not an allowed property (additional properties are not allowed)')


def sanitize_hostname(hostname, default_name=None):
    """Nova's utils.sanitize_hostname: latin-1 only, spaces, underscores and periods become
    hyphens, other non-word characters go, lower case, no leading/trailing '.'/'-', at most
    63 characters; `default_name` when nothing is left."""
    hostname = hostname.encode('latin-1', 'ignore').decode('latin-1')
    hostname = hostname[:63]
    hostname = re.sub(r'[ _.]', '-', hostname)
    hostname = re.sub(r'[^\w.-]+', '', hostname)
    hostname = hostname.lower().strip('.-')
    if hostname == '' and default_name is not None:
        return default_name[:63]
    return hostname


def parse_availability_zone(value, field='server.availability_zone'):
    """Nova's parse_availability_zone: 'az', 'az:host', 'az:host:node', 'az::node'.
    Returns (zone or None, forced host or None, forced node or None)."""
    host = node = None
    if value and ':' in value:
        count = value.count(':')
        if count == 1:
            value, host = value.split(':')
        elif count == 2 and '::' in value:
            value, node = value.split('::')
        elif count == 2:
            value, host, node = value.split(':')
        else:
            raise ValidationError(field, 'Unable to parse availability_zone')
    return value or None, host or None, node or None


def reservation_id():
    """Nova's utils.generate_uid('r'): 'r-' and 8 random lower-case letters and digits."""
    rng = random.SystemRandom()
    return 'r-' + ''.join(rng.choice(string.ascii_lowercase + string.digits) for _i in range(8))


def instance_names(display_name, instance_uuid, num_instances, index):
    """(display name, hostname) of one instance of a request, as compute/api.py
    `_populate_instance_names`: a suffix '-N' on both when more than one is built."""
    default_hostname = 'Server-%s' % instance_uuid
    if num_instances == 1:
        return display_name, sanitize_hostname(display_name, default_hostname)
    name = MULTI_INSTANCE_NAME_TEMPLATE % {'name': display_name, 'count': index + 1,
                                           'uuid': instance_uuid}
    if sanitize_hostname(display_name) == '':
        return name, default_hostname
    return name, sanitize_hostname(name)


# --- the request being checked ----------------------------------------------------------------

class _Request(object):
    """Everything the validators read (inputs) and record (normalised values)."""

    def __init__(self, server, context, catalog_data, enforcer, limits, zones, servers):
        self.server = server
        self.context = context
        self.project_id = context.get('project_id')
        self.user_id = context.get('user_id')
        self.catalog = catalog_data
        self.enforcer = enforcer
        self.limits = limits
        self.zones = zones
        self.servers = servers
        # servers.py create(): the policy target also carries the requested zone as given
        self.target = {'project_id': self.project_id, 'user_id': self.user_id,
                       'availability_zone': (server.get('availability_zone')
                                             if isinstance(server, dict) else None)}
        self.v = {
            'name': None, 'flavor': None, 'image': None, 'image_ref': None, 'bdms': [],
            'min_count': 1, 'max_count': None, 'networks': None, 'security_groups': ['default'],
            'key': None, 'injected_file_paths': [], 'metadata': {}, 'access_ip_v4': None,
            'access_ip_v6': None, 'config_drive': False, 'description': None, 'tags': [],
            'availability_zone': None, 'forced_host': None, 'forced_node': None,
            'requested_host': None, 'requested_node': None, 'auto_disk_config': None,
            'hints': {}, 'hints_given': {}, 'is_bfv': False, 'root_bdm': None,
            'bdms_given': False, 'networks_given': None,
            'kernel': None, 'ramdisk': None, 'instance_group': None,
        }

    def allowed(self, rule):
        return self.enforcer.check(rule, self.target, self.context)


def _quota_error(field, exc):
    return ValidationError(field, exc.msg)


# --- field validators (one per field family) -------------------------------------------------

def _v_name(req, value, field):
    req.v['name'] = check_name(value, field)


def _v_flavor_ref(req, value, field):
    if isinstance(value, bool) or not isinstance(value, (str, int)) or value == '':
        raise ValidationError(field, 'must be a non-empty string or an integer')
    is_admin = req.allowed('context_is_admin')
    req.v['flavor'] = catalog.flavor(req.catalog, value, field, req.project_id, is_admin)


def _v_image_ref(req, value, field):
    # An empty imageRef means "boot from block_device_mapping_v2"; _x_block_devices checks it.
    if not isinstance(value, str):
        raise ValidationError(field, 'must be a string')
    req.v['image_ref'] = value
    if value:
        req.v['image'] = catalog.image(req.catalog, value, field)


def _v_counts(key):
    def validate(req, value, field):
        req.v[key] = check_positive_int(value, field)
    return validate


def _bdm_schema(item, field):
    """The JSON schema of one block_device_mapping_v2 entry: types, enums and patterns of
    every key present (Nova checks them even on a no_device entry)."""
    check_object(item, field)
    check_keys(item, BDM_KEYS, field)
    enums = (('source_type', ('volume', 'image', 'snapshot', 'blank')),
             ('destination_type', ('local', 'volume')))
    for key, allowed in enums:
        if key in item and item[key] not in allowed:
            raise ValidationError('%s.%s' % (field, key), 'must be one of %s' % ', '.join(allowed))
    if 'uuid' in item:
        check_string(item['uuid'], field + '.uuid', 1, 255)
        if not BDM_UUID_RE.match(item['uuid']):
            raise ValidationError(field + '.uuid', 'must match ^[a-zA-Z0-9._-]*$')
    for key in ('image_id', 'volume_id', 'snapshot_id'):
        if key in item:
            check_uuid(item[key], '%s.%s' % (field, key))
    boot_index = item.get('boot_index')
    if boot_index is not None and (
            isinstance(boot_index, bool) or not isinstance(boot_index, (int, str)) or (
                isinstance(boot_index, str) and not BOOT_INDEX_RE.match(boot_index))):
        raise ValidationError(field + '.boot_index', 'must be an integer or null')
    if 'volume_size' in item:
        check_positive_int(item['volume_size'], field + '.volume_size', maximum=MAX_INT)
    if 'device_name' in item:
        check_string(item['device_name'], field + '.device_name', 1, 255)
        if not DEVICE_NAME_RE.match(item['device_name']):
            raise ValidationError(field + '.device_name',
                                  'must not contain spaces or characters outside [a-zA-Z0-9._-r/]')
    if 'delete_on_termination' in item:
        check_boolean(item['delete_on_termination'], field + '.delete_on_termination')
    _bdm_schema_strings(item, field)


def _bdm_schema_strings(item, field):
    limits = (('guest_format', 255), ('device_type', 255), ('disk_bus', 255)) + BDM_LEGACY_STRINGS
    for key, longest in limits:
        if key in item:
            check_string(item[key], '%s.%s' % (field, key), 0, longest)
    if item.get('volume_type') is not None:         # parameter_types.volume_type: string or null
        check_string(item['volume_type'], field + '.volume_type', 0, 255)
    if 'tag' in item:
        check_tag(item['tag'], field + '.tag')


def _bdm_from_api(req, item, field):
    """BlockDeviceDict.from_api: the device uuid (only `uuid` counts), image -> local only as
    the root of an image boot, volume_type only for a new volume."""
    source = item.get('source_type')
    if source is None:
        raise ValidationError(field + '.source_type', 'is required')
    dest = item.get('destination_type', 'volume' if source in ('volume', 'snapshot') else 'local')
    if source in ('volume', 'snapshot') and dest != 'volume':
        raise ValidationError(field + '.destination_type',
                              'must be volume when source_type is %s' % source)
    ref = item.get('uuid')
    if source == 'blank' and ref:
        raise ValidationError(field + '.uuid', 'Invalid device UUID. (must be absent for blank)')
    if source != 'blank' and not ref:
        raise ValidationError(field + '.uuid', 'Missing device UUID.')
    boot_index = item.get('boot_index')
    boot_index = None if boot_index is None else int(boot_index)
    # the client's own mapping of imageRef: booting image -> local needs both
    if source == 'image' and dest == 'local' and not (
            'imageRef' in req.server and boot_index == 0):
        raise ValidationError(field, 'Mapping image to local is not supported.')
    if item.get('volume_type') and (dest == 'local' or source == 'volume'):
        raise ValidationError(field + '.volume_type', 'Specifying a volume_type with '
                              'destination_type=local is not supported.' if dest == 'local' else
                              'Specifying volume type to existing volume is not supported.')
    return source, dest, ref, boot_index


def _bdm_item(req, item, field):
    """One block_device_mapping_v2 entry: the schema, BlockDeviceDict.from_api, and the
    per-device checks of compute/api.py _validate_bdm. None for a no_device entry, which
    only hides an image-defined mapping (catalog images define none)."""
    _bdm_schema(item, field)
    if item.get('no_device'):
        return None
    source, dest, ref, boot_index = _bdm_from_api(req, item, field)
    size = int(item['volume_size']) if 'volume_size' in item else None
    if source == 'image' and dest == 'volume' and not size:
        raise ValidationError(field + '.volume_size', "Images with destination_type 'volume' "
                              "need to have a non-zero size specified")
    if source == 'blank' and dest == 'volume' and not size:
        raise ValidationError(field + '.volume_size', "Blank volumes (source: 'blank', dest: "
                              "'volume') need to have non-zero size")
    if item.get('disk_bus') and item['disk_bus'] not in DISK_BUSES:
        raise ValidationError(field + '.disk_bus', 'Block Device Mapping is Invalid: Device bus '
                              '%s not supported' % item['disk_bus'])
    image_item = catalog.image(req.catalog, ref, field + '.uuid') if source == 'image' else None
    delete = check_boolean(item['delete_on_termination'], field + '.delete_on_termination') \
        if 'delete_on_termination' in item else dest == 'local'
    return {'source_type': source, 'destination_type': dest, 'uuid': ref,
            'boot_index': boot_index, 'volume_size': size,
            'device_name': item.get('device_name'), 'delete_on_termination': delete,
            'guest_format': item.get('guest_format'), 'image': image_item, 'field': field}


def _v_bdm_v2(req, value, field):
    check_list(value, field)
    req.v['bdms_given'] = bool(value)
    bdms = [_bdm_item(req, item, '%s[%d]' % (field, i)) for i, item in enumerate(value)]
    req.v['bdms'] = [b for b in bdms if b is not None]


def _v_bdm_legacy(req, value, field):
    raise ValidationError(field, 'is not supported; use block_device_mapping_v2')


def _network_entry(net, fixed_ip=None, port_id=None):
    """A requested network with the network's details, as server_build needs them."""
    return {
        'network_id': net['id'], 'network_name': net.get('name'),
        'fixed_ip': fixed_ip, 'port_id': port_id, 'cidr': net.get('cidr'),
        'gateway': net.get('gateway'), 'dns_nameservers': list(net.get('dns_nameservers') or []),
        'allocation_pools': list(net.get('allocation_pools') or []),
        'libvirt_network': net.get('libvirt_network'), 'bridge': net.get('bridge'),
        'dhcp': net.get('dhcp', True), 'mtu': net.get('mtu'),
        # the segment (Neutron's provider attributes), see compute/segments.py
        'network_type': net.get('network_type'), 'segmentation_id': net.get('segmentation_id'),
        'physical_network': net.get('physical_network'),
    }


def _check_fixed_ip(value, net, field):
    """Inside the network's cidr and not its network address (nor, in IPv4, its broadcast
    address), as Neutron's check_subnet_ip; not the gateway; inside an allocation pool when
    the network has pools."""
    address = check_ip(value, field)
    cidr = netaddr.IPNetwork(net['cidr'])
    if address.version != cidr.version or address not in cidr:
        raise ValidationError(field, 'must be inside %s' % cidr)
    if address == cidr.network or (cidr.version == 4 and address == cidr.broadcast):
        raise ValidationError(field, 'must not be the network or broadcast address of %s' % cidr)
    if net.get('gateway') and address == netaddr.IPAddress(net['gateway']):
        raise ValidationError(field, 'must not be the gateway %s' % net['gateway'])
    pools = net.get('allocation_pools') or []
    if pools and not any(address in netaddr.IPRange(p['start'], p['end']) for p in pools):
        raise ValidationError(field, 'must be inside the allocation pools %s'
                              % ', '.join('%s-%s' % (p['start'], p['end']) for p in pools))
    return str(address)


def _check_external(req, net):
    """Neutron's router:external networks, unless shared, need their own policy (Nova checks
    it for every network the server gets)."""
    if net.get('external') and not net.get('shared', True):
        req.enforcer.enforce('network:attach_external_network', req.target, req.context)


def _network_item(req, item, field):
    check_object(item, field)
    check_keys(item, NETWORK_KEYS, field)
    if 'tag' in item:
        check_tag(item['tag'], field + '.tag')
    port_id, fixed_ip = item.get('port'), item.get('fixed_ip')
    if port_id is not None:
        check_uuid(port_id, field + '.port')
        if fixed_ip is not None:
            raise ValidationError(field, "Specified Fixed IP '%s' cannot be used with port '%s': "
                                  "the two cannot be specified together." % (fixed_ip, port_id))
        port = catalog.port(req.catalog, port_id, field + '.port')
        net = catalog.network(req.catalog, port['network_id'], field + '.port', req.project_id)
        _check_external(req, net)
        return _network_entry(net, port.get('fixed_ip'), port_id)
    if 'uuid' not in item:
        raise ValidationError(field + '.uuid', 'is required when no port is given')
    check_string(item['uuid'], field + '.uuid', 1, 255)
    net = catalog.network(req.catalog, item['uuid'], field + '.uuid', req.project_id)
    _check_external(req, net)
    if fixed_ip is not None:
        fixed_ip = _check_fixed_ip(fixed_ip, net, field + '.fixed_ip')
    return _network_entry(net, fixed_ip)


def _v_networks(req, value, field):
    req.v['networks_given'] = value
    if value in ('auto', 'none'):
        req.v['networks'] = value
        return
    if not isinstance(value, list):
        raise ValidationError(field, "must be a list or one of 'auto', 'none'")
    entries = [_network_item(req, item, '%s[%d]' % (field, i)) for i, item in enumerate(value)]
    seen_ports, seen_ips = {}, {}
    for i, entry in enumerate(entries):
        where = '%s[%d]' % (field, i)
        if entry['port_id'] and entry['port_id'] in seen_ports:
            raise ValidationError(where + '.port', 'Port %s is requested more than once'
                                  % entry['port_id'])
        seen_ports[entry['port_id']] = i
        key = (entry['network_id'], entry['fixed_ip'])
        if entry['fixed_ip'] and key in seen_ips:
            raise ValidationError(where + '.fixed_ip', 'Fixed IP %s is requested more than once'
                                  % entry['fixed_ip'])
        seen_ips[key] = i
    req.v['networks'] = entries


def _v_security_groups(req, value, field):
    """Names (or ids) deduplicated; an entry without a name is skipped and an empty list
    means `default`, as servers.py and compute/api.py treat them."""
    check_list(value, field)
    names = []
    for i, item in enumerate(value):
        where = '%s[%d]' % (field, i)
        check_object(item, where)
        check_keys(item, ('name',), where)
        if 'name' not in item:
            continue
        name = check_name(item['name'], where + '.name')
        # 'default' always exists (Neutron makes it per project); others must be in the catalog
        if name != 'default':
            name = catalog.security_group(req.catalog, name, where + '.name')['name']
        if name not in names:
            names.append(name)
    req.v['security_groups'] = names or ['default']


def _v_key_name(req, value, field):
    check_name(value, field)
    req.v['key'] = catalog.keypair(req.catalog, value, req.user_id, field)


def _v_user_data(req, value, field):
    if isinstance(value, str) and len(value) > MAX_USERDATA_SIZE:
        raise ValidationError(field, 'must be at most %d characters of base64 (got %d)'
                              % (MAX_USERDATA_SIZE, len(value)))
    try:
        check_base64(value, field)
    except ValidationError:
        raise ValidationError(field, 'User data needs to be valid base 64.')


def _v_personality(req, value, field):
    check_list(value, field)
    files = []
    for i, item in enumerate(value):
        where = '%s[%d]' % (field, i)
        check_object(item, where)
        check_keys(item, ('path', 'contents'), where)
        for key in ('path', 'contents'):
            if key not in item:
                raise ValidationError('%s.%s' % (where, key), 'is required')
        check_string(item['path'], where + '.path', 0, 1 << 31)
        check_base64(item['contents'], where + '.contents')
        files.append((item['path'], item['contents']))
    try:
        quota.check_injected_files(req.limits, files)
    except QuotaExceeded as exc:
        raise _quota_error(field, exc)
    req.v['injected_file_paths'] = [path for path, _contents in files]


def _v_metadata(req, value, field):
    check_object(value, field)
    for key, item in value.items():
        if not isinstance(key, str) or not METADATA_KEY_RE.match(key):
            raise ValidationError('%s.%s' % (field, key),
                                  'keys must be 1-255 characters of [a-zA-Z0-9-_:. ]')
        check_string(item, '%s.%s' % (field, key), 0, 255)
    try:
        quota.check_metadata_items(req.limits, len(value))
    except QuotaExceeded as exc:
        raise _quota_error(field, exc)
    req.v['metadata'] = dict(value)


def _v_access_ip(version):
    def validate(req, value, field):
        req.v['access_ip_v%d' % version] = str(check_ip(value, field, version))
    return validate


def _v_config_drive(req, value, field):
    req.v['config_drive'] = check_boolean(value, field)


def _v_admin_pass(req, value, field):
    if not isinstance(value, str):
        raise ValidationError(field, 'must be a string')


def _v_return_reservation_id(req, value, field):
    check_boolean(value, field)


def _v_availability_zone(req, value, field):
    check_name(value, field)
    zone, host, node = parse_availability_zone(value, field)
    req.v.update(availability_zone=zone, forced_host=host, forced_node=node)


def _v_requested(key):
    def validate(req, value, field):
        check_string(value, field, 1, 255)
        if not FQDN_RE.match(value):
            raise ValidationError(field, 'must be a host name of [a-zA-Z0-9-._]')
        req.v[key] = value
    return validate


def _v_disk_config(req, value, field):
    if value not in ('AUTO', 'MANUAL'):
        raise ValidationError(field, 'must be one of AUTO, MANUAL')
    req.v['auto_disk_config'] = value == 'AUTO'


def _v_description(req, value, field):
    if value is not None:
        check_string(value, field, 0, 255)
        if not _printable(value):
            raise ValidationError(field, 'must contain only printable characters')
    req.v['description'] = value


def _v_tags(req, value, field):
    check_list(value, field)
    if len(value) > MAX_TAG_COUNT:
        raise ValidationError(field, 'must have at most %d tags' % MAX_TAG_COUNT)
    tags = []
    for i, tag in enumerate(value):
        check_tag(tag, '%s[%d]' % (field, i))
        if tag not in tags:
            tags.append(tag)
    req.v['tags'] = tags


def _v_scheduler_hints(req, value, field):
    req.v['hints_given'][field] = check_object(value, field)


# `server` property -> validator. The keys are also the allowed properties.
FIELD_VALIDATORS = (
    ('name', _v_name),
    ('flavorRef', _v_flavor_ref),
    ('imageRef', _v_image_ref),
    ('block_device_mapping_v2', _v_bdm_v2),
    ('block_device_mapping', _v_bdm_legacy),
    ('min_count', _v_counts('min_count')),
    ('max_count', _v_counts('max_count')),
    ('networks', _v_networks),
    ('security_groups', _v_security_groups),
    ('key_name', _v_key_name),
    ('user_data', _v_user_data),
    ('personality', _v_personality),
    ('metadata', _v_metadata),
    ('accessIPv4', _v_access_ip(4)),
    ('accessIPv6', _v_access_ip(6)),
    ('config_drive', _v_config_drive),
    ('adminPass', _v_admin_pass),
    ('return_reservation_id', _v_return_reservation_id),
    ('availability_zone', _v_availability_zone),
    ('host', _v_requested('requested_host')),
    ('hypervisor_hostname', _v_requested('requested_node')),
    ('OS-DCF:diskConfig', _v_disk_config),
    ('description', _v_description),
    ('tags', _v_tags),
    ('scheduler_hints', _v_scheduler_hints),
)
ALLOWED_FIELDS = frozenset(key for key, _fn in FIELD_VALIDATORS)
REQUIRED_FIELDS = ('name', 'flavorRef')


# --- checks across fields (after every field is valid on its own) ----------------------------

def _x_counts(req):
    v = req.v
    if v['max_count'] is None:
        v['max_count'] = v['min_count']
    if v['min_count'] > v['max_count']:
        raise ValidationError('server.min_count', 'min_count must be <= max_count')


def _root_bdm(bdms):
    roots = [b for b in bdms if b['boot_index'] == 0]
    return roots[0] if roots else None


def _x_block_devices(req):
    """Boot source and block devices: servers.py `_image_from_req_data`, compute/api.py
    `_check_and_transform_bdm` and `_validate_bdm`. Without block_device_mapping_v2 the
    image is the root (Nova's legacy path adds that mapping itself); with it, the request
    must map its own root (boot_index 0), the image too."""
    v, bdms = req.v, req.v['bdms']
    if not v['image_ref'] and not v['bdms_given']:
        raise ValidationError('server.imageRef', 'Missing imageRef attribute')
    if v['image_ref']:
        for b in bdms:
            if b['destination_type'] == 'volume' and re.sub(
                    '^/dev/', '', b['device_name'] or '') == 'vda':
                raise ValidationError(b['field'] + '.device_name', 'The volume cannot be '
                                      'assigned the same device name as the root device vda')
    if v['max_count'] > 1 and any(b['source_type'] == 'volume' for b in bdms):
        raise ValidationError('server.block_device_mapping_v2',
                              'Cannot attach one or more volumes to multiple instances')
    if v['bdms_given']:
        indexes = sorted(b['boot_index'] for b in bdms
                         if b['boot_index'] is not None and b['boot_index'] >= 0)
        if not indexes or indexes != list(range(len(indexes))):
            raise ValidationError('server.block_device_mapping_v2', 'Boot sequence for the '
                                  'instance and image/block device mapping combination is '
                                  'not valid.')
    root = _root_bdm(bdms)
    v['root_bdm'] = root
    v['is_bfv'] = bool(root and root['destination_type'] == 'volume')
    if not v['image_ref'] and root is not None and root['image'] is not None:
        v['image'] = root['image']          # image -> volume (or image -> local) boot
    _check_local_disks(req, bdms)


def _is_swap(bdm):
    return bdm['source_type'] == 'blank' and bdm['destination_type'] == 'local' and \
        bdm['guest_format'] == 'swap'


def _is_ephemeral(bdm):
    return bdm['source_type'] == 'blank' and bdm['destination_type'] == 'local' and \
        bdm['guest_format'] != 'swap'


def _check_local_disks(req, bdms):
    """Blank local disks are ephemeral or swap, bounded by the flavor; the flavor's own
    ephemeral and swap disks (when no mapping replaces them) and the image root of an
    image boot count towards max_local_block_devices with the requested local disks."""
    flavor = req.v['flavor']
    flavor_ephemeral, flavor_swap = int(flavor.get('ephemeral') or 0), int(flavor.get('swap') or 0)
    ephemeral = sum(b['volume_size'] or flavor_ephemeral for b in bdms if _is_ephemeral(b))
    if ephemeral > flavor_ephemeral:
        raise ValidationError('server.block_device_mapping_v2',
                              'Ephemeral disks requested are larger than the instance type '
                              'allows. If no size is given in one block device mapping, '
                              'flavor ephemeral size will be used.')
    swaps = [b for b in bdms if _is_swap(b)]
    if len(swaps) > 1:
        raise ValidationError('server.block_device_mapping_v2', 'More than one swap drive requested.')
    if swaps and (swaps[0]['volume_size'] or 0) > flavor_swap:
        raise ValidationError(swaps[0]['field'] + '.volume_size',
                              'Swap drive requested is larger than instance type allows.')
    local = len([b for b in bdms if b['destination_type'] == 'local'])
    local += int(bool(req.v['image_ref']) and not req.v['bdms_given'])
    local += int(bool(flavor_ephemeral) and not any(_is_ephemeral(b) for b in bdms))
    local += int(bool(flavor_swap) and not swaps)
    if local > MAX_LOCAL_BLOCK_DEVICES:
        raise ValidationError('server.block_device_mapping_v2', 'Block Device Mapping is '
                              'Invalid: You specified more local devices than the limit allows')


def _x_image(req):
    """The image must be active and fit the flavor (compute/api.py _validate_flavor_image)."""
    image, flavor, v = req.v['image'], req.v['flavor'], req.v
    field = 'server.imageRef' if v['image_ref'] else (v['root_bdm'] or {}).get('field', 'server')
    if image is None:
        return
    if image.get('status', 'active') != 'active':
        raise ValidationError(field, 'Image %s is not active.' % image['id'])
    props = image.get('properties') or {}
    if props.get('img_config_drive', 'optional') not in ('optional', 'mandatory'):
        raise ValidationError(field, 'Image\'s config drive option \'%s\' is invalid'
                              % props['img_config_drive'])
    if int(flavor.get('ram') or 0) < int(image.get('min_ram') or 0):
        raise ValidationError('server.flavorRef', "Flavor's memory is too small for requested image.")
    min_disk = int(image.get('min_disk') or 0) * GIB
    if v['is_bfv']:
        size = (v['root_bdm']['volume_size'] or 0) * GIB
        if size and min_disk > size:
            raise ValidationError(v['root_bdm']['field'] + '.volume_size',
                                  'Volume is smaller than the minimum size specified in image '
                                  'metadata. Volume size is %d bytes, minimum size is %d bytes.'
                                  % (size, min_disk))
        return
    _check_flavor_disk(req, image, min_disk)


def _check_flavor_disk(req, image, min_disk):
    root = int(req.v['flavor'].get('disk') or 0) * GIB
    size = int(image.get('size') or 0)
    if root == 0:
        # a zero-disk flavor sizes the root disk from the image: admins only (bug 1739646)
        if not req.allowed('os_compute_api:servers:create:zero_disk_flavor'):
            raise ValidationError('server.flavorRef', 'Only volume-backed servers are allowed '
                                  'for flavors with zero disk.')
        return
    if size > root:
        raise ValidationError('server.flavorRef', "Flavor's disk is too small for requested "
                              "image. Flavor disk is %d bytes, image is %d bytes." % (root, size))
    if min_disk > root:
        raise ValidationError('server.flavorRef', "Flavor's disk is smaller than the minimum "
                              "size specified in image metadata. Flavor disk is %d bytes, "
                              "minimum size is %d bytes." % (root, min_disk))


def _x_kernel_ramdisk(req):
    """Kernel and ramdisk come from the image's properties (compute/api.py
    _handle_kernel_and_ramdisk); 'nokernel' means neither."""
    image = req.v['image']
    props = (image or {}).get('properties') or {}
    kernel_id, ramdisk_id = props.get('kernel_id'), props.get('ramdisk_id')
    if kernel_id == 'nokernel':
        return
    for key, ref in (('kernel', kernel_id), ('ramdisk', ramdisk_id)):
        if ref is None:
            continue
        try:
            item = catalog.image(req.catalog, ref, 'server.imageRef')
        except ValidationError:
            raise ValidationError('server.imageRef', 'image %s has %s_id %s, which is not an '
                                  'image in the catalog' % (image['id'], key, ref))
        req.v[key] = {'id': item['id'], 'location': item.get('location'),
                      'checksum': item.get('checksum')}


def _x_disk_config(req):
    """OS-DCF:diskConfig defaults to the image's auto_disk_config; an image may forbid it."""
    props = (req.v['image'] or {}).get('properties') or {}
    from_image = str(props.get('auto_disk_config', '')).strip().lower()
    if from_image == 'disabled' and req.v['auto_disk_config']:
        raise ValidationError('server.OS-DCF:diskConfig', 'Requested image %s has automatic '
                              'disk resize disabled.' % req.v['image']['id'])
    if req.v['auto_disk_config'] is None:
        req.v['auto_disk_config'] = from_image in ('1', 't', 'true', 'on', 'y', 'yes')


def _available_network(req, auto):
    """No networks asked for (absent, [] or 'auto'): the one network the project can use,
    as Neutron's validate_networks. More than one is ambiguous; with none the server gets
    no network, except that 'auto' then asks for a network to be made, which cannot be done
    here."""
    usable = [n for n in req.catalog.get('networks') or []
              if n.get('shared', True) or n.get('project_id') == req.project_id]
    if len(usable) > 1:
        raise ValidationError('server.networks', 'Multiple possible networks found, use a '
                              'Network ID to be more specific.')
    if not usable and auto:
        raise ValidationError('server.networks', 'Unable to automatically allocate a network '
                              'for project %s' % req.project_id)
    for net in usable:
        _check_external(req, net)
    return [_network_entry(net) for net in usable]


def _addresses_in_use(req):
    """(network name, address) -> who holds it: the servers' addresses, and the catalog's
    ports (a pre-made port holds its address before any server uses it)."""
    names = dict((n.get('id'), n.get('name')) for n in req.catalog.get('networks') or [])
    used = {}
    for port in req.catalog.get('ports') or []:
        if port.get('fixed_ip'):
            used[(names.get(port.get('network_id')), port['fixed_ip'])] = 'port %s' % port['id']
    for server in req.servers or []:
        for net_name, addrs in (server.get('addresses') or {}).items():
            for addr in addrs or []:
                used[(net_name, addr.get('addr'))] = 'instance %s' % server.get('id')
    return used


def _x_networks(req):
    v = req.v
    if v['networks'] == 'none':
        v['networks'] = []
    elif v['networks'] in (None, 'auto', []):
        v['networks'] = _available_network(req, v['networks'] == 'auto')
    # one pass over every server's addresses, only when an address is asked for
    used = _addresses_in_use(req) if any(e['fixed_ip'] for e in v['networks']) else {}
    for i, entry in enumerate(v['networks']):
        where = 'server.networks[%d]' % i
        if v['max_count'] > 1 and entry['port_id']:
            raise ValidationError(where + '.port', 'Unable to launch multiple instances with a '
                                  'single configured port ID. Please launch your instance one '
                                  'by one with different ports.')
        if v['max_count'] > 1 and entry['fixed_ip']:
            raise ValidationError(where + '.fixed_ip', 'max_count cannot be greater than 1 if '
                                  'an fixed_ip is specified.')
        owner = used.get((entry['network_name'], entry['fixed_ip'])) if entry['fixed_ip'] else None
        if owner and entry['port_id']:
            # the port's own address on a server: that server has the port
            if owner.startswith('instance '):
                raise ValidationError(where + '.port', 'Port %s is still in use.'
                                      % entry['port_id'])
        elif owner:
            raise ValidationError(where + '.fixed_ip', 'Fixed IP address %s is already in use '
                                  'on %s.' % (entry['fixed_ip'], owner))


def _x_zone(req):
    v = req.v
    if v['forced_host'] or v['forced_node']:
        req.enforcer.enforce('os_compute_api:servers:create:forced_host', req.target, req.context)
    # Nova skips the zone check when a host is forced (the host decides the zone)
    if v['availability_zone'] and not v['forced_host'] and v['availability_zone'] not in req.zones:
        raise ValidationError('server.availability_zone',
                              'The requested availability zone is not available')
    if v['requested_host'] or v['requested_node']:
        req.enforcer.enforce('compute:servers:create:requested_destination', req.target,
                             req.context)
        if v['forced_host'] or v['forced_node']:
            raise ValidationError('server.host' if v['requested_host'] else
                                  'server.hypervisor_hostname',
                                  'One mechanism with host and/or hypervisor_hostname and '
                                  'another mechanism with zone:host:node are mutually exclusive.')


def _merged_hints(req):
    """The module's `scheduler_hints` and the server's own `scheduler_hints`, which must agree."""
    merged = {}
    for field in ('scheduler_hints', 'server.scheduler_hints'):
        for key, value in (req.v['hints_given'].get(field) or {}).items():
            if key in merged and merged[key] != value:
                raise ValidationError('%s.%s' % (field, key), 'conflicts with the other '
                                      'scheduler_hints value %r' % (merged[key],))
            merged[key] = value
    return merged


def _uuid_list(value, field):
    values = value if isinstance(value, list) else [value]
    if not isinstance(value, (list, str)):
        raise ValidationError(field, 'must be a uuid or a list of uuids')
    return [check_uuid(item, '%s[%d]' % (field, i) if isinstance(value, list) else field)
            for i, item in enumerate(values)]


def _check_hint_values(hints):
    for key in ('same_host', 'different_host'):
        if key in hints:
            hints[key] = _uuid_list(hints[key], 'scheduler_hints.' + key)
    if 'query' in hints and not isinstance(hints['query'], (str, dict)):
        raise ValidationError('scheduler_hints.query', 'must be a string or an object')
    if 'build_near_host_ip' in hints:
        check_ip(hints['build_near_host_ip'], 'scheduler_hints.build_near_host_ip')
    if 'cidr' in hints and not (isinstance(hints['cidr'], str) and HINT_CIDR_RE.match(hints['cidr'])):
        raise ValidationError('scheduler_hints.cidr', 'must match ^/[0-9a-f.:]+$')
    if 'target_cell' in hints:
        check_name(hints['target_cell'], 'scheduler_hints.target_cell')
    cells = hints.get('different_cell')
    if cells is not None and not (isinstance(cells, str) or (
            isinstance(cells, list) and all(isinstance(c, str) for c in cells))):
        raise ValidationError('scheduler_hints.different_cell',
                              'must be a string or a list of strings')


def _group_servers(servers, group_uuid):
    members, hosts = [], []
    for server in quota._live(servers):
        if quota._group_uuid(server) == group_uuid:
            members.append(server.get('id'))
            if server.get('host') and server['host'] not in hosts:
                hosts.append(server['host'])
    return members, hosts


def _x_hints(req):
    hints = _merged_hints(req)
    _check_hint_values(hints)
    if 'group' in hints:
        if not isinstance(hints['group'], str):
            raise ValidationError('scheduler_hints.group', 'must be a server group uuid or name')
        group = catalog.server_group(req.catalog, hints['group'], 'scheduler_hints.group',
                                     req.project_id)
        members, hosts = _group_servers(req.servers, group['uuid'])
        hints['group'] = group['uuid']
        req.v['instance_group'] = {
            'uuid': group['uuid'], 'name': group.get('name'), 'policy': group.get('policy'),
            'rules': dict(group.get('rules') or {}), 'members': members, 'hosts': hosts}
    req.v['hints'] = hints


def _x_attach_policies(req):
    """As servers.py: attach_volume for any block_device_mapping_v2, attach_network for a
    non-empty list of networks or 'auto' (not for an absent or empty list, nor 'none')."""
    v = req.v
    given = v['networks_given']
    if given == 'auto' or (isinstance(given, list) and given):
        req.enforcer.enforce('os_compute_api:servers:create:attach_network', req.target,
                             req.context)
    if v['bdms_given']:
        req.enforcer.enforce('os_compute_api:servers:create:attach_volume', req.target,
                             req.context)


CROSS_CHECKS = (
    _x_counts, _x_block_devices, _x_image, _x_kernel_ramdisk,
    _x_disk_config, _x_networks, _x_zone, _x_hints, _x_attach_policies,
)


# --- output ------------------------------------------------------------------------------------

def _volume_image():
    """The request spec image of a server booted from a volume or snapshot (no Glance image)."""
    return {'id': None, 'name': None, 'min_ram': 0, 'min_disk': 0, 'properties': {},
            'size': 0, 'disk_format': None, 'container_format': None}


def _request_spec(req, uuids, flavor):
    v = req.v
    image = catalog.image_spec(v['image']) if v['image'] else _volume_image()
    return {
        'instance_uuids': uuids, 'num_instances': len(uuids),
        'min_num_instances': v['min_count'], 'flavor': flavor, 'image': image,
        'availability_zone': v['availability_zone'],
        'force_hosts': [v['forced_host']] if v['forced_host'] else [],
        'force_nodes': [v['forced_node']] if v['forced_node'] else [],
        'ignore_hosts': [],
        'requested_destination': ({'host': v['requested_host'], 'node': v['requested_node']}
                                  if v['requested_host'] or v['requested_node'] else None),
        'scheduler_hints': v['hints'], 'instance_group': v['instance_group'],
        'project_id': req.project_id, 'user_id': req.user_id,
        'security_groups': list(v['security_groups']),
        'requested_networks': [{'network_id': n['network_id'], 'fixed_ip': n['fixed_ip'],
                                'port_id': n['port_id']} for n in v['networks']],
        'is_bfv': v['is_bfv'],
    }


def _instance(req, instance_uuid, index, num, resv_id, flavor):
    v = req.v
    name, hostname = instance_names(v['name'], instance_uuid, num, index)
    group = v['instance_group']
    key = v['key']
    return {
        'uuid': instance_uuid, 'name': name, 'hostname': hostname, 'launch_index': index,
        'reservation_id': resv_id, 'project_id': req.project_id, 'user_id': req.user_id,
        'description': v['description'], 'tags': list(v['tags']),
        'availability_zone': v['availability_zone'],
        'key_name': key['name'] if key else None,
        'public_keys': {key['name']: key.get('public_key')} if key else {},
        'metadata': dict(v['metadata']), 'security_groups': list(v['security_groups']),
        # there is no metadata service: the config drive is how a guest learns about itself,
        # as with Nova's force_config_drive = True
        'config_drive': True,
        'access_ip_v4': v['access_ip_v4'], 'access_ip_v6': v['access_ip_v6'],
        'auto_disk_config': v['auto_disk_config'], 'flavor': dict(flavor),
        'image': catalog.image_build(v['image']) if v['image'] else None,
        'kernel': v['kernel'], 'ramdisk': v['ramdisk'],
        'networks': [dict(n) for n in v['networks']],
        'instance_group': ({'uuid': group['uuid'], 'name': group['name'],
                            'policy': group['policy']} if group else None),
        'injected_file_paths': list(v['injected_file_paths']),
    }


# --- entry point -------------------------------------------------------------------------------

def _check_fields(req):
    server = check_object(req.server, 'server')
    check_keys(server, ALLOWED_FIELDS, 'server')
    for key in REQUIRED_FIELDS:
        if key not in server:
            raise ValidationError('server.%s' % key, 'is required')
    for key, validate in FIELD_VALIDATORS:
        if key in server:
            validate(req, server[key], 'server.%s' % key)


def build_request(server, context, catalog_data, scheduler_hints=None, enforcer=None,
                  quotas=None, availability_zones=None, default_availability_zone='nova',
                  servers=None):
    """Validate `server` and return {request_spec, reservation_id, instances}.

    Raises ValidationError (field, rule) or PolicyNotAuthorized; nothing secret (adminPass,
    user_data, personality contents) is copied into the result."""
    for key in ('project_id', 'user_id'):
        if not (context or {}).get(key):
            raise ValidationError('context.%s' % key, 'is required')
    limits = quota.tighter_limits(*quota.resolve_limits(quotas, context['project_id'],
                                                        context['user_id']))
    zones = set(availability_zones or [default_availability_zone])
    req = _Request(server, context, catalog_data or {}, enforcer or Enforcer(), limits, zones,
                   servers or [])
    if scheduler_hints is not None:
        req.v['hints_given']['scheduler_hints'] = check_object(scheduler_hints, 'scheduler_hints')
    # as servers.py create(): the create policy first, before the body is looked into
    req.enforcer.enforce('os_compute_api:servers:create', req.target, req.context)
    _check_fields(req)
    for check in CROSS_CHECKS:
        check(req)
    flavor = catalog.flavor_spec(req.v['flavor'])
    num = req.v['max_count']
    uuids = [str(uuid.uuid4()) for _i in range(num)]
    resv_id = reservation_id()
    return {
        'request_spec': _request_spec(req, uuids, flavor),
        'reservation_id': resv_id,
        'instances': [_instance(req, u, i, num, resv_id, flavor) for i, u in enumerate(uuids)],
    }
