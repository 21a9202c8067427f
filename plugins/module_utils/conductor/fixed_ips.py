# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixed IPs for a request's instances, chosen once for the whole cloud.

A network of the catalog is one address space, whichever hypervisors its servers land on
(Neutron's subnet). Each hypervisor only knows its own servers, so the controller picks every
instance's fixed IP before the build, against the addresses of the servers on all
hypervisors and of the request's other instances, at random among the free ones as Neutron's
IPAM does, so that requests running at the same time (which cannot see each other's servers
yet) seldom choose the same address. The hypervisor then honours it and checks it once more
against its own servers, claims and DHCP entries. A rescheduled instance keeps its
address, as a Nova instance keeps its port.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import random

from ansible_collections.novalite.compute.plugins.module_utils.compute.network import (
    HAS_NETADDR, choose_ip)

if HAS_NETADDR:
    import netaddr


def used_addresses(servers):
    """{network name: set of netaddr.IPAddress} from the servers (server_table.expand_servers)."""
    used = {}
    for server in servers:
        for net_name, addresses in (server.get('addresses') or {}).items():
            for address in addresses:
                if address.get('addr'):
                    used.setdefault(net_name, set()).add(netaddr.IPAddress(address['addr']))
    return used


def assign_fixed_ips(instances, servers, rng=None):
    """Copies of `instances` whose every network has a `fixed_ip`: the one asked for, else
    one at random among the free addresses (`rng`, a random.Random, by default the system's):
    another request choosing at the same time, against the same servers, seldom takes the same.

    Raises NetworkError naming the instance's network when an address asked for is in use or
    a network has no free address left."""
    rng = rng or random.SystemRandom()
    used = used_addresses(servers)
    assigned = []
    for inst in instances:
        networks = []
        for index, network in enumerate(inst.get('networks') or []):
            taken = used.setdefault(network.get('network_name'), set())
            field = 'server.networks[%d].fixed_ip (%s)' % (index, inst.get('name'))
            address = choose_ip(network, taken, network.get('fixed_ip'), field, rng=rng)
            taken.add(netaddr.IPAddress(address))
            networks.append(dict(network, fixed_ip=address))
        assigned.append(dict(inst, networks=networks))
    return assigned
