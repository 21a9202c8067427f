# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Declarative libvirt networks, and the static DHCP host entries servers get on them.

Only the fields the options manage are compared (forward mode, bridge, MTU, IPv4 address and
DHCP range), projected from libvirt's normalised inactive XML; everything else in an existing
definition (UUID, MAC, DHCP host entries, DNS settings) is carried over on redefine. The same
projection gives `diff.before`/`diff.after` and decides `changed`, and check mode runs the
same plan without acting on it.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import ipaddress

try:
    import libvirt
except ImportError:
    pass  # modules check libvirt_utils.HAS_LIBVIRT

try:
    from lxml import etree
except ImportError:
    pass  # modules check libvirt_utils.HAS_LXML and fail with missing_required_lib

from ansible_collections.novalite.compute.plugins.module_utils.errors import ValidationError
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import lookup_or_none

FORWARD_MODES = ('none', 'nat', 'route')
STATES = ('present', 'active', 'absent')
IFNAMSIZ = 15  # longest Linux interface name


# ---- the wanted network ------------------------------------------------------------------

def desired_network(name, forward_mode='none', bridge=None, cidr=None, gateway=None,
                    dhcp=True, dhcp_start=None, dhcp_end=None, mtu=None):
    """Validate the options and return the managed view the network must have.

    Keys: `name`, `forward_mode`, and only when the option is set: `bridge`, `mtu`,
    `ipv4` ("gateway/prefix") with `dhcp` ({start, end} or None). Errors name the field."""
    if not name:
        raise ValidationError('name', 'must not be empty')
    if forward_mode not in FORWARD_MODES:
        raise ValidationError('forward_mode', 'must be one of %s' % ', '.join(FORWARD_MODES))
    want = {'name': name, 'forward_mode': forward_mode}
    if bridge is not None:
        if not bridge or len(bridge) > IFNAMSIZ:
            raise ValidationError('bridge', 'must be 1 to %d characters' % IFNAMSIZ)
        want['bridge'] = bridge
    if mtu is not None:
        if not 68 <= int(mtu) <= 65535:
            raise ValidationError('mtu', 'must be between 68 and 65535')
        want['mtu'] = int(mtu)
    if cidr is None:
        if forward_mode != 'none':
            raise ValidationError('cidr', 'is required when forward_mode is %s' % forward_mode)
        for field, value in (('gateway', gateway), ('dhcp_start', dhcp_start), ('dhcp_end', dhcp_end)):
            if value is not None:
                raise ValidationError(field, 'needs cidr')
        return want
    net = _ipv4_network(cidr)
    gw = _address_in('gateway', gateway, net) if gateway else net.network_address + 1
    want['ipv4'] = '%s/%d' % (gw, net.prefixlen)
    want['dhcp'] = _dhcp_range(net, gw, dhcp_start, dhcp_end) if dhcp else None
    return want


def _ipv4_network(cidr):
    try:
        net = ipaddress.IPv4Network(u'%s' % cidr, strict=False)
    except ValueError as e:
        raise ValidationError('cidr', 'must be an IPv4 network such as 10.254.0.0/24', str(e))
    if net.num_addresses < 4:
        raise ValidationError('cidr', 'must have room for a gateway and a host (/30 or larger)')
    return net


def _address_in(field, value, net):
    """`value` as an address of `net` usable by a host (not network or broadcast)."""
    try:
        addr = ipaddress.IPv4Address(u'%s' % value)
    except ValueError:
        raise ValidationError(field, 'must be an IPv4 address', value)
    if addr not in net or addr in (net.network_address, net.broadcast_address):
        raise ValidationError(field, 'must be a host address in %s' % net, value)
    return addr


def _dhcp_range(net, gateway, start, end):
    """The DHCP range; by default every host address of the network except the gateway
    when it sits at either end (neutron's default allocation pool)."""
    first, last = net.network_address + 1, net.broadcast_address - 1
    if gateway == first:
        first += 1
    elif gateway == last:
        last -= 1
    start = _address_in('dhcp_start', start, net) if start else first
    end = _address_in('dhcp_end', end, net) if end else last
    if start > end:
        raise ValidationError('dhcp_end', 'must not be below dhcp_start (%s)' % start, str(end))
    return {'start': str(start), 'end': str(end)}


# ---- projection of an existing definition -------------------------------------------------

def _ipv4_element(root):
    for ip in root.findall('ip'):
        if ip.get('family', 'ipv4') == 'ipv4':
            return ip
    return None


