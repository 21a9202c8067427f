# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ports for a new server (Nova's `_allocate_network`, Neutron's IPAM and MAC generation).

There is no Neutron: what is in use on a network is what this hypervisor knows, i.e. the ports
in its servers' records, the ports of in-flight builds (their claims) and the static DHCP
host entries of the libvirt network. Allocation runs under the compute lock, so two builds on
one host never pick the same address.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import itertools
import random
import traceback
import uuid

try:
    import netaddr
except ImportError:
    HAS_NETADDR = False
    NETADDR_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_NETADDR = True
    NETADDR_IMPORT_ERROR = None

from ansible_collections.novalite.compute.plugins.module_utils.compute import segments

# Nova's and Neutron's base MAC: OpenStack's OUI fa:16:3e.
MAC_PREFIX = (0xfa, 0x16, 0x3e)
# Neutron's MAX_WIN: how many of the first free addresses a random choice picks from.
RANDOM_WINDOW = 1000
# Neutron's mac_generation_retries.
MAC_RETRIES = 16
# The tap device name Nova gives a port: 'tap' + the first 11 characters of the port id.
DEVNAME_PREFIX, DEVNAME_ID_LEN = 'tap', 11


class NetworkError(Exception):
    """A port cannot be allocated; `field` names the request field at fault."""

    def __init__(self, field, message):
        self.field = field
        super(NetworkError, self).__init__('%s: %s' % (field, message))


def normalize_mac(mac):
    return str(netaddr.EUI(mac, dialect=netaddr.mac_unix_expanded)).lower()


def random_mac(rng):
    octets = list(MAC_PREFIX) + [rng.randint(0x00, 0xff) for _dummy in range(3)]
    return ':'.join('%02x' % octet for octet in octets)


def generate_mac(used_macs, rng=None):
    """A fa:16:3e MAC not in `used_macs` (normalised strings)."""
    rng = rng or random.SystemRandom()
    for _dummy in range(MAC_RETRIES):
        mac = random_mac(rng)
        if mac not in used_macs:
            return mac
    raise NetworkError('mac', 'no unused MAC address found after %d attempts' % MAC_RETRIES)


def _pools(network, cidr):
    """The allocation pools as IPRanges; the whole subnet (minus network and broadcast) when
    the network defines none, as Neutron does."""
    pools = network.get('allocation_pools') or []
    if pools:
        return [netaddr.IPRange(pool['start'], pool['end']) for pool in pools]
    hosts = list(cidr.iter_hosts())
    return [netaddr.IPRange(hosts[0], hosts[-1])] if hosts else []


def _check_requested_ip(network, field, requested, cidr, used_ips):
    try:
        address = netaddr.IPAddress(requested)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        raise NetworkError(field, '%r is not an IP address' % (requested,))
    name = network.get('network_name') or network.get('network_id')
    if address not in cidr:
        raise NetworkError(field, '%s is not in the subnet %s of network %s' % (address, cidr, name))
    if cidr.size > 2 and address in (cidr.network, cidr.broadcast):
        raise NetworkError(field, '%s is the network or broadcast address of %s' % (address, cidr))
    if address in used_ips:
        raise NetworkError(field, '%s is already in use on network %s' % (address, name))
    return address


def choose_ip(network, used_ips, requested=None, field='fixed_ip', rng=None):
    """A fixed IP (str) on `network` not in `used_ips` (set of netaddr.IPAddress); the
    gateway is always in use. `requested` is honoured or refused with the reason. Otherwise
    the first free address of the pools, or with `rng` (a random.Random) one at random among
    the first RANDOM_WINDOW free addresses of the first pool that has any, as Neutron's IPAM
    picks: requests choosing at the same time then seldom choose the same address."""
    cidr = netaddr.IPNetwork(network['cidr'])
    taken = set(used_ips)
    if network.get('gateway'):
        taken.add(netaddr.IPAddress(network['gateway']))
    if requested:
        return str(_check_requested_ip(network, field, requested, cidr, taken))
    for pool in _pools(network, cidr):
        free = list(itertools.islice((address for address in pool if address not in taken and address in cidr),
                                     RANDOM_WINDOW if rng else 1))
        if free:
            return str(rng.choice(free) if rng else free[0])
    raise NetworkError(field, 'no more IP addresses available on network %s (pools %s)'
                       % (network.get('network_name') or network.get('network_id'),
                          ', '.join(str(p) for p in _pools(network, cidr)) or 'none'))


def _port_addresses(ports, network_id):
    return set(netaddr.IPAddress(p['fixed_ip']) for p in ports
               if p.get('network_id') == network_id and p.get('fixed_ip'))


