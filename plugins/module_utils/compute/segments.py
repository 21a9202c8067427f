# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The L2 segment of a network on this hypervisor, as Neutron's linuxbridge agent plugs it.

Network types, Neutron's names (`provider:network_type`):

- `local`: the per-host libvirt network of the catalog (`libvirt_network`), or the host bridge
  a network names (`bridge`): one segment per hypervisor, for a one-host setup. libvirt or the
  operator makes it; nothing here.
- `vxlan` (the default without either): a Linux bridge `brq<network id[:11]>` with
  a VXLAN device `vxlan-<segmentation_id>` in it, `nolearning`, and one all-zeros FDB entry per
  peer hypervisor (`00:00:00:00:00:00 dst <peer>`): unknown unicast, broadcast and multicast
  are flooded to every peer by head-end replication, as the agent does with l2population.
  Every hypervisor of the inventory is a peer, whether it has a port on the network yet or not:
  a host then never needs its peers' entries updated when it gets its first port.
- `flat`: the bridge with the interface that `physical_interface_mappings` gives for the
  network's `physical_network` in it, or the operator's bridge of `bridge_mappings` itself.
- `vlan`: the bridge with the VLAN sub-interface `<interface>.<segmentation_id>` in it.

The plan is computed from what `ip -d -j link` and `bridge -j fdb` report, so that a second
run on a plugged host changes nothing; check mode returns the same plan without running it.
Segments are left in place when their last port goes: an idle bridge costs nothing, and
removing it would race a build that is taking the next first port on this host.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from ansible_collections.novalite.compute.plugins.module_utils.errors import ValidationError

NETWORK_TYPES = ('local', 'vxlan', 'flat', 'vlan')
# IPv4 outer header 20 + UDP 8 + VXLAN 8 + inner Ethernet 14 (Neutron's VXLAN_ENCAP_OVERHEAD
# plus the IP header it adds for the IP version).
VXLAN_OVERHEAD = 50
# Neutron's [DEFAULT] global_physnet_mtu.
PHYSNET_MTU = 1500
VXLAN_PORT = 4789
MAX_VNI = 2 ** 24 - 1
MAX_VLAN = 4094
IFNAMSIZ = 15
BRIDGE_PREFIX = 'brq'   # Neutron's BRIDGE_NAME_PREFIX
NETWORK_ID_LEN = 11    # how much of the network id Neutron's bridge name keeps
VXLAN_PREFIX = 'vxlan-'
FLOOD_MAC = '00:00:00:00:00:00'


def network_type(network):
    """The network's type: given, else `local` with a libvirt network or host bridge, else
    `vxlan`."""
    kind = network.get('network_type') or (
        'local' if network.get('libvirt_network') or network.get('bridge') else 'vxlan')
    if kind not in NETWORK_TYPES:
        raise ValidationError('network_type', 'must be one of %s' % ', '.join(NETWORK_TYPES), kind)
    return kind


def network_mtu(network):
    """The MTU the guest's interface gets: the network's `mtu`, else the physical network's
    MTU, lowered by the VXLAN overhead on a vxlan network (Neutron's network `mtu`)."""
    if network.get('mtu'):
        return int(network['mtu'])
    if network_type(network) == 'vxlan':
        return PHYSNET_MTU - VXLAN_OVERHEAD
    return PHYSNET_MTU if network_type(network) in ('flat', 'vlan') else None


def bridge_name(network):
    """Neutron's bridge name for the network: 'brq' + the first 11 characters of its id."""
    return BRIDGE_PREFIX + str(network['network_id'])[:NETWORK_ID_LEN]


def _segmentation_id(network, highest):
    value = network.get('segmentation_id')
    try:
        value = int(value)
    except (TypeError, ValueError):
        raise ValidationError('segmentation_id', 'is required for a %s network (1 to %d)'
                              % (network_type(network), highest), value)
    if not 1 <= value <= highest:
        raise ValidationError('segmentation_id', 'must be 1 to %d' % highest, str(value))
    return value


def _physical(network, mappings, field):
    physnet = network.get('physical_network')
    if not physnet:
        raise ValidationError('physical_network', 'is required for a %s network'
                              % network_type(network))
    if physnet not in (mappings or {}):
        raise ValidationError(field, 'has no entry for physical network %s of network %s'
                              % (physnet, network.get('network_name') or network['network_id']))
    return mappings[physnet]


def segment(network, local_ip=None, peers=(), interface_mappings=None, bridge_mappings=None):
    """What the network needs on this host: {type, bridge, device, kind, vni|vlan, parent,
    local_ip, peers, mtu}; None for a `local` network (libvirt's own). Errors name the field."""
    kind = network_type(network)
    if kind == 'local':
        return None
    seg = {'type': kind, 'bridge': bridge_name(network), 'device': None, 'mtu': network_mtu(network),
           'managed_bridge': True}
    if kind == 'vxlan':
        vni = _segmentation_id(network, MAX_VNI)
        if not local_ip:
            raise ValidationError('local_ip', 'is required on a host with a vxlan network')
        seg.update(device=VXLAN_PREFIX + str(vni), vni=vni, local_ip=str(local_ip),
                   peers=sorted(set(str(p) for p in peers or []) - {str(local_ip)}))
    elif kind == 'flat':
        if (bridge_mappings or {}).get(network.get('physical_network')):
            seg.update(bridge=bridge_mappings[network['physical_network']], managed_bridge=False)
        else:
            seg['device'] = _physical(network, interface_mappings, 'physical_interface_mappings')
    else:
        vlan = _segmentation_id(network, MAX_VLAN)
        parent = _physical(network, interface_mappings, 'physical_interface_mappings')
        # Neutron's get_subinterface_name shortens too long names the same way: keep the VLAN id.
        seg.update(device=(parent[:IFNAMSIZ - len(str(vlan)) - 1] + '.' + str(vlan)),
                   vlan=vlan, parent=parent)
    return seg


