# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The server as lists and views show it, from its record (server_record.py).

server_info's compact entry, hypervisor_info's servers table (server_table.py, and the
hypervisor_servers filter that expands it) and the server_view filter all derive what they
show from these. Plain dicts only: the filters and the fleet_report action plugin run in the
controller's process, where server_record's XML codec would load libvirt and lxml for
nothing.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


# What a server list shows of the flavor.
FLAVOR_SUMMARY_KEYS = ('name', 'vcpus', 'memory_mb', 'root_gb', 'ephemeral_gb', 'swap')


def flavor_summary(flavor):
    """The record's flavor as a server list shows it (FLAVOR_SUMMARY_KEYS)."""
    flavor = flavor or {}
    return {key: flavor.get(key) for key in FLAVOR_SUMMARY_KEYS}


def addresses(ports, entry):
    """Nova's `addresses` of a server: network name -> [entry(port)], in port order; a port
    for which `entry` returns None is left out."""
    found = {}
    for port in ports or []:
        item = entry(port)
        if item is not None:
            found.setdefault(port.get('network_name'), []).append(item)
    return found


def listed_server(record, address):
    """What every list of servers shows of one: `{id, name, project_id, user_id, flavor,
    vm_state, task_state, addresses}`, each address `address(port)`."""
    return {
        'id': record.get('uuid'),
        'name': record.get('name'),
        'project_id': record.get('project_id'),
        'user_id': record.get('user_id'),
        'flavor': flavor_summary(record.get('flavor')),
        'vm_state': record.get('vm_state'),
        'task_state': record.get('task_state'),
        'addresses': addresses(record.get('ports'), address),
    }


def compact_server(record):
    """The compact entry of server_info (`detailed: false`): what a server list shows."""
    server = listed_server(record, lambda port: {'addr': port.get('fixed_ip'), 'mac': port.get('mac')})
    server.update(power_state=record.get('power_state'),
                  instance_group=record.get('instance_group'),
                  key_name=record.get('key_name'),
                  metadata_items=len(record.get('metadata') or {}))
    return server
