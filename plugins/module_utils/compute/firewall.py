# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Security groups enforced on the ports of this hypervisor, with nftables (Neutron's
firewall driver: `iptables_firewall.py` / `openvswitch_firewall/`; Nova's
`prepare_instance_filter`/`apply_instance_filter`).

The rule model is Neutron's security group rule: `direction` (ingress | egress), `ethertype`
(IPv4 | IPv6), `protocol` (name or number, none for any), `port_range_min`/`port_range_max`
(ICMP type and code for ICMP), `remote_ip_prefix` or `remote_group_id`. Every group also has
Neutron's default rules (egress to anywhere, IPv4 and IPv6) and the group named `default` the
ingress from its own members (securitygroups_db's `_create_default_security_group`), unless
the catalog group says `default_rules: false`. What no rule allows is dropped.

How it is enforced, in one ruleset applied atomically (`nft -f`):

- `table bridge novalite`: frames a port sends go through its `from_<n>` chain (forward and
  input hooks): only its own MAC, ARP of its own MAC and fixed IPs, IP from its fixed IPs
  (plus 0.0.0.0 for a DHCP request, its EUI-64 link-local address for IPv6), no DHCP server
  replies nor IPv6 router advertisements, no other ethertypes: anti-spoofing, stateless. The
  chain then marks the frame with the port's number, and a frame to a port gets that port's
  number in a second field of the mark.
- `table inet novalite`: bridged IP traffic reaches the inet hooks through br_netfilter
  (bridge-nf-call-iptables), where conntrack runs: established and related packets pass
  (stateful: replies are allowed), invalid ones are dropped, and a new flow goes through the
  sending port's egress chain and the receiving port's ingress chain, chosen by the mark.
  The kernel's bridge family has no conntrack of its own everywhere (nf_conntrack_bridge is an
  option many kernels leave out), hence the mark handed over to the inet family.

Remote groups are sets of the members' fixed IPs across the fleet, given by the controller
and completed with this host's own ports; re-rendering after a membership change and applying
only when the text differs keeps the refresh idempotent. Conntrack entries outlive the
ruleset's replacement, so existing flows are not cut by a refresh.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.novalite.compute.plugins.module_utils.compute import layout
from ansible_collections.novalite.compute.plugins.module_utils.compute.network import HAS_NETADDR
from ansible_collections.novalite.compute.plugins.module_utils.errors import ValidationError

if HAS_NETADDR:
    import netaddr  # modules check network.HAS_NETADDR

TABLE = 'novalite'
DIRECTIONS = ('ingress', 'egress')
ETHERTYPES = ('IPv4', 'IPv6')
# Neutron's protocol names (constants.IP_PROTOCOL_MAP), the ones with ports first.
PORT_PROTOCOLS = {'tcp': 6, 'udp': 17, 'sctp': 132, 'dccp': 33, 'udplite': 136}
PROTOCOLS = dict(PORT_PROTOCOLS, icmp=1, icmpv6=58, **{'ipv6-icmp': 58, 'gre': 47, 'esp': 50,
                                                       'ah': 51, 'igmp': 2, 'ospf': 89,
                                                       'vrrp': 112})
ICMP_NUMBERS = (1, 58)
# The mark: a flag, the sending port's number (low 12 bits), the receiving port's (bits 16-27).
MARK_FLAG = 0x10000000
SRC_MASK, DST_MASK, DST_SHIFT = 0x00000fff, 0x0fff0000, 16
MAX_PORTS = SRC_MASK
BR_NETFILTER = ('net.bridge.bridge-nf-call-iptables', 'net.bridge.bridge-nf-call-ip6tables')


class FirewallError(Exception):
    """The ruleset cannot be applied on this host."""


# ---- the rule model -----------------------------------------------------------------------

def _int_or_none(value, field):
    if value is None or value == '':
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError(field, 'must be an integer', str(value))


def _protocol(value, field):
    """The protocol as an IP protocol number, None for any."""
    if value in (None, '', 'any'):
        return None
    if isinstance(value, int) or str(value).isdigit():
        number = int(value)
        if not 0 <= number <= 255:
            raise ValidationError(field, 'must be a protocol name or a number 0 to 255', str(value))
        return number
    name = str(value).lower()
    if name not in PROTOCOLS:
        raise ValidationError(field, 'must be one of %s or a number 0 to 255'
                              % ', '.join(sorted(PROTOCOLS)), str(value))
    return PROTOCOLS[name]


