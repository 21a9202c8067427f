# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""hypervisor_network on libvirt's test driver, with ip, bridge and nft recorded (the real
commands run in tests/integration/test_firewall_real.py and on the testbed)."""

import json

import pytest
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.novalite.compute.plugins.modules import hypervisor_network
from libvirt_helpers import TEST_URI
from module_runner import open_test_driver, run_module

NETWORKS = [
    {'id': '5f0c3a6e-8d2b-4d6e-9a51-2c3b6a1e0f01', 'name': 'private', 'cidr': '10.254.0.0/24',
     'libvirt_network': 'novalite-private'},
    {'id': '9a8b7c6d-0000-4000-8000-000000000001', 'name': 'tenant', 'cidr': '10.82.0.0/24',
     'network_type': 'vxlan', 'segmentation_id': 1001},
]


class Host(object):
    def __init__(self, plugged=False):
        self.calls, self.plugged = [], plugged

    def links(self):
        links = [{'ifname': 'eth0', 'flags': ['UP'], 'mtu': 1500}]
        if self.plugged:
            links += [{'ifname': 'brq9a8b7c6d-00', 'flags': ['UP'], 'mtu': 1450,
                       'linkinfo': {'info_kind': 'bridge'}},
                      {'ifname': 'vxlan-1001', 'flags': ['UP'], 'mtu': 1450, 'master': 'brq9a8b7c6d-00',
                       'linkinfo': {'info_kind': 'vxlan', 'info_data': {
                           'id': 1001, 'local': '10.81.0.11', 'port': 4789, 'learning': False}}}]
        return links

    def run_command(self, args, **kwargs):
        self.calls.append(list(args))
        if args[:2] == ['ip', '-d']:
            return 0, json.dumps(self.links()), ''
        if args[:2] == ['bridge', '-j']:
            return 0, json.dumps([{'mac': '00:00:00:00:00:00', 'dst': '10.81.0.12'}]), ''
        if args[:2] == ['nft', 'list']:
            return 0, '', ''
        return 0, '', ''


@pytest.fixture
def host(monkeypatch):
    conn = open_test_driver()   # keeps test:///default's state across the runs
    fake = Host()
    monkeypatch.setattr(AnsibleModule, 'run_command', lambda module, args, **kw: fake.run_command(args, **kw))
    yield fake
    conn.close()


def args(tmp_path, **over):
    data = {'uri': TEST_URI, 'state_path': str(tmp_path), 'networks': NETWORKS,
            'local_ip': '10.81.0.11', 'vxlan_peers': ['10.81.0.11', '10.81.0.12']}
    data.update(over)
    return data


def test_plugs_only_the_segment_networks(host, tmp_path, capsys):
    planned = run_module(hypervisor_network, args(tmp_path), capsys, check_mode=True)
    assert planned['changed'] is True and set(planned['plugged']) == {'tenant'}
    assert not any(c[:3] == ['ip', 'link', 'add'] for c in host.calls)   # check mode ran nothing
    done = run_module(hypervisor_network, args(tmp_path), capsys)
    assert done['plugged'] == planned['plugged'] and done['firewall_changed'] is False
    assert ['ip', 'link', 'add', 'brq9a8b7c6d-00', 'type', 'bridge'] in host.calls
    host.plugged = True
    again = run_module(hypervisor_network, args(tmp_path), capsys)
    assert again == dict(again, changed=False, plugged={'tenant': []})


def test_security_groups_write_the_ruleset_once(host, tmp_path, capsys):
    host.plugged = True
    groups = [{'id': 'sg-1', 'name': 'default', 'rules': []}]
    first = run_module(hypervisor_network, args(tmp_path, security_groups=groups), capsys)
    assert first['changed'] is True and first['firewall_changed'] is True
    assert ['nft', '-f', str(tmp_path / 'firewall.nft.new')] in host.calls
    assert 'table inet novalite {' in (tmp_path / 'firewall.nft').read_text()
    second = run_module(hypervisor_network, args(tmp_path, security_groups=groups), capsys)
    assert second['changed'] is False


def test_errors_name_the_setting(host, tmp_path, capsys):
    failed = run_module(hypervisor_network, args(tmp_path, local_ip=None), capsys)
    assert failed['failed'] and failed['msg'] == 'local_ip: is required on a host with a vxlan network'
    bad = [{'id': 'sg-1', 'name': 'web', 'rules': [{'direction': 'sideways'}]}]
    failed = run_module(hypervisor_network, args(tmp_path, security_groups=bad), capsys)
    assert failed['msg'].startswith('security_groups[web].rules[2].direction: must be ingress or egress')
