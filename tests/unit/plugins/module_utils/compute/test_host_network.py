# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host's firewall ports come from its records and from the in-flight claims, so that two
builds on one host never drop each other's port from the ruleset."""

import libvirt

from ansible_collections.novalite.compute.plugins.module_utils.compute import claims
from ansible_collections.novalite.compute.plugins.module_utils.compute import host_network
from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record
from libvirt_helpers import TEST_URI

FLAVOR = {'vcpus': 1, 'memory_mb': 64, 'root_gb': 1}


def test_ports_of_records_and_of_a_concurrent_build(tmp_path, monkeypatch):
    conn = libvirt.open(TEST_URI)
    record = {'uuid': 'u-1', 'security_groups': ['web'],
              'ports': [{'id': '11111111-aaaa', 'mac': 'fa:16:3e:00:00:01', 'fixed_ip': '10.9.0.5'}]}
    monkeypatch.setattr(server_record, 'list_servers', lambda c: [record])
    state = str(tmp_path)
    with claims.claim(state, 'u-2', FLAVOR, lambda others: []) as held:
        held.save_ports([{'id': '22222222-bbbb', 'mac': 'fa:16:3e:00:00:02', 'fixed_ip': '10.9.0.6',
                          'security_groups': ['default']}])
    ports = host_network.host_ports(conn, state)
    assert ports == [
        {'dev': 'tap11111111-aa', 'mac': 'fa:16:3e:00:00:01', 'ips': ['10.9.0.5'], 'groups': ['web']},
        {'dev': 'tap22222222-bb', 'mac': 'fa:16:3e:00:00:02', 'ips': ['10.9.0.6'], 'groups': ['default']},
    ]
    conn.close()


def test_without_security_groups_the_firewall_is_left_alone(tmp_path):
    def runner(argv):
        raise AssertionError('nothing may run: %s' % argv)
    assert host_network.refresh_firewall(None, runner, str(tmp_path), {'security_groups': None}) is False


def test_bridge_of_each_network_type():
    settings = {'local_ip': '10.81.0.11', 'vxlan_peers': []}
    assert host_network.bridge_of({'network_id': 'n', 'libvirt_network': 'default'}, settings) is None
    assert host_network.bridge_of({'network_id': 'n', 'bridge': 'br0'}, settings) == 'br0'
    assert host_network.bridge_of({'network_id': 'abcdef', 'segmentation_id': 5}, settings) == 'brqabcdef'