def project(xml):
    """The managed view of a network XML (string or element): the keys desired_network
    returns, each with what the definition has (None when it has none)."""
    root = etree.fromstring(xml) if isinstance(xml, (str, bytes)) else xml
    forward, bridge, mtu = root.find('forward'), root.find('bridge'), root.find('mtu')
    view = {
        'name': root.findtext('name'),
        'forward_mode': forward.get('mode', 'nat') if forward is not None else 'none',
        'bridge': bridge.get('name') if bridge is not None else None,
        'mtu': int(mtu.get('size')) if mtu is not None and mtu.get('size') else None,
        'ipv4': None,
        'dhcp': None,
    }
    ip = _ipv4_element(root)
    if ip is not None and ip.get('address'):
        prefix = ip.get('prefix')
        if prefix is None and ip.get('netmask'):
            prefix = ipaddress.IPv4Network(u'0.0.0.0/%s' % ip.get('netmask')).prefixlen
        view['ipv4'] = '%s/%s' % (ip.get('address'), prefix if prefix is not None else 32)
        rng = ip.find('dhcp/range')
        if rng is not None:
            view['dhcp'] = {'start': rng.get('start'), 'end': rng.get('end')}
    return view


def managed_view(view, want):
    """`view` reduced to the keys `want` manages."""
    return dict((k, view.get(k)) for k in want)


# ---- building the definition ---------------------------------------------------------------

def build_xml(want, current_xml=None):
    """Network XML with `want` applied; starts from `current_xml` so that what the options
    leave unset (UUID, MAC, DHCP hosts, DNS, an unset bridge) is carried over."""
    if current_xml:
        root = copy.deepcopy(etree.fromstring(current_xml))
    else:
        root = etree.Element('network')
        etree.SubElement(root, 'name').text = want['name']
    _set_forward(root, want['forward_mode'])
    if 'bridge' in want:
        _child(root, 'bridge').set('name', want['bridge'])
    if 'mtu' in want:
        _child(root, 'mtu').set('size', str(want['mtu']))
    if 'ipv4' in want:
        _set_ipv4(root, want['ipv4'], want['dhcp'])
    return etree.tostring(root, pretty_print=True).decode('utf-8')


def _child(root, tag):
    element = root.find(tag)
    if element is None:
        element = etree.SubElement(root, tag)
    return element


def _set_forward(root, mode):
    forward = root.find('forward')
    if forward is not None and (mode == 'none' or forward.get('mode', 'nat') != mode):
        root.remove(forward)
        forward = None
    if mode != 'none' and forward is None:
        forward = etree.Element('forward', mode=mode)
        name = root.find('name')
        if name is not None:
            name.addnext(forward)
        else:
            root.insert(0, forward)


def _set_ipv4(root, ipv4, dhcp):
    address, prefix = ipv4.split('/')
    ip = _ipv4_element(root)
    if ip is None:
        ip = etree.SubElement(root, 'ip')
    for attr in ('netmask', 'family'):
        ip.attrib.pop(attr, None)
    ip.set('address', address)
    ip.set('prefix', prefix)
    element = ip.find('dhcp')
    if dhcp is None:
        if element is not None:
            ip.remove(element)
        return
    if element is None:
        element = etree.SubElement(ip, 'dhcp')
    for old in element.findall('range'):
        element.remove(old)
    element.insert(0, etree.Element('range', start=dhcp['start'], end=dhcp['end']))


# ---- the manager -----------------------------------------------------------------------------

def network_by_name(conn, name):
    """The network called `name`, or None when there is none."""
    return lookup_or_none(conn.networkLookupByName, name, libvirt.VIR_ERR_NO_NETWORK)


def _inactive_xml(net):
    """The persistent definition. A driver without the INACTIVE flag (libvirt's test driver)
    keeps a single definition, which its plain XML is."""
    try:
        return net.XMLDesc(libvirt.VIR_NETWORK_XML_INACTIVE)
    except libvirt.libvirtError as exc:
        if exc.get_error_code() != libvirt.VIR_ERR_INVALID_ARG:
            raise
        return net.XMLDesc(0)