def _ports(rule, protocol, field):
    low = _int_or_none(rule.get('port_range_min'), field + '.port_range_min')
    high = _int_or_none(rule.get('port_range_max'), field + '.port_range_max')
    if low is None and high is None:
        return None, None
    if protocol in ICMP_NUMBERS:
        # Neutron: port_range_min is the ICMP type, port_range_max the code.
        if low is None or not 0 <= low <= 255:
            raise ValidationError(field + '.port_range_min', 'must be an ICMP type 0 to 255 when '
                                  'port_range_max (the ICMP code) is set', str(low))
        if high is not None and not 0 <= high <= 255:
            raise ValidationError(field + '.port_range_max', 'must be an ICMP code 0 to 255', str(high))
        return low, high
    if protocol not in PORT_PROTOCOLS.values():
        raise ValidationError(field + '.protocol', 'must be one of %s for a port range'
                              % ', '.join(sorted(PORT_PROTOCOLS)), str(protocol))
    low = 1 if low is None else low
    high = low if high is None else high
    if not 1 <= low <= high <= 65535:
        raise ValidationError(field + '.port_range_max', 'port_range_min <= port_range_max, both '
                              '1 to 65535', '%s-%s' % (low, high))
    return low, high


def normalize_rule(rule, field, group_names):
    """A catalog rule checked, with Neutron's defaults: {direction, ethertype, protocol
    (number or None), port_range_min, port_range_max, remote_ip_prefix, remote_group}.
    `group_names`: group id or name -> name."""
    direction = rule.get('direction')
    if direction not in DIRECTIONS:
        raise ValidationError(field + '.direction', 'must be ingress or egress', str(direction))
    ethertype = rule.get('ethertype') or 'IPv4'
    if ethertype not in ETHERTYPES:
        raise ValidationError(field + '.ethertype', 'must be IPv4 or IPv6', str(ethertype))
    protocol = _protocol(rule.get('protocol'), field + '.protocol')
    if protocol == 1 and ethertype == 'IPv6':
        protocol = 58   # Neutron takes icmp in an IPv6 rule for ipv6-icmp
    if protocol == 58 and ethertype == 'IPv4':
        raise ValidationError(field + '.protocol', 'ipv6-icmp needs ethertype IPv6')
    low, high = _ports(rule, protocol, field)
    prefix, remote = rule.get('remote_ip_prefix'), rule.get('remote_group_id')
    if prefix and remote:
        raise ValidationError(field, 'remote_ip_prefix and remote_group_id are mutually exclusive')
    if prefix:
        try:
            net = netaddr.IPNetwork(prefix)
        except (netaddr.AddrFormatError, ValueError, TypeError):
            raise ValidationError(field + '.remote_ip_prefix', 'must be a CIDR', str(prefix))
        if net.version != (4 if ethertype == 'IPv4' else 6):
            raise ValidationError(field + '.remote_ip_prefix', 'must be an %s prefix' % ethertype,
                                  str(prefix))
        prefix = str(net.cidr)
    if remote is not None:
        if remote not in group_names:
            raise ValidationError(field + '.remote_group_id', 'is not a security group', str(remote))
        remote = group_names[remote]
    return {'direction': direction, 'ethertype': ethertype, 'protocol': protocol,
            'port_range_min': low, 'port_range_max': high, 'remote_ip_prefix': prefix or None,
            'remote_group': remote}


def default_rules(group):
    """Neutron's rules of a new group: egress anywhere; `default` also ingress from itself."""
    rules = [{'direction': 'egress', 'ethertype': e} for e in ETHERTYPES]
    if group.get('name') == 'default':
        rules += [{'direction': 'ingress', 'ethertype': e, 'remote_group_id': group['name']}
                  for e in ETHERTYPES]
    return rules


def group_rules(catalog_groups):
    """{group name: [normalized rules]} of the catalog's security groups."""
    names = {}
    for group in catalog_groups or []:
        names[group['name']] = group['name']
        if group.get('id'):
            names[group['id']] = group['name']
    rules = {}
    for group in catalog_groups or []:
        listed = list(default_rules(group)) if group.get('default_rules', True) else []
        listed += list(group.get('rules') or [])
        field = 'security_groups[%s].rules' % group['name']
        rules[group['name']] = [normalize_rule(rule, '%s[%d]' % (field, index), names)
                                for index, rule in enumerate(listed)]
    return rules


# ---- the ports -----------------------------------------------------------------------------

def firewall_port(port, devname, security_groups):
    """What the firewall needs of a port: {dev, mac, ips, groups}."""
    return {'dev': devname, 'mac': port['mac'].lower(),
            'ips': [port['fixed_ip']] if port.get('fixed_ip') else [],
            'groups': list(security_groups or [])}


def members(ports, fleet_members=None):
    """{group: sorted IPs}: the controller's view of the fleet plus this host's ports."""
    found = dict((group, set(ips)) for group, ips in (fleet_members or {}).items())
    for port in ports:
        for group in port['groups']:
            found.setdefault(group, set()).update(port['ips'])
    return dict((group, sorted(ips, key=_address)) for group, ips in found.items())


