# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The server as lists show it, from its record."""

from ansible_collections.novalite.compute.plugins.module_utils.compute import server_list

from test_server_record import full_record


def test_compact_server():
    compact = server_list.compact_server(full_record())
    assert compact == {
        'id': '0b1c7e8e-94b0-4d5d-8d65-2b0c2b9f8c11', 'name': 'web 1', 'project_id': 'demo',
        'user_id': 'demo-user',
        'flavor': {'name': 'm1.nano', 'vcpus': 1, 'memory_mb': 128, 'root_gb': 1,
                   'ephemeral_gb': 0, 'swap': 0},
        'vm_state': 'active', 'task_state': None, 'power_state': 1,
        'instance_group': {'uuid': 'g1', 'name': 'web', 'policy': 'anti-affinity'},
        'key_name': 'demo', 'metadata_items': 8,
        'addresses': {'private': [{'addr': '10.254.0.10', 'mac': 'fa:16:3e:00:00:01'}]},
    }


def test_a_record_without_flavor_or_ports_lists_empty_ones():
    assert server_list.flavor_summary(None) == dict.fromkeys(server_list.FLAVOR_SUMMARY_KEYS)
    assert server_list.listed_server({'uuid': 'u'}, dict)['addresses'] == {}


def test_addresses_group_by_network_in_port_order_and_skip_none():
    ports = [{'network_name': 'a', 'fixed_ip': '1'}, {'network_name': 'b', 'fixed_ip': '2'},
             {'network_name': 'a', 'fixed_ip': '3'}, {'network_name': 'a', 'fixed_ip': None}]
    found = server_list.addresses(ports, lambda port: port['fixed_ip'])
    assert found == {'a': ['1', '3'], 'b': ['2']}