class NetworkManager(object):
    """Brings one libvirt network to `state` (present | active | absent).

    `want` comes from desired_network (None for absent); `autostart` None leaves it alone.
    plan() decides, run() acts on the plan (or only reports it in check mode)."""

    def __init__(self, conn, name, state, want=None, autostart=None):
        if state not in STATES:
            raise ValidationError('state', 'must be one of %s' % ', '.join(STATES))
        self.conn, self.name, self.state = conn, name, state
        self.want, self.autostart = want, autostart

    def _status(self, net):
        """(view, autostart, active) of an existing network."""
        return project(_inactive_xml(net)), bool(net.autostart()), bool(net.isActive())

    def plan(self):
        """{'actions': [...], 'before': {...}, 'after': {...}}; no action means no change."""
        net = network_by_name(self.conn, self.name)
        if self.state == 'absent':
            if net is None:
                return {'actions': [], 'before': {'state': 'absent'}, 'after': {'state': 'absent'}}
            view, autostart, active = self._status(net)
            before = dict(view, autostart=autostart, state='active' if active else 'present')
            actions = (['destroy'] if active else []) + ['undefine']
            return {'actions': actions, 'before': before, 'after': {'state': 'absent'}}

        if net is None:
            before = {'state': 'absent'}
            view, autostart, active = None, False, False
        else:
            view, autostart, active = self._status(net)
            before = dict(managed_view(view, self.want), autostart=autostart,
                          state='active' if active else 'present')
        after = dict(self.want)
        actions = []
        redefine = view is None or managed_view(view, self.want) != self.want
        if redefine:
            actions.append('define')
            if active:  # the running network keeps its old settings until restarted
                actions.append('restart')
        start = self.state == 'active' and not active
        if start:
            actions.append('start')
        after['state'] = 'active' if (active or start) else 'present'
        wanted_autostart = autostart if self.autostart is None else self.autostart
        if wanted_autostart != autostart:
            actions.append('autostart' if wanted_autostart else 'no_autostart')
        after['autostart'] = wanted_autostart
        return {'actions': actions, 'before': before, 'after': after}

    def run(self, check_mode=False):
        """Apply the plan. Result: changed, actions, diff, and `network` (the managed view,
        uuid, bridge, autostart, active after the run; None when absent)."""
        plan = self.plan()
        if not check_mode:
            self._apply(plan['actions'])
        return {'changed': bool(plan['actions']), 'actions': plan['actions'],
                'diff': {'before': plan['before'], 'after': plan['after']},
                'network': None if check_mode else self.info()}

    def _apply(self, actions):
        net = network_by_name(self.conn, self.name)
        if 'destroy' in actions:
            net.destroy()
        if 'undefine' in actions:
            net.undefine()
            return
        current = _inactive_xml(net) if net is not None else None
        if 'restart' in actions:
            # stop first: the network then runs the new definition from its next start
            net.destroy()
        if 'define' in actions:
            net = self.conn.networkDefineXML(build_xml(self.want, current))
        if 'restart' in actions or 'start' in actions:
            net.create()
        if 'autostart' in actions or 'no_autostart' in actions:
            net.setAutostart(1 if 'autostart' in actions else 0)

    def info(self):
        net = network_by_name(self.conn, self.name)
        if net is None:
            return None
        view, autostart, active = self._status(net)
        return dict(view, uuid=net.UUIDString(), autostart=autostart, active=active)


# ---- static DHCP host entries ---------------------------------------------------------------

def dhcp_hosts(conn, network_name):
    """The network's static DHCP hosts: [{mac, ip, name}] (None for a missing attribute)."""
    net = conn.networkLookupByName(network_name)
    root = etree.fromstring(_inactive_xml(net))
    return [{'mac': h.get('mac'), 'ip': h.get('ip'), 'name': h.get('name')}
            for h in root.findall('ip/dhcp/host')]


def _same_mac(a, b):
    return (a or '').lower() == (b or '').lower()


def _update_flags(net):
    """Change the persistent definition, and the running network too when it runs."""
    flags = 0
    if net.isPersistent():
        flags |= libvirt.VIR_NETWORK_UPDATE_AFFECT_CONFIG
    if net.isActive():
        flags |= libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE
    return flags


def _host_xml(mac, ip=None, name=None):
    host = etree.Element('host', mac=mac)
    if name:
        host.set('name', name)
    if ip:
        host.set('ip', ip)
    return etree.tostring(host).decode('utf-8')


def add_dhcp_host(conn, network_name, mac, ip, name=None):
    """Make the network's DHCP server give `ip` (and `name`) to `mac`. Idempotent: returns
    False when that exact entry exists, True when it was added or modified. An entry of
    another MAC holding `ip` is an error (ValidationError on `ip`)."""
    hosts = dhcp_hosts(conn, network_name)
    mine = [h for h in hosts if _same_mac(h['mac'], mac)]
    if mine and mine[0]['ip'] == ip and (mine[0]['name'] or None) == (name or None):
        return False
    for h in hosts:
        if h['ip'] == ip and not _same_mac(h['mac'], mac):
            raise ValidationError('ip', 'already given to %s on network %s' % (h['mac'], network_name), ip)
    net = conn.networkLookupByName(network_name)
    # MODIFY finds the entry by its MAC as written in the definition
    command = (libvirt.VIR_NETWORK_UPDATE_COMMAND_MODIFY if mine
               else libvirt.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST)
    net.update(command, libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST, -1,
               _host_xml(mine[0]['mac'] if mine else mac.lower(), ip, name), _update_flags(net))
    return True


def remove_dhcp_host(conn, network_name, mac):
    """Remove the DHCP host entry of `mac`. Idempotent: False when there was none."""
    mine = [h for h in dhcp_hosts(conn, network_name) if _same_mac(h['mac'], mac)]
    if not mine:
        return False
    net = conn.networkLookupByName(network_name)
    net.update(libvirt.VIR_NETWORK_UPDATE_COMMAND_DELETE, libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST,
               -1, _host_xml(mine[0]['mac']), _update_flags(net))
    return True
