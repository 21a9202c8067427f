# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

import json

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record as sr
from ansible_collections.novalite.compute.plugins.module_utils.compute.server_table import (
    expand_servers, server_table, table_server_ids)

SMALL = {'id': '1', 'name': 'm1.small', 'vcpus': 1, 'memory_mb': 512, 'root_gb': 1,
         'ephemeral_gb': 0, 'swap': 0, 'extra_specs': {'hw:cpu_policy': 'shared'}}
LARGE = dict(SMALL, id='2', name='m1.large', vcpus=4, memory_mb=4096, root_gb=10)


def record(uuid, name, project, flavor=None, group=None, ports=(), **over):
    return sr.new_record(uuid=uuid, name=name, project_id=project, user_id='u-' + project,
                         flavor=dict(flavor or SMALL), instance_group={'uuid': group} if group else None,
                         ports=list(ports), vm_state='active', **over)


def port(network, addr):
    return {'network_name': network, 'fixed_ip': addr, 'mac': 'fa:16:3e:00:00:01'}


RECORDS = [
    record('cc', 'web-3', 'p1', LARGE, ports=[port('private', '10.0.0.3'), port('public', '192.0.2.3')],
           security_groups=['web', 'default']),
    record('aa', 'web-1', 'p1', group='g1', ports=[port('private', '10.0.0.1')]),
    record('bb', 'web-2', 'p2', group='g1', task_state='rebooting'),
]


def host_state(records, claims=()):
    instances = {rec['uuid']: (rec.get('instance_group') or {}).get('uuid') for rec in records}
    instances.update((c['instance_uuid'], None) for c in claims)
    return {'host': 'hv1', 'instances': instances, 'claims': list(claims)}


def test_rows_share_projects_users_flavors_and_networks():
    table = server_table(RECORDS)
    assert table['projects'] == ['p1', 'p2'] and table['users'] == ['u-p1', 'u-p2']
    assert [f['name'] for f in table['flavors']] == ['m1.small', 'm1.large']
    assert 'extra_specs' not in table['flavors'][0]
    assert table['networks'] == ['private', 'public']
    # sorted by uuid; no uuid or group in a row: the host state's instances hold them
    assert [row[0] for row in table['rows']] == ['web-1', 'web-2', 'web-3']
    assert table['states'] == [['active', None], ['active', 'rebooting']]
    assert table['group_lists'] == [[], ['default', 'web']]
    assert table['rows'][1] == ['web-2', 1, 1, 0, 1, [], 0]
    assert table['rows'][2] == ['web-3', 0, 0, 1, 0, [[0, '10.0.0.3'], [1, '192.0.2.3']], 1]


def test_expand_gives_every_server_back():
    servers = expand_servers(host_state(RECORDS), server_table(RECORDS))
    by_id = {server['id']: server for server in servers}
    assert sorted(by_id) == ['aa', 'bb', 'cc']
    assert by_id['cc'] == {
        'id': 'cc', 'host': 'hv1', 'name': 'web-3', 'project_id': 'p1', 'user_id': 'u-p1',
        'flavor': {'name': 'm1.large', 'vcpus': 4, 'memory_mb': 4096, 'root_gb': 10,
                   'ephemeral_gb': 0, 'swap': 0},
        'vm_state': 'active', 'task_state': None, 'instance_group': None,
        'addresses': {'private': [{'addr': '10.0.0.3'}], 'public': [{'addr': '192.0.2.3'}]},
        'security_groups': ['default', 'web']}
    assert by_id['bb']['instance_group'] == {'uuid': 'g1'} and by_id['bb']['addresses'] == {}
    assert by_id['bb']['task_state'] == 'rebooting' and by_id['bb']['project_id'] == 'p2'


def test_pairing_survives_a_cache_that_reorders_keys():
    state = host_state(RECORDS)
    state['instances'] = dict(reversed(list(state['instances'].items())))
    cached = json.loads(json.dumps(state, sort_keys=True))
    table = json.loads(json.dumps(server_table(RECORDS), sort_keys=True))
    assert [(s['id'], s['name']) for s in expand_servers(cached, table)] == \
        [('aa', 'web-1'), ('bb', 'web-2'), ('cc', 'web-3')]


def test_claims_have_no_row():
    claims = [{'instance_uuid': 'ab', 'vcpus': 1, 'memory_mb': 64, 'disk_gb': 1}]
    state = host_state(RECORDS, claims)
    assert table_server_ids(state) == ['aa', 'bb', 'cc']
    assert [s['name'] for s in expand_servers(state, server_table(RECORDS))] == ['web-1', 'web-2', 'web-3']


def test_a_table_of_another_moment_is_refused():
    with pytest.raises(ValueError, match='servers of host hv1: 2 rows for 3 servers'):
        expand_servers(host_state(RECORDS), server_table(RECORDS[:2]))


def test_no_servers():
    assert expand_servers({'host': 'hv1', 'instances': {}, 'claims': []}, server_table([])) == []
