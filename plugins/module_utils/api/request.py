# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""nova-api's part of creating a server: check the `server` object of a `POST /servers` body
(Nova's JSON schema, schema.py, then the checks of servers.py `create()` and compute/api.py),
run the create policies, look up the catalog, and build the request spec and per-instance
build data.

Shape: the schema first (types, formats, patterns of every field), then one small validator
per field family in FIELD_VALIDATORS (normalising, catalog lookup), then CROSS_CHECKS that need
several fields, then the output builders. Every error is a ValidationError naming the field
path (`server.networks[1].fixed_ip`) and the rule. Nothing here touches a host: the result is
plain data for quota_check, select_destinations and server_build.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import random
import re
import string
import uuid

try:
    import netaddr
except ImportError:
    pass  # modules check network.HAS_NETADDR and fail with missing_required_lib

from ansible_collections.novalite.compute.plugins.module_utils.api import catalog
from ansible_collections.novalite.compute.plugins.module_utils.api.naming import instance_names
from ansible_collections.novalite.compute.plugins.module_utils.api import schema
from ansible_collections.novalite.compute.plugins.module_utils.errors import (
    QuotaExceeded, ValidationError)
from ansible_collections.novalite.compute.plugins.module_utils.api.policy import Enforcer
from ansible_collections.novalite.compute.plugins.module_utils.api import quota
from ansible_collections.novalite.compute.plugins.module_utils.uuidutils import is_uuid_like

MAX_LOCAL_BLOCK_DEVICES = 3        # nova.conf max_local_block_devices default
# nova.objects.fields.DiskBus.ALL
DISK_BUSES = frozenset(('fdc', 'ide', 'sata', 'scsi', 'usb', 'virtio', 'xen', 'lxc', 'uml'))
# The most instances one request may ask for when the operator sets no max_count_limit: the
# request is checked against it (and against the quota headroom) before any instance exists.
DEFAULT_MAX_COUNT_LIMIT = 1000
# The body's secrets: checked by check_secrets, never copied into a result.
SECRET_FIELDS = schema.SECRET_FIELDS
GIB = 1024 ** 3
TRUE_STRINGS = frozenset(('True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes'))
# what Nova's RequestSpec keeps of a hint: a list of strings (oslo's String field takes str,
# int and float and turns them into strings; anything else fails there)
HINT_SCALARS = (str, int, float)


# --- small helpers shared by the validators -----------------------------------------------------

def to_bool(value):
    """A value the schema's `boolean` accepted (a JSON boolean or one of Nova's strings)."""
    return value if isinstance(value, bool) else value in TRUE_STRINGS


def canonical_uuid(value):
    """A uuid the schema's `uuid` format accepted, in canonical form."""
    return str(uuid.UUID(value))


def parse_availability_zone(value, field='server.availability_zone'):
    """Nova's parse_availability_zone: 'az', 'az:host', 'az:host:node', 'az::node'.
    Returns (zone or None, forced host, forced node); host and node are None when the value
    has no place for them and '' when their place is empty ('az:'), which Nova tells apart:
    an empty host forces nothing, yet skips the zone check as any given host does."""
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
    return value or None, host, node


def reservation_id():
    """Nova's utils.generate_uid('r'): 'r-' and 8 random lower-case letters and digits."""
    rng = random.SystemRandom()
    return 'r-' + ''.join(rng.choice(string.ascii_lowercase + string.digits) for _i in range(8))


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


# --- field validators (one per field family; the schema has checked each value's shape) -------

def _v_name(req, value, field):
    # servers.py create(): common.normalize_name, which strips (the schema lets a final
    # newline through)
    req.v['name'] = value.strip()


def _v_flavor_ref(req, value, field):
    is_admin = req.allowed('context_is_admin')
    req.v['flavor'] = catalog.flavor(req.catalog, value, field, req.project_id, is_admin)


def _v_image_ref(req, value, field):
    # An empty imageRef means "boot from block_device_mapping_v2"; _x_block_devices checks it.
    req.v['image_ref'] = value
    if value:
        req.v['image'] = catalog.image(req.catalog, value, field)


def _v_counts(key):
    def validate(req, value, field):
        # servers.py: int(); the schema let through integers, 1.0 included, and digit strings
        req.v[key] = int(value)
    return validate


def _bdm_from_api(req, item, field):
    """BlockDeviceDict.from_api: the device uuid (only `uuid` counts), image -> local only as
    the root of a request with an imageRef, volume_type only for a new volume. Nova does not
    default destination_type: a mapping without one is neither local nor volume."""
    source = item.get('source_type')
    if source is None:
        raise ValidationError(field + '.source_type', 'is required')
    dest = item.get('destination_type')
    if source in ('volume', 'snapshot') and dest == 'local':
        raise ValidationError(field + '.destination_type',
                              'must be volume when source_type is %s' % source)
    ref = item.get('uuid')
    if source == 'blank' and ref:
        raise ValidationError(field + '.uuid', 'Invalid device UUID. (must be absent for blank)')
    if source != 'blank' and not ref:
        raise ValidationError(field + '.uuid', 'Missing device UUID.')
    boot_index = item.get('boot_index')
    boot_index = None if boot_index is None else int(boot_index)
    # servers.py: image_uuid_specified=image_ref not in {None, ''}
    if source == 'image' and dest == 'local' and not (
            req.server.get('imageRef') and boot_index == 0):
        raise ValidationError(field, 'Mapping image to local is not supported.')
    if source in ('volume', 'snapshot') and boot_index == 0 and dest != 'volume':
        # Nova's API lets it through as a server that is not volume-backed, whose compute
        # host then has neither an image nor an attachable volume to boot from
        raise ValidationError(field + '.destination_type', 'must be volume for a boot mapping '
                              'whose source_type is %s' % source)
    if item.get('volume_type') and (dest == 'local' or source == 'volume'):
        raise ValidationError(field + '.volume_type', 'Specifying a volume_type with '
                              'destination_type=local is not supported.' if dest == 'local' else
                              'Specifying volume type to existing volume is not supported.')
    return source, dest, ref, boot_index


def _bdm_item(req, item, field):
    """One block_device_mapping_v2 entry: BlockDeviceDict.from_api, and the per-device checks
    of compute/api.py _validate_bdm. None for a no_device entry, which only hides an
    image-defined mapping (catalog images define none)."""
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
    delete = to_bool(item['delete_on_termination']) if 'delete_on_termination' in item \
        else dest == 'local'
    return {'source_type': source, 'destination_type': dest, 'uuid': ref,
            'boot_index': boot_index, 'volume_size': size,
            'device_name': item.get('device_name'), 'delete_on_termination': delete,
            'guest_format': item.get('guest_format'), 'image': image_item, 'field': field}


def _v_bdm_v2(req, value, field):
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
    address = netaddr.IPAddress(value)
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
    port_id, fixed_ip = item.get('port'), item.get('fixed_ip')
    if port_id is not None:
        port_id = canonical_uuid(port_id)
        if fixed_ip is not None:
            raise ValidationError(field, "Specified Fixed IP '%s' cannot be used with port '%s': "
                                  "the two cannot be specified together." % (fixed_ip, port_id))
        port = catalog.port(req.catalog, port_id, field + '.port')
        net = catalog.network(req.catalog, port['network_id'], field + '.port', req.project_id)
        _check_external(req, net)
        return _network_entry(net, port.get('fixed_ip'), port_id)
    if 'uuid' not in item:
        raise ValidationError(field + '.uuid', 'is required when no port is given')
    net = catalog.network(req.catalog, item['uuid'], field + '.uuid', req.project_id)
    _check_external(req, net)
    if fixed_ip is not None:
        fixed_ip = _check_fixed_ip(fixed_ip, net, field + '.fixed_ip')
    return _network_entry(net, fixed_ip)


def _v_networks(req, value, field):
    """The same port twice is refused (servers.py); the same fixed IP twice is not: Nova
    leaves it to Neutron."""
    req.v['networks_given'] = value
    if value in ('auto', 'none'):
        req.v['networks'] = value
        return
    entries = [_network_item(req, item, '%s[%d]' % (field, i)) for i, item in enumerate(value)]
    seen_ports = set()
    for i, entry in enumerate(entries):
        if entry['port_id'] and entry['port_id'] in seen_ports:
            raise ValidationError('%s[%d].port' % (field, i), 'Port %s is requested more than '
                                  'once' % entry['port_id'])
        seen_ports.add(entry['port_id'])
    req.v['networks'] = entries


def _v_security_groups(req, value, field):
    """Names (or ids) deduplicated; an entry without a name is skipped and an empty list
    means `default`, as servers.py and compute/api.py treat them."""
    names = []
    for i, item in enumerate(value):
        if 'name' not in item:
            continue
        name = item['name']
        # 'default' always exists (Neutron makes it per project); others must be in the catalog
        if name != 'default':
            name = catalog.security_group(req.catalog, name, '%s[%d].name' % (field, i))['name']
        if name not in names:
            names.append(name)
    req.v['security_groups'] = names or ['default']


def _v_key_name(req, value, field):
    req.v['key'] = catalog.keypair(req.catalog, value, req.user_id, field)


def check_secrets(secrets):
    """Check the body's secret fields {adminPass, user_data, personality} (any may be
    absent) with Nova's schema. Returns the injected files' paths and content lengths, the
    only things the rest of the request needs from them; nothing secret comes back."""
    schema.validate_secrets(secrets)
    return [{'path': item['path'], 'contents_length': len(item['contents'])}
            for item in secrets.get('personality') or []]


def split_secrets(server, options=None):
    """(the server without its secrets, the secrets): the body's own secret fields, each
    overridden by the same secret given as an option (admin_pass, user_data, personality)."""
    if not isinstance(server, dict):
        return server, {}
    rest = dict((k, v) for k, v in server.items() if k not in SECRET_FIELDS)
    secrets = dict((k, v) for k, v in server.items() if k in SECRET_FIELDS)
    for option, key in (('admin_pass', 'adminPass'), ('user_data', 'user_data'),
                        ('personality', 'personality')):
        if (options or {}).get(option) is not None:
            secrets[key] = options[option]
    return rest, secrets


def _v_metadata(req, value, field):
    try:
        quota.check_metadata_items(req.limits, len(value))
    except QuotaExceeded as exc:
        raise _quota_error(field, exc)
    req.v['metadata'] = dict(value)


def _v_access_ip(version):
    def validate(req, value, field):
        req.v['access_ip_v%d' % version] = str(netaddr.IPAddress(value))
    return validate


def _v_config_drive(req, value, field):
    req.v['config_drive'] = to_bool(value)


def _v_availability_zone(req, value, field):
    zone, host, node = parse_availability_zone(value, field)
    req.v.update(availability_zone=zone, forced_host=host, forced_node=node)


def _v_requested(key):
    def validate(req, value, field):
        req.v[key] = value
    return validate


def _v_disk_config(req, value, field):
    req.v['auto_disk_config'] = value == 'AUTO'


def _v_description(req, value, field):
    req.v['description'] = value


def _v_tags(req, value, field):
    tags = []
    for tag in value:
        if tag not in tags:
            tags.append(tag)
    req.v['tags'] = tags


def _v_scheduler_hints(req, value, field):
    req.v['hints_given'][field] = value


# `server` property -> what is done with it once the schema has accepted the body
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
    ('metadata', _v_metadata),
    ('accessIPv4', _v_access_ip(4)),
    ('accessIPv6', _v_access_ip(6)),
    ('config_drive', _v_config_drive),
    ('availability_zone', _v_availability_zone),
    ('host', _v_requested('requested_host')),
    ('hypervisor_hostname', _v_requested('requested_node')),
    ('OS-DCF:diskConfig', _v_disk_config),
    ('description', _v_description),
    ('tags', _v_tags),
    ('scheduler_hints', _v_scheduler_hints),
)


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
    if v['is_bfv']:
        if int(flavor.get('ram') or 0) < int(image.get('min_ram') or 0):
            raise ValidationError('server.flavorRef', "Flavor's memory is too small for requested image.")
        min_disk = int(image.get('min_disk') or 0) * GIB
        size = (v['root_bdm']['volume_size'] or 0) * GIB
        if size and min_disk > size:
            raise ValidationError(v['root_bdm']['field'] + '.volume_size',
                                  'Volume is smaller than the minimum size specified in image '
                                  'metadata. Volume size is %d bytes, minimum size is %d bytes.'
                                  % (size, min_disk))
        return
    check_flavor_image(int(flavor.get('ram') or 0), int(flavor.get('disk') or 0), image)
    # a zero-disk flavor sizes the root disk from the image: admins only (bug 1739646)
    if int(flavor.get('disk') or 0) == 0 and not req.allowed(
            'os_compute_api:servers:create:zero_disk_flavor'):
        raise ValidationError('server.flavorRef', 'Only volume-backed servers are allowed '
                              'for flavors with zero disk.')