def _requested_mac(network, used_macs, index):
    """The MAC the controller allocated for the port (fleet database), if this host does
    not use it already."""
    mac = normalize_mac(network['mac'])
    if mac in used_macs:
        raise NetworkError('networks[%d].mac' % index, '%s is already in use on this host' % mac)
    return mac


def allocate_ports(networks, existing_ports, dhcp_entries, rng=None):
    """One port per requested network: {id, network_id, network_name, mac, fixed_ip}; a
    network's `port_id` and `mac`, when the controller allocated them, are kept.

    `existing_ports`: ports of this host's servers and in-flight claims; `dhcp_entries`:
    libvirt network name -> its DHCP host entries [{mac, ip, name}]. MACs are unique among all
    of them; IPs among the ports of the same network and its libvirt network's entries."""
    used_macs = set(normalize_mac(p['mac']) for p in existing_ports if p.get('mac'))
    for entries in dhcp_entries.values():
        used_macs.update(normalize_mac(e['mac']) for e in entries if e.get('mac'))
    ports = []
    for index, network in enumerate(networks):
        field = 'networks[%d].fixed_ip' % index
        used_ips = _port_addresses(list(existing_ports) + ports, network['network_id'])
        entries = dhcp_entries.get(network.get('libvirt_network') or '', [])
        used_ips.update(netaddr.IPAddress(e['ip']) for e in entries if e.get('ip'))
        mac = _requested_mac(network, used_macs, index) if network.get('mac') else generate_mac(used_macs, rng)
        used_macs.add(mac)
        ports.append({
            'id': network.get('port_id') or str(uuid.uuid4()),
            'network_id': network['network_id'],
            'network_name': network.get('network_name'),
            'mac': mac,
            'fixed_ip': choose_ip(network, used_ips, network.get('fixed_ip'), field),
        })
    return ports


def uses_dhcp_entry(network):
    """A port on this network gets a static DHCP host entry on its libvirt network."""
    return bool(network.get('dhcp') and network.get('libvirt_network'))


def devname(port):
    return (DEVNAME_PREFIX + port['id'])[:len(DEVNAME_PREFIX) + DEVNAME_ID_LEN]


def interface_spec(port, network, model, bridge=None):
    """domain_xml's interface entry for a port: on the network's libvirt network, or on
    `bridge` (its segment's, host_network.bridge_of), with the port's tap name."""
    if bridge:
        return {'mac': port['mac'], 'model': model, 'network': None, 'bridge': bridge,
                'mtu': segments.network_mtu(network), 'target_dev': devname(port)}
    return {'mac': port['mac'], 'model': model, 'network': network.get('libvirt_network'),
            'bridge': network.get('bridge'), 'mtu': network.get('mtu'), 'target_dev': devname(port)}


def _network_entry(index, port, network, link_id):
    cidr = netaddr.IPNetwork(network['cidr'])
    entry = {
        'id': 'network%d' % index,
        'type': 'ipv%d' % cidr.version,
        'link': link_id,
        'ip_address': port['fixed_ip'],
        'netmask': str(cidr.netmask),
        'routes': [],
        'network_id': network['network_id'],
        'services': [{'type': 'dns', 'address': dns}
                     for dns in network.get('dns_nameservers') or []],
    }
    if network.get('gateway'):
        default = '0.0.0.0' if cidr.version == 4 else '::'
        entry['routes'].append({'network': default, 'netmask': default,
                                'gateway': network['gateway']})
    return entry


def network_data(ports, networks):
    """network_data.json for the config drive, as nova.virt.netutils.get_network_metadata
    writes it: one link per port, one network per fixed IP, the DNS servers as services."""
    links, nets, services = [], [], []
    for index, (port, network) in enumerate(zip(ports, networks)):
        link_id = devname(port)
        links.append({
            'id': link_id,
            'vif_id': port['id'],
            # A port on a host bridge is Nova's 'bridge' VIF; one on a libvirt network is a
            # plain tap the guest sees as a physical NIC.
            'type': 'bridge' if network.get('bridge') or segments.network_type(network) != 'local'
                    else 'phy',
            # lowered by the encapsulation on a vxlan network: the guest must know
            'mtu': segments.network_mtu(network),
            'ethernet_mac_address': port['mac'],
        })
        entry = _network_entry(index, port, network, link_id)
        nets.append(entry)
        services.extend(s for s in entry['services'] if s not in services)
    return {'links': links, 'networks': nets, 'services': services}
