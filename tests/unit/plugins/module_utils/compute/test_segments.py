# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Network types and the plan that plugs a segment (bridge, VXLAN or VLAN device, flood
entries), from what `ip -d -j link` and `bridge -j fdb` report."""

import json

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.compute import segments
from ansible_collections.novalite.compute.plugins.module_utils.errors import ValidationError

VXLAN = {'network_id': '9a8b7c6d-0000-4000-8000-000000000001', 'network_name': 'tenant',
         'network_type': 'vxlan', 'segmentation_id': 1001}


def vx_segment(peers=('10.81.0.12', '10.81.0.13', '10.81.0.11')):
    return segments.segment(VXLAN, local_ip='10.81.0.11', peers=peers)


def link(name, kind=None, master=None, up=True, mtu=1500, data=None):
    entry = {'ifname': name, 'flags': ['BROADCAST', 'UP'] if up else ['BROADCAST'], 'mtu': mtu}
    if master:
        entry['master'] = master
    if kind:
        entry['linkinfo'] = {'info_kind': kind, 'info_data': data or {}}
    return entry


def links(*entries):
    return segments.parse_links(json.dumps(list(entries)))


def test_types_default_and_names():
    assert segments.network_type({'libvirt_network': 'novalite-private'}) == 'local'
    assert segments.network_type({'network_id': 'x'}) == 'vxlan'
    with pytest.raises(ValidationError, match='network_type: must be one of local, vxlan, flat, vlan'):
        segments.network_type({'network_type': 'gre'})
    assert segments.bridge_name(VXLAN) == 'brq9a8b7c6d-00'
    assert segments.segment({'libvirt_network': 'novalite-private', 'network_id': 'n'}) is None


def test_vxlan_mtu_lowered_by_overhead_unless_given():
    assert segments.network_mtu(VXLAN) == 1450
    assert segments.network_mtu(dict(VXLAN, mtu=8950)) == 8950
    assert segments.network_mtu(dict(VXLAN, network_type='flat')) == 1500
    assert segments.network_mtu({'libvirt_network': 'x'}) is None


def test_vxlan_segment_peers_exclude_self_and_sorted():
    seg = vx_segment()
    assert seg['device'] == 'vxlan-1001' and seg['vni'] == 1001
    assert seg['peers'] == ['10.81.0.12', '10.81.0.13']


@pytest.mark.parametrize('network, kwargs, message', [
    (dict(VXLAN, segmentation_id=None), {'local_ip': '1.2.3.4'}, 'segmentation_id: is required'),
    (dict(VXLAN, segmentation_id=2 ** 24), {'local_ip': '1.2.3.4'}, 'segmentation_id: must be 1 to 16777215'),
    (VXLAN, {}, 'local_ip: is required'),
    (dict(VXLAN, network_type='vlan', segmentation_id=5000, physical_network='p'),
     {'interface_mappings': {'p': 'eth1'}}, 'segmentation_id: must be 1 to 4094'),
    (dict(VXLAN, network_type='flat'), {}, 'physical_network: is required'),
    (dict(VXLAN, network_type='flat', physical_network='p'), {'interface_mappings': {'q': 'eth1'}},
     'physical_interface_mappings: has no entry for physical network p'),
])
def test_segment_errors_name_the_field(network, kwargs, message):
    with pytest.raises(ValidationError, match=message):
        segments.segment(network, **kwargs)


def test_plan_from_nothing():
    assert segments.plan(vx_segment(), links(link('eth0')), []) == [
        ['ip', 'link', 'add', 'brq9a8b7c6d-00', 'type', 'bridge'],
        ['ip', 'link', 'set', 'brq9a8b7c6d-00', 'up'],
        ['ip', 'link', 'add', 'vxlan-1001', 'type', 'vxlan', 'id', '1001', 'local', '10.81.0.11',
         'dstport', '4789', 'nolearning'],
        ['ip', 'link', 'set', 'vxlan-1001', 'mtu', '1450'],
        ['ip', 'link', 'set', 'vxlan-1001', 'master', 'brq9a8b7c6d-00'],
        ['ip', 'link', 'set', 'vxlan-1001', 'up'],
        ['bridge', 'fdb', 'append', '00:00:00:00:00:00', 'dev', 'vxlan-1001', 'dst', '10.81.0.12'],
        ['bridge', 'fdb', 'append', '00:00:00:00:00:00', 'dev', 'vxlan-1001', 'dst', '10.81.0.13'],
    ]


GOOD_VXLAN = dict(id=1001, local='10.81.0.11', port=4789, learning=False)


def test_plan_of_a_plugged_host_is_empty_and_peers_follow_inventory():
    have = links(link('brq9a8b7c6d-00', 'bridge', mtu=1450),
                 link('vxlan-1001', 'vxlan', 'brq9a8b7c6d-00', mtu=1450, data=GOOD_VXLAN))
    assert segments.plan(vx_segment(), have, ['10.81.0.12', '10.81.0.13']) == []
    # a host left the inventory, another joined
    assert segments.plan(vx_segment(('10.81.0.12', '10.81.0.14')), have, ['10.81.0.12', '10.81.0.13']) == [
        ['bridge', 'fdb', 'append', '00:00:00:00:00:00', 'dev', 'vxlan-1001', 'dst', '10.81.0.14'],
        ['bridge', 'fdb', 'del', '00:00:00:00:00:00', 'dev', 'vxlan-1001', 'dst', '10.81.0.13'],
    ]


def test_plan_recreates_a_vxlan_device_of_other_settings():
    have = links(link('brq9a8b7c6d-00', 'bridge'),
                 link('vxlan-1001', 'vxlan', 'brq9a8b7c6d-00', mtu=1450, data=dict(GOOD_VXLAN, local='10.0.0.1')))
    commands = segments.plan(vx_segment(), have, ['10.81.0.12'])
    assert commands[0] == ['ip', 'link', 'del', 'vxlan-1001']
    assert commands[1][:4] == ['ip', 'link', 'add', 'vxlan-1001']
    # a new device has no entries: both peers are added
    assert sum(1 for c in commands if c[:3] == ['bridge', 'fdb', 'append']) == 2


def test_flat_and_vlan_plans():
    flat = segments.segment(dict(VXLAN, network_type='flat', physical_network='physnet1'),
                            interface_mappings={'physnet1': 'eth1'})
    assert segments.plan(flat, links(link('eth1', up=False)), [])[-2:] == [
        ['ip', 'link', 'set', 'eth1', 'master', 'brq9a8b7c6d-00'], ['ip', 'link', 'set', 'eth1', 'up']]
    with pytest.raises(ValidationError, match='interface eth1 does not exist'):
        segments.plan(flat, links(), [])
    vlan = segments.segment(dict(VXLAN, network_type='vlan', physical_network='physnet1', segmentation_id=42),
                            interface_mappings={'physnet1': 'averylonginterf'})
    assert vlan['device'] == 'averylongint.42'
    assert ['ip', 'link', 'add', 'link', 'averylonginterf', 'name', 'averylongint.42', 'type', 'vlan',
            'id', '42'] in segments.plan(vlan, links(link('averylonginterf')), [])


def test_flat_on_an_operator_bridge_creates_nothing():
    flat = segments.segment(dict(VXLAN, network_type='flat', physical_network='ext'),
                            bridge_mappings={'ext': 'br-ext'})
    assert flat['bridge'] == 'br-ext' and flat['device'] is None
    assert segments.plan(flat, links(link('br-ext', 'bridge')), []) == []
    with pytest.raises(ValidationError, match='bridge_mappings: bridge br-ext'):
        segments.plan(flat, links(), [])


def test_ensure_runs_the_plan_and_check_mode_does_not():
    calls = []
    state = json.dumps([link('eth0')])

    def runner(argv):
        calls.append(argv)
        return 0, state if argv[:2] == ['ip', '-d'] else '', ''

    planned = segments.ensure(runner, vx_segment(), check_mode=True)
    assert calls == [['ip', '-d', '-j', 'link', 'show']] and len(planned) == 8
    calls[:] = []
    assert segments.ensure(runner, vx_segment()) == planned
    assert calls[1:] == planned


def test_a_failed_command_is_reported():
    def runner(argv):
        return (0, '[]', '') if argv[:2] == ['ip', '-d'] else (2, '', 'RTNETLINK answers: Operation not permitted')
    with pytest.raises(segments.SegmentError, match='ip link add brq9a8b7c6d-00 type bridge failed .rc 2.: '
                                                    'RTNETLINK answers: Operation not permitted'):
        segments.ensure(runner, vx_segment())
