# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a hypervisor runs for its networks: the segments its ports need (segments.py) and the
security group ruleset of all its ports (firewall.py), Nova's `plug_vifs` and firewall driver
calls around `_create_domain`.

The host's settings are Neutron's linuxbridge agent options: `local_ip` ([vxlan]),
`physical_interface_mappings` and `bridge_mappings` ([linux_bridge]); `vxlan_peers` are the
other hypervisors' `local_ip`s, from the inventory. The firewall is refreshed from what the
host itself knows, under its compute lock: the ports of its servers' records and of the
in-flight claims (each saved with its security groups), so two builds on one host never drop
each other's port from the ruleset. Only the members of remote groups on other hosts come from
the controller (`security_group_members`).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.novalite.compute.plugins.module_utils.args_common import NETWORK_HOST_ARG_SPEC
from ansible_collections.novalite.compute.plugins.module_utils.compute import claims
from ansible_collections.novalite.compute.plugins.module_utils.compute import firewall
from ansible_collections.novalite.compute.plugins.module_utils.compute import layout
from ansible_collections.novalite.compute.plugins.module_utils.compute import network
from ansible_collections.novalite.compute.plugins.module_utils.compute import segments
from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record

NETWORK_HOST_DEFAULTS = dict((name, option.get('default'))
                             for name, option in NETWORK_HOST_ARG_SPEC.items())


def segment_of(net, settings):
    """The segment of a catalog/build network on this host (None for `local`)."""
    return segments.segment(net, local_ip=settings.get('local_ip'),
                            peers=settings.get('vxlan_peers') or [],
                            interface_mappings=settings.get('physical_interface_mappings'),
                            bridge_mappings=settings.get('bridge_mappings'))


def bridge_of(net, settings):
    """The bridge a port on `net` goes into; None for a libvirt network."""
    seg = segment_of(net, settings)
    return seg['bridge'] if seg else net.get('bridge')


def plug(runner, networks, settings, check_mode=False):
    """Plug the segments of `networks` (each once): {network id: commands run or planned}."""
    done = {}
    for net in networks:
        seg = segment_of(net, settings)
        if seg is not None and net['network_id'] not in done:
            done[net['network_id']] = segments.ensure(runner, seg, check_mode)
    return done


def _ports_of(ports, groups):
    return [firewall.firewall_port(port, network.devname(port), groups)
            for port in ports if port.get('id') and port.get('mac')]


def host_ports(conn, state_path, extra=()):
    """The firewall ports of this host: its servers' records, the in-flight claims' ports (with
    the groups saved beside them) and `extra` firewall ports; one entry a tap."""
    found = {}
    for record in server_record.list_servers(conn):
        for port in _ports_of(record.get('ports') or [], record.get('security_groups') or []):
            found[port['dev']] = port
    for saved in claims.claimed_ports(state_path):
        for port in _ports_of([saved], saved.get('security_groups') or []):
            found[port['dev']] = port
    for port in extra:
        found[port['dev']] = port
    return [found[dev] for dev in sorted(found)]


def refresh_firewall(conn, runner, state_path, settings, extra=(), check_mode=False):
    """Render and apply this host's ruleset; call under the compute lock. True when it changed
    (or would). Without `security_groups` in the settings the host's firewall is not managed."""
    if settings.get('security_groups') is None:
        return False
    text = firewall.render(host_ports(conn, state_path, extra), settings['security_groups'],
                           settings.get('security_group_members'))
    return firewall.apply(runner, state_path, text, check_mode)


def catalog_network(net):
    """A catalog network in the shape the build gives networks (`network_id`, `network_name`)."""
    return dict(net, network_id=net.get('id'), network_name=net.get('name'))


def prepare(conn, runner, state_path, networks, settings, check_mode=False):
    """Plug the segments of the catalog's `networks` and refresh the ruleset, under the
    compute lock: {changed, plugged: {network name: commands}, firewall_changed}."""
    nets = [catalog_network(net) for net in networks or []]
    with layout.compute_lock(state_path):
        plugged = plug(runner, nets, settings, check_mode)
        firewall_changed = refresh_firewall(conn, runner, state_path, settings,
                                            check_mode=check_mode)
    names = dict((net['network_id'], net['network_name'] or net['network_id']) for net in nets)
    plugged = dict((names[net_id], commands) for net_id, commands in plugged.items())
    return {'changed': firewall_changed or any(plugged.values()), 'plugged': plugged,
            'firewall_changed': firewall_changed}
