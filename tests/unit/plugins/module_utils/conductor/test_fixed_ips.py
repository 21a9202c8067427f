# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixed IPs chosen once for the whole cloud, before the build."""

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.conductor.fixed_ips import assign_fixed_ips
from ansible_collections.novalite.compute.plugins.module_utils.compute.network import NetworkError

NET = {'network_id': 'n1', 'network_name': 'private', 'cidr': '10.254.0.0/24', 'gateway': '10.254.0.1',
       'allocation_pools': [{'start': '10.254.0.10', 'end': '10.254.0.12'}], 'fixed_ip': None}


def instance(name, **net):
    return {'uuid': name, 'name': name, 'networks': [dict(NET, **net)]}


def server_on(addr, net='private'):
    return {'id': addr, 'addresses': {net: [{'addr': addr, 'mac': 'fa:16:3e:00:00:01'}]}}


def ips(instances):
    return [inst['networks'][0]['fixed_ip'] for inst in instances]


POOL = ['10.254.0.10', '10.254.0.11', '10.254.0.12']


class LastPick(object):
    """A random.Random stand-in that takes the last address offered, and keeps the offers."""

    def __init__(self):
        self.offered = []

    def choice(self, addresses):
        self.offered.append([str(address) for address in addresses])
        return addresses[-1]


def test_instances_of_one_request_get_distinct_addresses():
    got = ips(assign_fixed_ips([instance('a'), instance('b')], []))
    assert len(set(got)) == 2 and set(got) <= set(POOL)


def test_the_address_is_drawn_among_the_free_ones():
    rng = LastPick()
    assert ips(assign_fixed_ips([instance('a')], [server_on('10.254.0.11')], rng=rng)) == ['10.254.0.12']
    assert rng.offered == [['10.254.0.10', '10.254.0.12']]


def test_the_draw_is_among_the_first_1000_free_addresses_as_in_neutron():
    big = instance('a', cidr='10.0.0.0/16', gateway='10.0.0.1',
                   allocation_pools=[{'start': '10.0.0.2', 'end': '10.0.255.254'}])
    rng = LastPick()
    assert ips(assign_fixed_ips([big], [], rng=rng)) == ['10.0.3.233']     # 10.0.0.2 + 999
    assert len(rng.offered[0]) == 1000


def test_addresses_of_servers_on_any_hypervisor_are_skipped():
    servers = [server_on('10.254.0.10'), server_on('10.254.0.11')]
    assert ips(assign_fixed_ips([instance('a')], servers)) == ['10.254.0.12']


def test_an_address_on_another_network_does_not_count():
    one = instance('a', allocation_pools=[{'start': '10.254.0.10', 'end': '10.254.0.10'}])
    assert ips(assign_fixed_ips([one], [server_on('10.254.0.10', net='other')])) == ['10.254.0.10']


def test_a_requested_address_is_kept_and_skipped_by_the_others():
    got = ips(assign_fixed_ips([instance('a', fixed_ip='10.254.0.10'), instance('b')], []))
    assert got[0] == '10.254.0.10' and got[1] in POOL[1:]


def test_a_requested_address_in_use_elsewhere_is_refused_naming_the_field():
    with pytest.raises(NetworkError, match=r'server.networks\[0\].fixed_ip \(a\).*already in use'):
        assign_fixed_ips([instance('a', fixed_ip='10.254.0.11')], [server_on('10.254.0.11')])


def test_an_exhausted_pool_is_refused():
    servers = [server_on('10.254.0.10'), server_on('10.254.0.11')]
    with pytest.raises(NetworkError, match='no more IP addresses available on network private'):
        assign_fixed_ips([instance('a'), instance('b')], servers)


def test_the_input_is_not_changed():
    original = [instance('a')]
    assign_fixed_ips(original, [])
    assert original[0]['networks'][0]['fixed_ip'] is None
