# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.novalite.compute.plugins.filter.hypervisor_servers import (
    FilterModule, hypervisor_servers)
from ansible_collections.novalite.compute.plugins.module_utils.compute.server_record import new_record
from ansible_collections.novalite.compute.plugins.module_utils.compute.server_table import server_table


def host(name, uuids):
    records = [new_record(uuid=uuid, name='vm-' + uuid, project_id='p', user_id='u',
                          flavor={'name': 'm1.nano', 'vcpus': 1, 'memory_mb': 128})
               for uuid in uuids]
    return {'host': name, 'instances': dict.fromkeys(uuids), 'claims': []}, server_table(records)


def test_servers_of_every_host_in_one_list():
    (state1, table1), (state2, table2) = host('hv1', ['a', 'b']), host('hv2', ['c'])
    servers = FilterModule().filters()['hypervisor_servers']([state1, state2], [table1, table2])
    assert [(s['host'], s['id'], s['name']) for s in servers] == \
        [('hv1', 'a', 'vm-a'), ('hv1', 'b', 'vm-b'), ('hv2', 'c', 'vm-c')]


def test_tables_and_host_states_must_pair():
    state, table = host('hv1', ['a'])
    with pytest.raises(AnsibleFilterError, match='2 host states but 1 servers tables'):
        hypervisor_servers([state, state], [table])


def test_a_stale_table_is_an_error_naming_the_host():
    state, _table = host('hv1', ['a', 'b'])
    with pytest.raises(AnsibleFilterError, match='servers of host hv1: 1 rows for 2 servers'):
        hypervisor_servers([state], [host('hv1', ['a'])[1]])