def check_flavor_image(memory_mb, root_gb, image, field='server.flavorRef'):
    """Nova's `_validate_flavor_image_nostatus` for an image-backed server: the flavor's
    memory and root disk hold the image's min_ram, size and min_disk (a zero root disk is
    sized from the image). ValidationError on `field` with Nova's message."""
    if memory_mb < int(image.get('min_ram') or 0):
        raise ValidationError(field, "Flavor's memory is too small for requested image.")
    root = root_gb * GIB
    if root == 0:
        return
    size, min_disk = int(image.get('size') or 0), int(image.get('min_disk') or 0) * GIB
    if size > root:
        raise ValidationError(field, "Flavor's disk is too small for requested "
                              "image. Flavor disk is %d bytes, image is %d bytes." % (root, size))
    if min_disk > root:
        raise ValidationError(field, "Flavor's disk is smaller than the minimum "
                              "size specified in image metadata. Flavor disk is %d bytes, "
                              "minimum size is %d bytes." % (root, min_disk))


def _x_kernel_ramdisk(req):
    """Kernel and ramdisk come from the image's properties (catalog.boot_images)."""
    req.v.update(catalog.boot_images(req.catalog, req.v['image'], 'server.imageRef'))


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
    # compute/api.py create(): no zone check once a host is given, even an empty one ('az:')
    if v['availability_zone'] and v['forced_host'] is None and \
            v['availability_zone'] not in req.zones:
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
    """same_host and different_host as a list of canonical uuids. A lone same_host string
    must be a uuid too (Nova's schema checks only the items of a list)."""
    if isinstance(value, list):
        return [canonical_uuid(item) for item in value]
    if not is_uuid_like(value):
        raise ValidationError(field, 'must be a uuid')
    return [canonical_uuid(value)]


