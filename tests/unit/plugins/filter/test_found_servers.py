# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.novalite.compute.plugins.filter.found_servers import found_servers
from ansible_collections.novalite.compute.plugins.filter.uuids_for_rows import uuids_for_rows

BOX = {'uuid': '6e6f7661-0000-4000-8000-000000000001', 'hostname': 'box'}
WEB = {'uuid': 'u-1', 'name': 'web', 'host': 'built-as-hv1'}
DB = {'uuid': 'u-2', 'name': 'db', 'host': 'built-as-hv1'}


def hypervisor(name, servers, identity=BOX):
    return {'inventory_hostname': name,
            'find_server_found': {'servers': servers, 'hypervisor': identity, 'changed': False}}


def test_servers_are_homed_where_found_and_kept_once():
    answer = found_servers([hypervisor('renamed', [WEB, DB]), hypervisor('alias', [WEB, DB]),
                            {'inventory_hostname': 'unreachable'},
                            {'inventory_hostname': 'failed', 'find_server_found': {'failed': True}}],
                           ['web', 'u-2', 'nope'])
    assert [(s['name'], s['host'], s['hypervisor_uuid']) for s in answer['servers']] == [
        ('web', 'renamed', BOX['uuid']), ('db', 'renamed', BOX['uuid'])]
    assert answer['missing'] == ['nope']
    assert answer['ambiguous'] == {}
    # The name found and the identifier not found may have servers on other hypervisors.
    assert answer['unsettled'] == ['web', 'nope']


def test_a_name_of_two_servers_is_ambiguous():
    twin = dict(WEB, uuid='u-3')
    answer = found_servers([hypervisor('hv1', [WEB]), hypervisor('hv2', [twin], {'uuid': 'h2'})],
                           'web')
    assert answer['ambiguous'] == {'web': ['u-1', 'u-3']} and answer['missing'] == []


def test_a_bad_identifier_is_refused_naming_the_variable():
    with pytest.raises(AnsibleFilterError, match='novalite_server_id: must be a server uuid or name'):
        found_servers([hypervisor('hv1', [WEB])], [{'name': 'web'}])


def test_only_uuids_are_placed_from_the_rows():
    uuid = '6e6f7661-0000-4000-8000-0000000000aa'
    assert uuids_for_rows(uuid) == [uuid]
    assert uuids_for_rows([uuid, 'web']) == []
    assert uuids_for_rows(None) == []
    with pytest.raises(AnsibleFilterError, match='uuids_for_rows: novalite_server_id: must be a server uuid or name'):
        uuids_for_rows([{'name': 'web'}])
