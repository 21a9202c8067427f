# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build rounds: assignments and rescheduling to alternates."""

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.conductor import manager as conductor

INSTANCES = [{'uuid': 'u1', 'name': 'web-1'}, {'uuid': 'u2', 'name': 'web-2'}]
SELECTIONS = [
    [{'host': 'hv1'}, {'host': 'hv2'}, {'host': 'hv3'}],
    [{'host': 'hv2'}, {'host': 'hv3'}],
]


def ok(host, inst):
    return host, {'instance_uuid': inst['uuid'], 'changed': True,
                  'server': {'uuid': inst['uuid'], 'name': inst['name']}}


def failed(host, inst, msg, reschedule=True):
    return host, {'instance_uuid': inst['uuid'], 'failed': True, 'msg': msg, 'reschedule': reschedule}


def hosts_results(*entries):
    """What each host's server_build (with `servers`) registered: one entry of builds a server."""
    results = {}
    for host, entry in entries:
        results.setdefault(host, {'host': host, 'builds': []})['builds'].append(entry)
    return results


def test_first_round_is_the_selected_hosts():
    state = conductor.initial_state(INSTANCES)
    assert state['pending'] == {'u1': 0, 'u2': 0}
    assert conductor.assignments(state, INSTANCES, SELECTIONS) == {
        'hv1': [INSTANCES[0]], 'hv2': [INSTANCES[1]]}


def test_built_servers_are_kept_and_nothing_is_pending():
    state = conductor.initial_state(INSTANCES)
    after = conductor.collect(state, INSTANCES, SELECTIONS, hosts_results(ok('hv1', INSTANCES[0]), ok('hv2', INSTANCES[1])))
    assert [s['uuid'] for s in after['built']] == ['u1', 'u2']
    assert after['pending'] == {} and after['failures'] == []
    assert conductor.assignments(after, INSTANCES, SELECTIONS) == {}


def test_a_reschedulable_failure_moves_to_the_next_alternate():
    state = conductor.initial_state(INSTANCES)
    after = conductor.collect(state, INSTANCES, SELECTIONS,
                              hosts_results(failed('hv1', INSTANCES[0], 'claim refused'), ok('hv2', INSTANCES[1])))
    assert after['pending'] == {'u1': 1}
    assert after['errors'] == {'u1': ['hv1: claim refused']}
    assert conductor.assignments(after, INSTANCES, SELECTIONS) == {'hv2': [INSTANCES[0]]}
    third = conductor.collect(after, INSTANCES, SELECTIONS, hosts_results(failed('hv2', INSTANCES[0], 'image missing')))
    assert conductor.assignments(third, INSTANCES, SELECTIONS) == {'hv3': [INSTANCES[0]]}


def test_a_failure_no_host_can_fix_is_final():
    state = conductor.initial_state(INSTANCES)
    after = conductor.collect(state, INSTANCES, SELECTIONS,
                              hosts_results(failed('hv1', INSTANCES[0], 'bad user_data', reschedule=False),
                                            ok('hv2', INSTANCES[1])))
    assert after['pending'] == {}
    assert after['failures'] == ['Build of web-1 (u1) failed after 1 attempt(s): hv1: bad user_data']


def test_running_out_of_alternates_gives_every_message():
    state = conductor.initial_state(INSTANCES[1:])
    selections = SELECTIONS[1:]
    state = conductor.collect(state, INSTANCES[1:], selections, hosts_results(failed('hv2', INSTANCES[1], 'no room')))
    state = conductor.collect(state, INSTANCES[1:], selections, hosts_results(failed('hv3', INSTANCES[1], 'libvirtd down')))
    assert state['pending'] == {}
    assert state['failures'] == ['Build of web-2 (u2) failed after 2 attempt(s): hv2: no room | hv3: libvirtd down']


