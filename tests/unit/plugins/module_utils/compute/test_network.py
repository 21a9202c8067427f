# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Port allocation (MAC, fixed IP) and network_data.json."""

import random

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.compute import network

NET = {'network_id': 'net-1', 'network_name': 'private', 'cidr': '10.254.0.0/24',
       'gateway': '10.254.0.1', 'dns_nameservers': ['10.254.0.2'], 'mtu': 1500,
       'allocation_pools': [{'start': '10.254.0.1', 'end': '10.254.0.4'}],
       'libvirt_network': 'nl-private', 'dhcp': True, 'fixed_ip': None}


def port(ip, mac='fa:16:3e:00:00:01', network_id='net-1'):
    return {'id': 'p-' + ip, 'network_id': network_id, 'mac': mac, 'fixed_ip': ip}


def test_first_free_ip_skips_gateway():
    ports = network.allocate_ports([NET], [], {})
    assert ports[0]['fixed_ip'] == '10.254.0.2'
    assert ports[0]['network_id'] == 'net-1' and ports[0]['network_name'] == 'private'
    assert ports[0]['mac'].startswith('fa:16:3e:')


def test_used_ips_from_ports_and_dhcp_entries():
    existing = [port('10.254.0.2'), port('10.254.0.2', network_id='other-net')]
    dhcp = {'nl-private': [{'mac': '52:54:00:00:00:09', 'ip': '10.254.0.3', 'name': 'x'}]}
    assert network.allocate_ports([NET], existing, dhcp)[0]['fixed_ip'] == '10.254.0.4'


def test_other_networks_addresses_do_not_count():
    existing = [port('10.254.0.2', network_id='other-net')]
    assert network.allocate_ports([NET], existing, {})[0]['fixed_ip'] == '10.254.0.2'


def test_exhausted_pool():
    existing = [port(ip) for ip in ('10.254.0.2', '10.254.0.3', '10.254.0.4')]
    with pytest.raises(network.NetworkError) as err:
        network.allocate_ports([NET], existing, {})
    assert err.value.field == 'networks[0].fixed_ip'
    assert 'no more IP addresses available on network private' in str(err.value)


def test_two_ports_on_one_network_get_different_ips():
    ports = network.allocate_ports([NET, dict(NET)], [], {})
    assert [p['fixed_ip'] for p in ports] == ['10.254.0.2', '10.254.0.3']
    assert ports[0]['mac'] != ports[1]['mac']
    assert ports[0]['id'] != ports[1]['id']


def test_requested_ip_honoured_even_outside_pool():
    ports = network.allocate_ports([dict(NET, fixed_ip='10.254.0.200')], [], {})
    assert ports[0]['fixed_ip'] == '10.254.0.200'


@pytest.mark.parametrize('requested,message', [
    ('10.254.0.7', 'already in use on network private'),
    ('10.254.0.1', 'already in use on network private'),     # the gateway
    ('10.254.1.5', 'not in the subnet 10.254.0.0/24'),
    ('10.254.0.255', 'network or broadcast address'),
    ('bogus', 'is not an IP address'),
])
def test_requested_ip_refused(requested, message):
    existing = [port('10.254.0.7')]
    with pytest.raises(network.NetworkError, match=message) as err:
        network.allocate_ports([NET, dict(NET, fixed_ip=requested)], existing, {})
    assert err.value.field == 'networks[1].fixed_ip'


def test_requested_ip_taken_by_dhcp_entry():
    dhcp = {'nl-private': [{'mac': '52:54:00:00:00:09', 'ip': '10.254.0.9', 'name': 'x'}]}
    with pytest.raises(network.NetworkError, match='already in use'):
        network.allocate_ports([dict(NET, fixed_ip='10.254.0.9')], [], dhcp)


def test_no_pools_means_whole_subnet():
    net = dict(NET, allocation_pools=[], cidr='192.168.5.0/30', gateway='192.168.5.1')
    assert network.allocate_ports([net], [], {})[0]['fixed_ip'] == '192.168.5.2'
    with pytest.raises(network.NetworkError, match='no more IP addresses'):
        network.allocate_ports([net], [port('192.168.5.2', network_id='net-1')], {})


class ReplayRandom(random.Random):
    """A generator whose first MACs are given: proves used MACs are skipped."""

    def __init__(self, octets):
        super(ReplayRandom, self).__init__(0)
        self.octets = list(octets)

    def randint(self, a, b):
        return self.octets.pop(0) if self.octets else super(ReplayRandom, self).randint(a, b)