def _server_ips(server):
    """The fixed IPs of a server dict (hypervisor_servers: `addresses`), a server record
    (`ports`) or a request's instance (`networks` with their assigned `fixed_ip`)."""
    ips = [addr.get('addr') for addrs in (server.get('addresses') or {}).values() for addr in addrs]
    ips += [port.get('fixed_ip') for port in server.get('ports') or []]
    ips += [net.get('fixed_ip') for net in server.get('networks') or []]
    return [ip for ip in ips if ip]


def fleet_members(*server_lists):
    """{group name: sorted fixed IPs of its members} over every server of the lists, whatever
    host it is on: what a remote_group_id rule matches (Neutron's remote group)."""
    found = {}
    for servers in server_lists:
        for server in servers or []:
            for group in server.get('security_groups') or []:
                found.setdefault(group, set()).update(_server_ips(server))
    return dict((group, sorted(ips, key=_address)) for group, ips in found.items())


def _address(ip):
    try:
        return netaddr.IPAddress(ip)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        raise ValueError('%r is not an IP address' % (ip,))


# ---- rendering -------------------------------------------------------------------------------

def _set(values):
    return '{ %s }' % ', '.join(values)


def _family_ips(ips, version):
    return [ip for ip in ips if netaddr.IPAddress(ip).version == version]


def _match_rule(rule, group_members):
    """The nft match of one rule, or None when it can match nothing (an empty remote group)."""
    version = 4 if rule['ethertype'] == 'IPv4' else 6
    family = 'ip' if version == 4 else 'ip6'
    where = 'saddr' if rule['direction'] == 'ingress' else 'daddr'
    parts = ['meta nfproto %s' % ('ipv4' if version == 4 else 'ipv6')]
    if rule['remote_ip_prefix']:
        parts.append('%s %s %s' % (family, where, rule['remote_ip_prefix']))
    elif rule['remote_group']:
        ips = _family_ips(group_members.get(rule['remote_group']) or [], version)
        if not ips:
            return None
        parts.append('%s %s %s' % (family, where, _set(ips)))
    proto = rule['protocol']
    if proto is not None:
        parts.append('meta l4proto %d' % proto)
        low, high = rule['port_range_min'], rule['port_range_max']
        if proto in ICMP_NUMBERS and low is not None:
            icmp = 'icmp' if proto == 1 else 'icmpv6'
            parts.append('%s type %d' % (icmp, low))
            if high is not None:
                parts.append('%s code %d' % (icmp, high))
        elif low is not None:
            parts.append('th dport %s' % (low if low == high else '%d-%d' % (low, high)))
    return ' '.join(parts)


def _sg_chain(name, port, rules, group_members, verdict):
    """A port's ingress or egress chain: Neutron's always-allowed traffic, the rules of its
    groups (de-duplicated), then drop."""
    direction = 'egress' if verdict == 'return' else 'ingress'
    lines = []
    if direction == 'egress':
        lines.append('meta nfproto ipv4 udp sport 68 udp dport 67 return')
        lines.append('meta nfproto ipv6 udp sport 546 udp dport 547 return')
        lines.append('icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, '
                     'mld-listener-report, mld2-listener-report } return')
    else:
        lines.append('icmpv6 type { nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, '
                     'mld-listener-query } accept')
    for group in port['groups']:
        for rule in rules.get(group) or []:
            if rule['direction'] != direction:
                continue
            match = _match_rule(rule, group_members)
            if match is not None:
                line = '%s %s' % (match, verdict)
                if line not in lines:
                    lines.append(line)
    lines.append('drop')
    return _chain(name, lines)


def _chain(name, lines, hook=None):
    body = ['  chain %s {' % name]
    if hook:
        body.append('    %s' % hook)
    body.extend('    %s' % line for line in lines)
    body.append('  }')
    return body


def _link_local(mac):
    return str(netaddr.EUI(mac).ipv6_link_local())


def _spoof_chain(index, port):
    """Anti-spoofing of what the port sends, then its number in the mark."""
    mac, v4, v6 = port['mac'], _family_ips(port['ips'], 4), _family_ips(port['ips'], 6)
    lines = [
        'ether saddr != %s drop' % mac,
        'arp saddr ether != %s drop' % mac,
        'arp saddr ip != %s drop' % _set(['0.0.0.0'] + v4),
        # a guest answering DHCP or advertising routes is a rogue server
        'udp sport 67 udp dport 68 drop',
        'udp sport 547 udp dport 546 drop',
        'icmpv6 type nd-router-advert drop',
        'ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 udp dport 67 '
        'meta mark set 0x%08x return' % (MARK_FLAG | index),
        'ether type ip ip saddr != %s drop' % _set(v4 or ['255.255.255.255']),
        'ether type ip6 ip6 saddr != %s drop' % _set(['::', _link_local(mac)] + v6),
        'ether type != { ip, ip6, arp } drop',
        'meta mark set 0x%08x' % (MARK_FLAG | index),
    ]
    return _chain('from_%d' % index, lines)