def _check_hint_values(hints):
    """What the schema leaves: Nova's RequestSpec keeps every hint as a list of strings, so a
    value that is not a string or number, or a list of them, fails there (a `query` object
    too, which the schema lets by)."""
    for key, value in hints.items():
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(item, HINT_SCALARS) for item in items):
            raise ValidationError('scheduler_hints.%s' % key, 'must be a string or a number, or '
                                  'a list of them (hints are kept as lists of strings)')
    for key in ('same_host', 'different_host'):
        if key in hints:
            hints[key] = _uuid_list(hints[key], 'scheduler_hints.' + key)


def _group_servers(servers, group_uuid):
    """The group's live members and their hosts, in one pass (quota._live and
    quota._group_uuid inlined: this runs over every server of the cloud)."""
    members, hosts, seen = [], [], set()
    for server in servers:
        server_id = server.get('id')
        if server.get('vm_state') == 'deleted' or server_id in seen:
            continue
        seen.add(server_id)
        group = server.get('instance_group')
        if (group.get('uuid') if isinstance(group, dict) else group) == group_uuid:
            members.append(server_id)
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
                                     req.project_id, req.allowed('context_is_admin'))
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
        # What a later move schedules with (Nova persists the RequestSpec at create): the
        # zone asked for, None when none was. `availability_zone` above becomes the host's
        # zone when none was asked (conductor/manager.assignments); this one stays.
        'request_spec': stored_request_spec(v['availability_zone']),
    }