def test_the_last_round_reschedules_nothing():
    state = conductor.initial_state(INSTANCES[:1])
    after = conductor.collect(state, INSTANCES[:1], SELECTIONS[:1], hosts_results(failed('hv1', INSTANCES[0], 'no room')),
                              last_round=True)
    assert after['pending'] == {} and len(after['failures']) == 1


def test_a_host_that_did_not_report_counts_as_a_failure_another_host_may_fix():
    state = conductor.initial_state(INSTANCES[:1])
    after = conductor.collect(state, INSTANCES[:1], SELECTIONS[:1], {})
    assert after['pending'] == {'u1': 1}
    assert 'did not report' in after['errors']['u1'][0]


def test_a_failure_of_the_whole_host_task_fails_each_of_its_instances():
    """An unreachable host (or an image it could not get) has no `builds`: each instance it
    was to build failed there, and unreachable is a failure another host may fix."""
    state = conductor.initial_state(INSTANCES)
    after = conductor.collect(state, INSTANCES, SELECTIONS,
                              {'hv1': {'unreachable': True, 'msg': 'ssh: connection refused'},
                               'hv2': {'failed': True, 'msg': 'image cirros is missing', 'host': 'hv2'}})
    assert after['pending'] == {'u1': 1}
    assert after['errors']['u1'] == ['hv1: ssh: connection refused']
    assert after['failures'] == ['Build of web-2 (u2) failed after 1 attempt(s): hv2: image cirros is missing']


def test_an_instance_missing_from_its_hosts_builds_failed_there():
    state = conductor.initial_state(INSTANCES[:1])
    after = conductor.collect(state, INSTANCES[:1], SELECTIONS[:1], {'hv1': {'host': 'hv1', 'builds': []}})
    assert after['built'] == [] and after['pending'] == {}
    assert 'the host gave no result for instance u1' in after['failures'][0]


def test_the_state_before_a_round_is_not_changed():
    state = conductor.initial_state(INSTANCES)
    conductor.collect(state, INSTANCES, SELECTIONS, hosts_results(failed('hv1', INSTANCES[0], 'x'), ok('hv2', INSTANCES[1])))
    assert state == conductor.initial_state(INSTANCES)


def test_fewer_selections_than_instances_is_an_error():
    with pytest.raises(ValueError, match='2 instances but only 1 selections'):
        conductor.assignments(conductor.initial_state(INSTANCES), INSTANCES, SELECTIONS[:1])


def test_an_instance_without_a_zone_gets_its_hosts_zone():
    """Nova's conductor sets the zone of an instance that asked for none from its selected
    host; an instance that asked for one keeps it, and the instances given are not changed."""
    instances = [dict(INSTANCES[0], availability_zone=None), dict(INSTANCES[1], availability_zone='az9')]
    state = conductor.initial_state(instances)
    plan = conductor.assignments(state, instances, SELECTIONS, {'hv1': 'az1', 'hv2': 'az2'})
    assert plan['hv1'][0]['availability_zone'] == 'az1'
    assert plan['hv2'][0]['availability_zone'] == 'az9'
    assert instances[0]['availability_zone'] is None
    # After a failure the next alternate's zone, not the first host's.
    after = conductor.collect(state, instances, SELECTIONS,
                              hosts_results(failed('hv1', instances[0], 'no room'), ok('hv2', instances[1])))
    assert conductor.assignments(after, instances, SELECTIONS, {'hv2': 'az2'}) == {
        'hv2': [dict(instances[0], availability_zone='az2')]}


def test_the_zone_asked_for_stays_in_the_request_spec_when_the_host_zone_is_given():
    """The instance's zone becomes its host's; its request spec keeps what was asked (none),
    which is what a resize schedules with."""
    instances = [dict(INSTANCES[0], availability_zone=None, request_spec={'availability_zone': None})]
    plan = conductor.assignments(conductor.initial_state(instances), instances, SELECTIONS[:1], {'hv1': 'az1'})
    assert plan == {'hv1': [dict(instances[0], availability_zone='az1')]}
    assert plan['hv1'][0]['request_spec'] == {'availability_zone': None}