def render(ports, catalog_groups, fleet_members=None):
    """The host's whole ruleset (nft -f text) for `ports` ([firewall_port], any order)."""
    ports = sorted(ports, key=lambda port: port['dev'])
    if len(ports) > MAX_PORTS:
        raise FirewallError('more than %d ports on one host' % MAX_PORTS)
    rules = group_rules(catalog_groups)
    for port in ports:
        for group in port['groups']:
            if group not in rules:
                raise ValidationError('security_groups', 'port %s is in security group %s, which '
                                      'the catalog does not have' % (port['dev'], group))
    group_members = members(ports, fleet_members)
    numbered = list(enumerate(ports, 1))
    bridge, inet = [], []
    if numbered:
        devs = ', '.join('"%s"' % port['dev'] for port in ports)
        from_map = ', '.join('"%s" : jump from_%d' % (port['dev'], i) for i, port in numbered)
        base = ['iifname vmap { %s }' % from_map]
        bridge.append('  set ports {\n    type ifname\n    elements = { %s }\n  }' % devs)
        for i, port in numbered:
            bridge.extend(_spoof_chain(i, port))
        bridge.extend(_chain('forward_ports', base + [
            'iifname != @ports oifname @ports meta mark set 0x%08x' % MARK_FLAG,
        ] + ['oifname "%s" meta mark set meta mark or 0x%08x' % (port['dev'], i << DST_SHIFT)
             for i, port in numbered], 'type filter hook forward priority -200; policy accept;'))
        bridge.extend(_chain('input_ports', base,
                             'type filter hook input priority -200; policy accept;'))
        egress = ', '.join('0x%x : jump egress_%d' % (i, i) for i, _port in numbered)
        ingress = ', '.join('0x%x : jump ingress_%d' % (i << DST_SHIFT, i) for i, _port in numbered)
        stateful = ['meta mark and 0x%08x == 0x0 accept' % MARK_FLAG,
                    'ct state invalid drop', 'ct state established,related accept',
                    'meta mark and 0x%08x vmap { %s }' % (SRC_MASK, egress)]
        for i, port in numbered:
            inet.extend(_sg_chain('egress_%d' % i, port, rules, group_members, 'return'))
            inet.extend(_sg_chain('ingress_%d' % i, port, rules, group_members, 'accept'))
        inet.extend(_chain('forward_ports', stateful + [
            'meta mark and 0x%08x vmap { %s }' % (DST_MASK, ingress)],
            'type filter hook forward priority 0; policy accept;'))
        inet.extend(_chain('input_ports', stateful,
                           'type filter hook input priority 0; policy accept;'))
    text = ['# novalite.compute security groups: %d ports' % len(ports)]
    for family, body in (('bridge', bridge), ('inet', inet)):
        # declare-then-delete makes the replacement one transaction whether the table exists
        text += ['table %s %s' % (family, TABLE), 'delete table %s %s' % (family, TABLE),
                 'table %s %s {' % (family, TABLE)] + body + ['}']
    return '\n'.join(text) + '\n'


# ---- applying --------------------------------------------------------------------------------

def _enable_br_netfilter(runner):
    """Bridged IP must reach the inet hooks, where conntrack is (a per-namespace setting)."""
    rc, out, err = runner(['sysctl', '-q', '-w'] + ['%s=1' % key for key in BR_NETFILTER])
    if rc != 0:
        raise FirewallError('%s (rc %d): security groups need the br_netfilter module '
                            '(modprobe br_netfilter)' % ((err or out).strip(), rc))


def _tables_present(runner):
    return all(runner(['nft', 'list', 'table', family, TABLE])[0] == 0
               for family in ('bridge', 'inet'))


def apply(runner, state_path, text, check_mode=False):
    """Load `text` unless the host already runs it. True when it changed (or would)."""
    path = layout.firewall_ruleset_path(state_path)
    try:
        with open(path) as f:
            applied = f.read()
    except (IOError, OSError):
        applied = None
    if applied == text and _tables_present(runner):
        return False
    if check_mode:
        return True
    _enable_br_netfilter(runner)
    tmp = path + '.new'
    with open(tmp, 'w') as f:
        f.write(text)
    rc, out, err = runner(['nft', '-f', tmp])
    if rc != 0:
        raise FirewallError('nft -f %s failed (rc %d): %s' % (tmp, rc, (err or out).strip()))
    os.rename(tmp, path)
    return True