def test_mac_unique_among_ports_and_dhcp_entries():
    existing = [port('10.254.0.2', mac='FA:16:3E:00:00:01')]
    dhcp = {'nl-private': [{'mac': 'fa:16:3e:00:00:02', 'ip': '10.254.0.3', 'name': 'x'}]}
    rng = ReplayRandom([0, 0, 1, 0, 0, 2, 0, 0, 3])
    ports = network.allocate_ports([NET], existing, dhcp, rng)
    assert ports[0]['mac'] == 'fa:16:3e:00:00:03'


def test_mac_retries_exhausted():
    rng = ReplayRandom([0, 0, 1] * network.MAC_RETRIES)
    with pytest.raises(network.NetworkError, match='no unused MAC'):
        network.generate_mac({'fa:16:3e:00:00:01'}, rng)


def test_requested_port_id_kept():
    assert network.allocate_ports([dict(NET, port_id='my-port')], [], {})[0]['id'] == 'my-port'


def test_network_data_like_nova():
    bridged = dict(NET, network_id='net-2', network_name='public', libvirt_network=None,
                   bridge='br0', cidr='192.0.2.0/25', gateway=None, dns_nameservers=['10.254.0.2'],
                   mtu=9000)
    ports = [{'id': 'a1b2c3d4-e5f6-4711-8000-000000000001', 'network_id': 'net-1',
              'mac': 'fa:16:3e:aa:bb:cc', 'fixed_ip': '10.254.0.2'},
             {'id': 'b1b2c3d4-e5f6-4711-8000-000000000002', 'network_id': 'net-2',
              'mac': 'fa:16:3e:aa:bb:dd', 'fixed_ip': '192.0.2.10'}]
    data = network.network_data(ports, [NET, bridged])
    assert data['links'] == [
        {'id': 'tapa1b2c3d4-e5', 'vif_id': ports[0]['id'], 'type': 'phy', 'mtu': 1500,
         'ethernet_mac_address': 'fa:16:3e:aa:bb:cc'},
        {'id': 'tapb1b2c3d4-e5', 'vif_id': ports[1]['id'], 'type': 'bridge', 'mtu': 9000,
         'ethernet_mac_address': 'fa:16:3e:aa:bb:dd'}]
    assert data['networks'][0] == {
        'id': 'network0', 'type': 'ipv4', 'link': 'tapa1b2c3d4-e5', 'ip_address': '10.254.0.2',
        'netmask': '255.255.255.0', 'network_id': 'net-1',
        'routes': [{'network': '0.0.0.0', 'netmask': '0.0.0.0', 'gateway': '10.254.0.1'}],
        'services': [{'type': 'dns', 'address': '10.254.0.2'}]}
    assert data['networks'][1]['netmask'] == '255.255.255.128'
    assert data['networks'][1]['routes'] == []
    assert data['services'] == [{'type': 'dns', 'address': '10.254.0.2'}]


def test_interface_spec():
    port = {'id': 'a1b2c3d4-e5f6-0000', 'mac': 'fa:16:3e:00:00:01'}
    spec = network.interface_spec(port, NET, 'e1000')
    assert spec == {'mac': 'fa:16:3e:00:00:01', 'model': 'e1000', 'network': 'nl-private',
                    'bridge': None, 'mtu': 1500, 'target_dev': 'tapa1b2c3d4-e5'}


def test_interface_spec_on_a_segment_bridge_takes_the_network_mtu():
    port = {'id': 'a1b2c3d4-e5f6-0000', 'mac': 'fa:16:3e:00:00:01'}
    vxlan = {'network_id': 'n-1', 'network_type': 'vxlan', 'segmentation_id': 7}
    spec = network.interface_spec(port, vxlan, 'virtio', 'brqn-1')
    assert spec == {'mac': 'fa:16:3e:00:00:01', 'model': 'virtio', 'network': None,
                    'bridge': 'brqn-1', 'mtu': 1450, 'target_dev': 'tapa1b2c3d4-e5'}
    # and the guest learns it from network_data.json
    data = network.network_data([dict(port, fixed_ip='10.9.0.5')], [dict(vxlan, cidr='10.9.0.0/24')])
    assert data['links'][0]['mtu'] == 1450 and data['links'][0]['type'] == 'bridge'


def test_a_mac_and_port_id_allocated_by_the_controller_are_kept_unless_the_host_uses_the_mac():
    [port] = network.allocate_ports([dict(NET, mac='FA:16:3E:01:02:03', port_id='p-1')], [], {})
    assert (port['mac'], port['id']) == ('fa:16:3e:01:02:03', 'p-1')
    existing = [{'network_id': 'other', 'mac': 'fa:16:3e:01:02:03', 'fixed_ip': '10.9.0.2'}]
    with pytest.raises(network.NetworkError) as err:
        network.allocate_ports([dict(NET, mac='fa:16:3e:01:02:03')], existing, {})
    assert err.value.field == 'networks[0].mac' and 'already in use on this host' in str(err.value)
