# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.api import lookup
from ansible_collections.novalite.compute.plugins.module_utils.errors import ValidationError

WEB1 = {'uuid': 'u-1', 'name': 'web-1', 'host': 'old-name'}
WEB2 = {'uuid': 'u-2', 'name': 'web-2', 'host': 'old-name'}
DB = {'uuid': 'u-3', 'name': 'db', 'host': 'hv2'}
TWIN = {'uuid': 'u-4', 'name': 'db', 'host': 'hv2'}


@pytest.mark.parametrize('value, expected', [
    (None, None), ('', None), ('web-1', ['web-1']), (['web-1', 'u-2'], ['web-1', 'u-2'])])
def test_identifiers_take_one_or_a_list(value, expected):
    assert lookup.identifiers(value) == expected


@pytest.mark.parametrize('value', [[], ['web-1', ''], [1], {'name': 'web-1'}, 3])
def test_identifiers_refuse_what_names_no_server(value):
    with pytest.raises(ValidationError) as exc:
        lookup.identifiers(value)
    assert exc.value.field == 'novalite_server_id'
    assert 'uuid or name' in exc.value.rule


def test_a_bad_pattern_names_the_field_and_the_rule():
    with pytest.raises(ValidationError) as exc:
        lookup.name_pattern('web-(')
    assert (exc.value.field, exc.value.rule) == ('novalite_server_name_pattern',
                                                 'must be a valid regular expression')
    with pytest.raises(ValidationError):
        lookup.name_pattern(['web'], 'name')
    assert lookup.name_pattern('') is None


def test_matches_by_uuid_name_or_pattern_searched_as_nova_does():
    assert lookup.matches(WEB1, None, None)
    assert lookup.matches(WEB1, ['u-1'], None)
    assert lookup.matches(WEB1, ['web-1'], None)
    assert not lookup.matches(WEB2, ['web-1'], None)
    # Nova's name filter is a regular expression searched anywhere in the name
    assert lookup.matches(WEB2, None, lookup.name_pattern('eb-'))
    assert not lookup.matches(DB, None, lookup.name_pattern('^web-'))
    assert lookup.matches(DB, ['db'], lookup.name_pattern('^web-'))


def test_gather_homes_each_server_where_it_was_found_once():
    identity = {'uuid': 'h-1', 'hostname': 'box'}
    found = [('new-name', identity, [WEB1, WEB2]),
             # the same machine under a second inventory name reports the same servers
             ('alias', identity, [WEB1, WEB2]),
             ('hv2', {'uuid': 'h-2', 'hostname': 'box2'}, [DB]),
             ('down', None, None)]
    gathered = lookup.gather(found)
    assert [(r['uuid'], r['host'], r['hypervisor_uuid']) for r in gathered] == [
        ('u-1', 'new-name', 'h-1'), ('u-2', 'new-name', 'h-1'), ('u-3', 'hv2', 'h-2')]
    assert WEB1['host'] == 'old-name'  # the hypervisor's own record is not changed
    assert [r['resize_peer'] for r in gathered] == [None, None, None]


def test_gather_names_the_other_host_of_a_resize_to_another_host():
    """A server between two hosts (a destination in doubt: finished, its `finished` never
    ran) found on either: the other host holds a part of it that a delete removes too."""
    moving = {'migration_type': 'resize', 'status': 'finished', 'source_compute': 'hv1', 'dest_compute': 'hv2'}
    on_dest = {'uuid': 'u-5', 'name': 'moving', 'host': 'hv2', 'task_state': 'resize_finish', 'migration': moving}
    on_source = dict(on_dest, host='hv1', task_state='resize_migrated',
                     migration=dict(moving, status='post-migrating'))
    assert [r['resize_peer'] for r in lookup.gather([('hv2', None, [on_dest]), ('hv1', None, [on_source])])] == ['hv1']
    assert [r['resize_peer'] for r in lookup.gather([('hv1', None, [on_source]), ('hv2', None, [on_dest])])] == ['hv2']


def test_unmatched_and_ambiguous_identifiers():
    records = [WEB1, DB, TWIN]
    assert lookup.unmatched(['web-1', 'u-3', 'nope'], records) == ['nope']
    assert lookup.unmatched(None, records) == []
    assert lookup.ambiguous(['db', 'web-1'], records) == {'db': ['u-3', 'u-4']}
    # a uuid is never ambiguous
    assert lookup.ambiguous(['u-3'], records) == {}


UUID1 = '6f1c0000-0000-4000-8000-000000000001'
UUID2 = '6f1c0000-0000-4000-8000-000000000002'


@pytest.mark.parametrize('ids, expected', [
    ([UUID1], [UUID1]), ([UUID1, UUID2], [UUID1, UUID2]),
    # A name among them: every hypervisor is asked, the rows place nothing.
    ([UUID1, 'web-1'], []), (['web-1'], []), (None, []), ([], [])])
def test_only_a_lookup_by_uuids_starts_from_the_rows(ids, expected):
    assert lookup.uuids_for_rows(ids) == expected


def test_unsettled_are_the_names_and_the_uuids_no_record_holds():
    found = dict(WEB1, uuid=UUID1)
    assert lookup.unsettled([UUID1, UUID2], [found]) == [UUID2]
    # A name found is not settled: another host may hold another server of that name.
    assert lookup.unsettled(['web-1', UUID1], [found]) == ['web-1']
    # A uuid that is only some server's name is not settled either.
    assert lookup.unsettled([UUID2], [dict(DB, name=UUID2)]) == [UUID2]
    assert lookup.unsettled(None, [found]) == []
