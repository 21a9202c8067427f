# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `servers` of hypervisor_info: one host's servers as a small table, and back.

A list of dicts repeats every key, project, user and flavor once a server (about 0.5 KB each,
26 KB at 50 servers). The table names each column once, keeps the values servers share
(projects, users, flavors, [vm_state, task_state] pairs, networks, security group lists) in
lists the rows point into, and leaves out the uuid and the server group: both already are the keys and values of
the host state's `instances`.
Row i is the server with the i-th smallest uuid among `instances` that are not in-flight
claims, so the pairing survives anything that reorders a dict's keys (a fact cache that sorts
them).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

COLUMNS = ('name', 'project_id', 'user_id', 'flavor', 'states', 'addresses', 'security_groups')
FLAVOR_KEYS = ('name', 'vcpus', 'memory_mb', 'root_gb', 'ephemeral_gb', 'swap')
# Column -> the table's list of shared values its cells point into.
SHARED = {'project_id': 'projects', 'user_id': 'users', 'flavor': 'flavors', 'states': 'states',
          'security_groups': 'group_lists'}


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
        flavor = rec.get('flavor') or {}
        addresses = [[_index(table['networks'], port.get('network_name')), port.get('fixed_ip')]
                     for port in rec.get('ports') or []]
        table['rows'].append([
            rec.get('name'),
            _index(table['projects'], rec.get('project_id')),
            _index(table['users'], rec.get('user_id')),
            _index(table['flavors'], {key: flavor.get(key) for key in FLAVOR_KEYS}),
            _index(table['states'], [rec.get('vm_state'), rec.get('task_state')]), addresses,
            _index(table['group_lists'], sorted(rec.get('security_groups') or []))])
    return table


def table_server_ids(host_state):
    """The uuids the table's rows belong to, in row order."""
    claimed = {claim.get('instance_uuid') for claim in host_state.get('claims') or []}
    return sorted(uuid for uuid in host_state.get('instances') or {} if uuid not in claimed)


def _addresses(cells, networks):
    addresses = {}
    for network, addr in cells or []:
        addresses.setdefault(networks[network], []).append({'addr': addr})
    return addresses


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
    columns = table['columns']
    servers = []
    for uuid, row in zip(ids, rows):
        server = dict(zip(columns, row))
        for column, shared in SHARED.items():
            server[column] = table[shared][server[column]]
        group = host_state['instances'][uuid]
        server['vm_state'], server['task_state'] = server.pop('states')
        server.update(id=uuid, host=host_state.get('host'),
                      instance_group={'uuid': group} if group else None,
                      addresses=_addresses(server.get('addresses'), table['networks']))
        servers.append(server)
    return servers