def stored_request_spec(availability_zone):
    """The part of a create's request spec the server record keeps for a resize (Nova's
    RequestSpec.availability_zone: the zone the user asked for; this collection has no
    `default_schedule_zone`, so a server that asked for none keeps None and may move to any
    zone)."""
    return {'availability_zone': availability_zone or None}


# --- entry point -------------------------------------------------------------------------------

def _check_fields(req):
    schema.validate_create(req.server, req.v['hints_given'].get('scheduler_hints'))
    for key, validate in FIELD_VALIDATORS:
        if key in req.server:
            validate(req, req.server[key], 'server.%s' % key)


def _check_injected_files(req, files):
    """The injected files' count, path and content lengths against the quota (Nova's
    _check_injected_file_quota), from [{path, contents_length}]."""
    try:
        quota.check_injected_files(req.limits, [(f['path'], f['contents_length']) for f in files])
    except QuotaExceeded as exc:
        raise _quota_error('server.personality', exc)
    req.v['injected_file_paths'] = [f['path'] for f in files]


def _instances_allowed(req, scoped_limits, flavor, max_count_limit):
    """How many instances to build, decided before any exists: max_count within the
    operator's max_count_limit, then cut to the quota headroom as compute/api.py
    _check_num_instances_quota does (at least min_count must fit). Constant memory: the
    existing servers are counted, nothing of the request is materialised."""
    v = req.v
    if max_count_limit is not None and v['max_count'] > max_count_limit:
        raise ValidationError('server.max_count', 'must be <= %d, the most instances one '
                              'request may ask for (max_count_limit)' % max_count_limit)
    project_limits, user_limits = scoped_limits
    usage = quota.count_usage(req.servers, req.project_id, req.user_id)
    try:
        return quota.check_num_instances(flavor, v['min_count'], v['max_count'],
                                         {'project': project_limits, 'user': user_limits}, usage)
    except QuotaExceeded as exc:
        raise _quota_error('server.max_count', exc)


