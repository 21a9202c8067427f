# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `servers` of hypervisor_info: one host's servers as a small table, and back.

A list of dicts repeats every key, project, user and flavor once a server (about 0.5 KB each,
26 KB at 50 servers). The table names each column once, keeps the values servers share
(projects, users, flavors, [vm_state, task_state] pairs, networks, security group lists) in
lists the rows point into, and leaves out the uuid and the server group: both already are the
keys and values of the host state's `instances`.
Row i is the server with the i-th smallest uuid among `instances` that are not in-flight
claims, so the pairing survives anything that reorders a dict's keys (a fact cache that sorts
them).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.novalite.compute.plugins.module_utils.compute.server_list import (
    flavor_summary, listed_server)

COLUMNS = ('name', 'project_id', 'user_id', 'flavor', 'states', 'addresses', 'security_groups')


def _index(values, value):
    """Position of `value` in `values`, appended when new."""
    if value not in values:
        values.append(value)
    return values.index(value)


def server_table(records):
    """The table of `records` (server_record dicts, the servers holding resources)."""
    table = {'columns': list(COLUMNS), 'projects': [], 'users': [], 'flavors': [], 'states': [],
             'networks': [], 'group_lists': [], 'rows': []}
    for rec in sorted(records, key=lambda rec: rec['uuid']):
        addresses = [[_index(table['networks'], port.get('network_name')), port.get('fixed_ip')]
                     for port in rec.get('ports') or []]
        table['rows'].append([
            rec.get('name'),
            _index(table['projects'], rec.get('project_id')),
            _index(table['users'], rec.get('user_id')),
            _index(table['flavors'], flavor_summary(rec.get('flavor'))),
            _index(table['states'], [rec.get('vm_state'), rec.get('task_state')]), addresses,
            _index(table['group_lists'], sorted(rec.get('security_groups') or []))])
    return table


def table_server_ids(host_state):
    """The uuids the table's rows belong to, in row order."""
    claimed = {claim.get('instance_uuid') for claim in host_state.get('claims') or []}
    return sorted(uuid for uuid in host_state.get('instances') or {} if uuid not in claimed)


def _row_record(uuid, row, table):
    """The part of a server record a row keeps (server_list.listed_server reads it)."""
    cells = dict(zip(table['columns'], row))
    vm_state, task_state = table['states'][cells['states']]
    return {'uuid': uuid, 'name': cells['name'],
            'project_id': table['projects'][cells['project_id']],
            'user_id': table['users'][cells['user_id']],
            'flavor': table['flavors'][cells['flavor']],
            'vm_state': vm_state, 'task_state': task_state,
            'ports': [{'network_name': table['networks'][network], 'fixed_ip': addr}
                      for network, addr in cells['addresses'] or []],
            'security_groups': table['group_lists'][cells['security_groups']]}


def expand_servers(host_state, table):
    """The host's servers as dicts: `{id, host, name, project_id, user_id, flavor, vm_state,
    task_state, instance_group: {uuid} or None, addresses: {network: [{addr}]},
    security_groups: [names]}`.

    Raises ValueError when the table does not belong to the host state (a stale one)."""
    ids = table_server_ids(host_state)
    rows = (table or {}).get('rows') or []
    if len(ids) != len(rows):
        raise ValueError('servers of host %s: %d rows for %d servers in host_state.instances'
                         % (host_state.get('host'), len(rows), len(ids)))
    servers = []
    for uuid, row in zip(ids, rows):
        record = _row_record(uuid, row, table)
        server = listed_server(record, lambda port: {'addr': port['fixed_ip']})
        group = host_state['instances'][uuid]
        server.update(host=host_state.get('host'), instance_group={'uuid': group} if group else None,
                      security_groups=record['security_groups'])
        servers.append(server)
    return servers