# ---- what the host has ----------------------------------------------------------------------

def parse_links(ip_json):
    """`ip -d -j link show` output -> {ifname: {kind, master, up, mtu, data}}."""
    links = {}
    for link in json.loads(ip_json or '[]'):
        info = link.get('linkinfo') or {}
        links[link['ifname']] = {
            'kind': info.get('info_kind'),
            'master': link.get('master'),
            'up': 'UP' in (link.get('flags') or []),
            'mtu': link.get('mtu'),
            'data': info.get('info_data') or {},
        }
    return links


def parse_flood_peers(fdb_json):
    """The destinations of the all-zeros entries of `bridge -j fdb show dev <vxlan>`."""
    return sorted(set(entry['dst'] for entry in json.loads(fdb_json or '[]')
                      if entry.get('mac') == FLOOD_MAC and entry.get('dst')))


# ---- the plan ------------------------------------------------------------------------------

def _vxlan_matches(link, seg):
    data = link['data']
    return (link['kind'] == 'vxlan' and data.get('id') == seg['vni']
            and data.get('local') == seg['local_ip'] and data.get('port', VXLAN_PORT) == VXLAN_PORT
            and not data.get('learning', False))


def _create_device(seg):
    if seg['type'] == 'vxlan':
        return [['ip', 'link', 'add', seg['device'], 'type', 'vxlan', 'id', str(seg['vni']),
                 'local', seg['local_ip'], 'dstport', str(VXLAN_PORT), 'nolearning']]
    if seg['type'] == 'vlan':
        return [['ip', 'link', 'add', 'link', seg['parent'], 'name', seg['device'], 'type', 'vlan',
                 'id', str(seg['vlan'])]]
    return []  # a flat network's interface is the operator's


def plan(seg, links, flood_peers):
    """The commands (argv lists) that bring the host from `links` (parse_links) and the
    device's current `flood_peers` to `seg`; [] when it is there."""
    commands = []
    bridge = links.get(seg['bridge'])
    if seg['managed_bridge']:
        if bridge is None:
            commands.append(['ip', 'link', 'add', seg['bridge'], 'type', 'bridge'])
        if bridge is None or not bridge['up']:
            commands.append(['ip', 'link', 'set', seg['bridge'], 'up'])
    elif bridge is None or bridge['kind'] != 'bridge':
        raise ValidationError('bridge_mappings', 'bridge %s of physical network does not exist'
                              % seg['bridge'])
    device = seg['device']
    if device is None:
        return commands
    link = links.get(device)
    if link is None and seg['type'] == 'flat':
        raise ValidationError('physical_interface_mappings', 'interface %s does not exist' % device)
    if seg['type'] == 'vlan' and seg['parent'] not in links:
        raise ValidationError('physical_interface_mappings', 'interface %s does not exist'
                              % seg['parent'])
    if link is not None and seg['type'] == 'vxlan' and not _vxlan_matches(link, seg):
        commands.append(['ip', 'link', 'del', device])
        link = None
    if link is None:
        commands.extend(_create_device(seg))
    if seg['type'] == 'vxlan' and (link is None or link['mtu'] != seg['mtu']):
        commands.append(['ip', 'link', 'set', device, 'mtu', str(seg['mtu'])])
    if link is None or link['master'] != seg['bridge']:
        commands.append(['ip', 'link', 'set', device, 'master', seg['bridge']])
    if link is None or not link['up']:
        commands.append(['ip', 'link', 'set', device, 'up'])
    if seg['type'] == 'vxlan':
        have = set(flood_peers if link is not None else [])
        for peer in seg['peers']:
            if peer not in have:
                commands.append(['bridge', 'fdb', 'append', FLOOD_MAC, 'dev', device, 'dst', peer])
        for peer in sorted(have - set(seg['peers'])):
            commands.append(['bridge', 'fdb', 'del', FLOOD_MAC, 'dev', device, 'dst', peer])
    return commands


class SegmentError(Exception):
    """A command that plugs a segment failed."""


def _run(runner, argv):
    rc, out, err = runner(argv)
    if rc != 0:
        raise SegmentError('%s failed (rc %d): %s' % (' '.join(argv), rc, (err or out).strip()))
    return out


def current(runner, seg):
    """(links, flood peers) as the host has them."""
    links = parse_links(_run(runner, ['ip', '-d', '-j', 'link', 'show']))
    peers = []
    if seg.get('device') and seg['type'] == 'vxlan' and seg['device'] in links:
        peers = parse_flood_peers(_run(runner, ['bridge', '-j', 'fdb', 'show', 'dev', seg['device']]))
    return links, peers


def ensure(runner, seg, check_mode=False):
    """Plug the segment `seg` (from segment()) on this host: the commands it ran (or would)."""
    links, peers = current(runner, seg)
    commands = plan(seg, links, peers)
    if not check_mode:
        for argv in commands:
            _run(runner, argv)
    return commands
