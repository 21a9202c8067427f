# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""libvirt_network: validation, projection, plan/apply and DHCP hosts on libvirt's test driver."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import itertools

import pytest

libvirt = pytest.importorskip('libvirt')
etree = pytest.importorskip('lxml.etree')

from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt import network as ln  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.errors import ValidationError  # noqa: E402

_names = itertools.count()


@pytest.fixture
def conn():
    libvirt.registerErrorHandler(lambda *_: None, None)
    c = libvirt.open('test:///default')
    yield c
    c.close()


@pytest.fixture
def name(conn):
    """A fresh network name; the network is removed afterwards (the test driver's state lives
    as long as the process)."""
    n = 'nltest-unit-%d' % next(_names)
    yield n
    ln.NetworkManager(conn, n, 'absent').run()


def test_defaults_give_an_isolated_dhcp_network():
    assert ln.desired_network('n', cidr='10.254.254.0/24') == {
        'name': 'n', 'forward_mode': 'none', 'ipv4': '10.254.254.1/24',
        'dhcp': {'start': '10.254.254.2', 'end': '10.254.254.254'}}


def test_gateway_at_the_end_is_left_out_of_the_range():
    want = ln.desired_network('n', cidr='10.0.0.7/29', gateway='10.0.0.6', dhcp=True)
    assert want['ipv4'] == '10.0.0.6/29'
    assert want['dhcp'] == {'start': '10.0.0.1', 'end': '10.0.0.5'}
    assert ln.desired_network('n', cidr='10.0.0.0/29', dhcp=False)['dhcp'] is None


@pytest.mark.parametrize('kwargs, field, rule', [
    ({'cidr': 'nonsense'}, 'cidr', 'must be an IPv4 network'),
    ({'cidr': '10.0.0.0/31'}, 'cidr', '/30 or larger'),
    ({'forward_mode': 'nat'}, 'cidr', 'is required when forward_mode is nat'),
    ({'forward_mode': 'bridge'}, 'forward_mode', 'must be one of none, nat, route'),
    ({'cidr': '10.0.0.0/24', 'gateway': '10.0.1.1'}, 'gateway', 'must be a host address in 10.0.0.0/24'),
    ({'cidr': '10.0.0.0/24', 'gateway': '10.0.0.255'}, 'gateway', 'must be a host address'),
    ({'cidr': '10.0.0.0/24', 'dhcp_start': '10.0.0.50', 'dhcp_end': '10.0.0.40'}, 'dhcp_end', 'must not be below'),
    ({'dhcp_start': '10.0.0.5'}, 'dhcp_start', 'needs cidr'),
    ({'bridge': 'a-bridge-name-too-long'}, 'bridge', 'must be 1 to 15 characters'),
    ({'mtu': 20}, 'mtu', 'between 68 and 65535'),
])
def test_errors_name_field_and_rule(kwargs, field, rule):
    with pytest.raises(ValidationError) as err:
        ln.desired_network('n', **kwargs)
    assert err.value.field == field
    assert rule in err.value.msg and err.value.msg.startswith(field + ': ')


def test_projection_reads_netmask_and_default_forward():
    view = ln.project("<network><name>x</name><forward/><ip address='192.168.5.1' "
                      "netmask='255.255.255.0'/></network>")
    assert view == {'name': 'x', 'forward_mode': 'nat', 'bridge': None, 'mtu': None,
                    'ipv4': '192.168.5.1/24', 'dhcp': None}


def test_build_keeps_what_the_options_do_not_manage():
    current = ("<network><name>x</name><uuid>0a0b0c0d-0000-4000-8000-000000000001</uuid>"
               "<forward mode='nat'><nat><port start='1024' end='65535'/></nat></forward>"
               "<bridge name='virbr9'/><mac address='52:54:00:00:00:09'/>"
               "<ip address='10.1.0.1' prefix='24'><dhcp><range start='10.1.0.2' end='10.1.0.9'/>"
               "<host mac='fa:16:3e:00:00:01' ip='10.1.0.5'/></dhcp></ip></network>")
    want = ln.desired_network('x', forward_mode='nat', cidr='10.1.0.0/24', dhcp_end='10.1.0.99')
    root = etree.fromstring(ln.build_xml(want, current))
    assert root.findtext('uuid') == '0a0b0c0d-0000-4000-8000-000000000001'
    assert root.find('forward/nat/port') is not None          # same mode: element kept
    assert root.find('bridge').get('name') == 'virbr9'        # bridge unset: kept
    assert root.find('mac').get('address') == '52:54:00:00:00:09'
    assert [h.get('ip') for h in root.findall('ip/dhcp/host')] == ['10.1.0.5']
    assert ln.project(root)['dhcp'] == {'start': '10.1.0.2', 'end': '10.1.0.99'}
    isolated = etree.fromstring(ln.build_xml(dict(want, forward_mode='none'), current))
    assert isolated.find('forward') is None