def build_request(server, context, catalog_data, scheduler_hints=None, enforcer=None,
                  quotas=None, availability_zones=None, default_availability_zone='nova',
                  servers=None, injected_files=None, max_count_limit=DEFAULT_MAX_COUNT_LIMIT):
    """Validate `server` and return {request_spec, reservation_id, instances}.

    The body's secrets (adminPass, user_data, personality) are checked by check_secrets and
    never copied into the result; `injected_files` ([{path, contents_length}]) stands for a
    personality checked before (the server_request action's). At most the instances that
    max_count_limit and the quota headroom allow are made. Raises ValidationError (field,
    rule) or PolicyNotAuthorized."""
    for key in ('project_id', 'user_id'):
        if not (context or {}).get(key):
            raise ValidationError('context.%s' % key, 'is required')
    scoped_limits = quota.resolve_limits(quotas, context['project_id'], context['user_id'])
    limits = quota.tighter_limits(*scoped_limits)
    zones = set(availability_zones or [default_availability_zone])
    body, secrets = split_secrets(server)
    req = _Request(body, context, catalog_data or {}, enforcer or Enforcer(), limits, zones,
                   servers or [])
    if scheduler_hints is not None:
        req.v['hints_given']['scheduler_hints'] = scheduler_hints
    # as servers.py create(): the create policy first, before the body is looked into
    req.enforcer.enforce('os_compute_api:servers:create', req.target, req.context)
    files = check_secrets(secrets)
    _check_fields(req)
    _check_injected_files(req, files if 'personality' in secrets else injected_files or [])
    for check in CROSS_CHECKS:
        check(req)
    flavor = catalog.flavor_spec(req.v['flavor'])
    num = _instances_allowed(req, scoped_limits, flavor, max_count_limit)
    uuids = [str(uuid.uuid4()) for _i in range(num)]
    resv_id = reservation_id()
    return {
        'request_spec': _request_spec(req, uuids, flavor),
        'reservation_id': resv_id,
        'instances': [_instance(req, u, i, num, resv_id, flavor) for i, u in enumerate(uuids)],
    }