def test_define_start_then_nothing_to_do(conn, name):
    want = ln.desired_network(name, cidr='10.254.254.0/24', mtu=1400)
    first = ln.NetworkManager(conn, name, 'active', want, autostart=True).run()
    assert first['changed'] and first['actions'] == ['define', 'start', 'autostart']
    assert first['diff']['before'] == {'state': 'absent'}
    net = conn.networkLookupByName(name)
    assert net.isActive() and net.autostart()
    assert first['network']['ipv4'] == '10.254.254.1/24' and first['network']['mtu'] == 1400

    again = ln.NetworkManager(conn, name, 'active', want, autostart=True).run()
    assert not again['changed'] and again['actions'] == []
    assert again['diff']['before'] == again['diff']['after']


def test_check_mode_predicts_and_does_nothing(conn, name):
    want = ln.desired_network(name, cidr='10.254.250.0/24')
    predicted = ln.NetworkManager(conn, name, 'active', want).run(check_mode=True)
    assert predicted['changed'] and predicted['network'] is None
    assert ln.network_by_name(conn, name) is None
    real = ln.NetworkManager(conn, name, 'active', want).run()
    assert (real['changed'], real['actions'], real['diff']) == (
        predicted['changed'], predicted['actions'], predicted['diff'])


def test_changed_field_redefines_and_restarts_keeping_uuid(conn, name):
    want = ln.desired_network(name, cidr='10.254.251.0/24')
    uuid = ln.NetworkManager(conn, name, 'active', want).run()['network']['uuid']
    ln.add_dhcp_host(conn, name, 'fa:16:3e:00:00:01', '10.254.251.9', 'vm1')
    new = ln.desired_network(name, cidr='10.254.251.0/24', dhcp_start='10.254.251.100')
    result = ln.NetworkManager(conn, name, 'present', new).run()
    assert result['actions'] == ['define', 'restart']
    assert result['diff']['before']['dhcp']['start'] == '10.254.251.2'
    assert result['diff']['after']['dhcp']['start'] == '10.254.251.100'
    assert result['network']['uuid'] == uuid and result['network']['active']
    assert ln.dhcp_hosts(conn, name) == [{'mac': 'fa:16:3e:00:00:01', 'ip': '10.254.251.9', 'name': 'vm1'}]


def test_present_leaves_a_stopped_network_stopped(conn, name):
    want = ln.desired_network(name, cidr='10.254.252.0/24')
    ln.NetworkManager(conn, name, 'present', want).run()
    assert not conn.networkLookupByName(name).isActive()
    again = ln.NetworkManager(conn, name, 'present', want).run()
    assert not again['changed'] and again['network']['active'] is False


def test_absent_removes_and_is_idempotent(conn, name):
    ln.NetworkManager(conn, name, 'active', ln.desired_network(name, cidr='10.254.253.0/24')).run()
    gone = ln.NetworkManager(conn, name, 'absent').run()
    assert gone['actions'] == ['destroy', 'undefine'] and gone['diff']['after'] == {'state': 'absent'}
    assert ln.network_by_name(conn, name) is None
    assert not ln.NetworkManager(conn, name, 'absent').run()['changed']


def test_dhcp_hosts_add_modify_remove(conn, name):
    ln.NetworkManager(conn, name, 'active', ln.desired_network(name, cidr='10.254.249.0/24')).run()
    assert ln.add_dhcp_host(conn, name, 'FA:16:3E:00:00:02', '10.254.249.20', 'a') is True
    assert ln.add_dhcp_host(conn, name, 'fa:16:3e:00:00:02', '10.254.249.20', 'a') is False
    assert ln.add_dhcp_host(conn, name, 'fa:16:3e:00:00:02', '10.254.249.21', 'a') is True
    assert ln.dhcp_hosts(conn, name) == [{'mac': 'fa:16:3e:00:00:02', 'ip': '10.254.249.21', 'name': 'a'}]
    with pytest.raises(ValidationError, match='ip: already given to fa:16:3e:00:00:02'):
        ln.add_dhcp_host(conn, name, 'fa:16:3e:00:00:03', '10.254.249.21', 'b')
    assert ln.remove_dhcp_host(conn, name, 'FA:16:3E:00:00:02') is True
    assert ln.remove_dhcp_host(conn, name, 'fa:16:3e:00:00:02') is False
    assert ln.dhcp_hosts(conn, name) == []
