# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start, stop and reboot against libvirt's test:///default driver: the state machine, the
record and its instance actions, the refusals and the failure paths."""

import os
import threading
import time

import libvirt
import pytest

from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record as sr
from ansible_collections.novalite.compute.plugins.module_utils.compute.lifecycle import (
    LifecycleError, ServerAction, instance_lock, server_action,
)

from libvirt_fixtures import connect_test_driver
from libvirt_helpers import minimal_xml, unique_name
from libvirt_helpers import remove_domain

FAST = dict(shutdown_timeout=2, reboot_timeout=1, start_timeout=5)


class Guest(object):
    """A real test-driver domain standing for a guest: `deaf` ignores the ACPI power button,
    `broken` fails to start, `dies` stops right after it started; `task_states` are the
    record's task states seen at each press."""

    def __init__(self, dom, deaf=False, broken=False, dies=False):
        self._dom = dom
        self.deaf, self.broken, self.dies = deaf, broken, dies
        self.task_states = []

    def shutdown(self):
        self.task_states.append(sr.read_record(self._dom)['task_state'])
        if not self.deaf:
            self._dom.shutdown()

    def create(self):
        if self.broken:
            raise libvirt.libvirtError('guest failed to start')
        started = self._dom.create()
        if self.dies:
            self._dom.destroy()
        return started

    def __getattr__(self, name):
        return getattr(self._dom, name)


@pytest.fixture
def conn():
    return connect_test_driver()


@pytest.fixture
def make_server(conn):
    """make_server(vm_state, running=True, **record values) -> the domain with its record."""
    names = []

    def make(vm_state='active', running=True, **values):
        name = unique_name('lc')
        names.append(name)
        dom = conn.defineXML(minimal_xml(name))
        if running:
            dom.create()
        record = sr.new_record(uuid=dom.UUIDString(), name=name, host='hv1',
                               vm_state=vm_state, **values)
        sr.write_record(dom, record)
        return dom

    yield make
    for name in names:
        remove_domain(conn, name)


def act(dom, action, check_mode=False, **params):
    params = dict(FAST, action=action, **params)
    return ServerAction(dom, params, check_mode=check_mode).run()


def assert_recorded(result, dom, action, outcome='Success'):
    """The last instance action is `action` with its one event, closed with `outcome`, and
    the domain holds the record the result (when there is one) shows; returns the record."""
    record = sr.read_record(dom)
    if result is not None:
        assert record == result['server']
    entry = record['actions'][-1]
    assert entry['action'] == action and entry['request_id'].startswith('req-')
    assert entry['finish_time'] and entry['start_time'] <= entry['finish_time']
    assert entry['message'] == (None if outcome == 'Success' else 'Error')
    (event,) = entry['events']
    assert event['event'] == 'compute_%s_instance' % action
    assert event['result'] == outcome and event['finish_time'] == entry['finish_time']
    return record


def test_stop_then_start(make_server):
    dom = make_server('active')
    guest = Guest(dom)
    stopped = act(guest, 'stop')
    assert stopped['changed'] and not stopped['warnings']
    assert guest.task_states == ['powering-off']  # the record said so while it worked
    assert stopped['transition'] == {
        'before': {'vm_state': 'active', 'task_state': None, 'power_state': sr.RUNNING},
        'after': {'vm_state': 'stopped', 'task_state': None, 'power_state': sr.SHUTDOWN}}
    assert not dom.isActive()
    assert_recorded(stopped, dom, 'stop')
    started = act(dom, 'start', request_id='req-fixed')
    assert started['transition']['after'] == {'vm_state': 'active', 'task_state': None,
                                              'power_state': sr.RUNNING}
    assert dom.isActive() and started['instance_action']['request_id'] == 'req-fixed'
    record = assert_recorded(started, dom, 'start')
    assert [a['action'] for a in record['actions']] == ['stop', 'start']


def test_start_and_stop_are_no_ops_when_already_there(make_server):
    for vm_state, running, action in (('active', True, 'start'), ('stopped', False, 'stop')):
        dom = make_server(vm_state, running=running)
        before = sr.read_record(dom)
        for check_mode in (True, False):
            result = act(dom, action, check_mode=check_mode)
            assert not result['changed'] and result['instance_action'] is None
            assert result['transition']['before'] == result['transition']['after']
        assert sr.read_record(dom) == before
        assert dom.isActive() == running


@pytest.mark.parametrize('vm_state, running, action, reboot_type, attr, value', [
    ('error', False, 'start', 'SOFT', 'vm_state', 'error'),
    ('building', True, 'stop', 'SOFT', 'vm_state', 'building'),
    ('stopped', False, 'reboot', 'SOFT', 'vm_state', 'stopped'),
    ('building', True, 'reboot', 'HARD', 'vm_state', 'building'),
])
def test_nova_refuses_the_action_in_this_state(make_server, vm_state, running, action,
                                               reboot_type, attr, value):
    dom = make_server(vm_state, running=running)
    before = sr.read_record(dom)
    for check_mode in (True, False):
        with pytest.raises(LifecycleError) as err:
            act(dom, action, check_mode=check_mode, reboot_type=reboot_type)
        assert str(err.value) == ("Cannot '%s' instance %s while it is in %s %s"
                                  % (action, dom.UUIDString(), attr, value))
    assert sr.read_record(dom) == before and dom.isActive() == running


def test_another_task_under_way_is_refused(make_server):
    dom = make_server('active', task_state='spawning')
    with pytest.raises(LifecycleError, match="while it is in task_state spawning"):
        act(dom, 'stop')
    assert dom.isActive()


def test_check_mode_reports_the_transition_and_changes_nothing(make_server):
    dom = make_server('active')
    before = sr.read_record(dom)
    predicted = act(dom, 'stop', check_mode=True)
    assert predicted['changed'] and predicted['instance_action'] is None
    assert predicted['transition']['after'] == {'vm_state': 'stopped', 'task_state': None,
                                                'power_state': sr.SHUTDOWN}
    assert dom.isActive() and sr.read_record(dom) == before
    done = act(dom, 'stop')
    assert done['transition'] == predicted['transition']


def test_soft_reboot_shuts_down_and_starts_again(make_server):
    dom = make_server('active')
    guest = Guest(dom)
    old_id = dom.ID()
    result = act(guest, 'reboot')
    assert guest.task_states == ['rebooting'] and not result['warnings']
    assert dom.isActive() and dom.ID() != old_id
    assert result['transition']['after'] == {'vm_state': 'active', 'task_state': None,
                                             'power_state': sr.RUNNING}
    assert_recorded(result, dom, 'reboot')


def test_soft_reboot_of_a_deaf_guest_falls_back_to_hard(make_server):
    dom = make_server('active')
    guest = Guest(dom, deaf=True)
    old_id = dom.ID()
    started = time.monotonic()
    result = act(guest, 'reboot', reboot_timeout=1)
    assert time.monotonic() - started >= 1
    assert guest.task_states and set(guest.task_states) == {'rebooting'}
    assert 'rebooted hard' in result['warnings'][0]
    assert dom.isActive() and dom.ID() != old_id
    assert_recorded(result, dom, 'reboot')


def test_hard_reboot_powers_on_a_stopped_server(make_server):
    dom = make_server('stopped', running=False)
    guest = Guest(dom)
    result = act(guest, 'reboot', reboot_type='HARD')
    assert guest.task_states == []  # no power button for a hard reboot
    assert dom.isActive() and result['server']['vm_state'] == 'active'
    assert_recorded(result, dom, 'reboot')


@pytest.mark.parametrize('timeout, presses', [(1, True), (0, False)])
def test_stop_destroys_a_guest_that_ignores_the_power_button(make_server, timeout, presses):
    dom = make_server('active')
    guest = Guest(dom, deaf=True)
    result = act(guest, 'stop', shutdown_timeout=timeout)
    assert bool(guest.task_states) == presses
    assert bool(result['warnings']) == presses
    assert not dom.isActive() and result['server']['vm_state'] == 'stopped'
    assert_recorded(result, dom, 'stop')


def test_stop_from_error_state(make_server):
    dom = make_server('error')
    result = act(dom, 'stop')
    assert result['server']['vm_state'] == 'stopped' and not dom.isActive()


def test_failed_start_keeps_vm_state_and_records_the_error(make_server):
    dom = make_server('stopped', running=False)
    with pytest.raises(LifecycleError) as err:
        act(Guest(dom, broken=True), 'start')
    assert str(err.value) == ('Start of instance %s failed: guest failed to start'
                              % dom.UUIDString())
    record = assert_recorded(None, dom, 'start', outcome='Error')
    assert err.value.server == record
    assert (record['vm_state'], record['task_state']) == ('stopped', None)


def test_a_guest_that_stops_right_after_its_start_is_a_failed_start(make_server):
    dom = make_server('stopped', running=False)
    with pytest.raises(LifecycleError, match=r'Start of instance .* failed: domain .* stopped '
                                             r'\(state 5, destroyed\) before reaching state \[1\]'):
        act(Guest(dom, dies=True), 'start')
    record = assert_recorded(None, dom, 'start', outcome='Error')
    assert (record['vm_state'], record['task_state']) == ('stopped', None)


def test_failed_hard_reboot_of_a_guest_that_is_down_is_an_error(make_server):
    dom = make_server('active')
    with pytest.raises(LifecycleError, match='Reboot of instance .* failed'):
        act(Guest(dom, broken=True), 'reboot', reboot_type='HARD')
    record = assert_recorded(None, dom, 'reboot', outcome='Error')
    assert (record['vm_state'], record['task_state']) == ('error', None)
    assert record['power_state'] == sr.SHUTDOWN


def test_task_state_of_a_run_that_died_is_cleared(make_server):
    stale = sr.new_action('stop', 'req-dead')
    stale['events'].append({'event': 'compute_stop_instance', 'start_time': stale['start_time'],
                            'finish_time': None, 'result': None})
    dom = make_server('active', task_state='powering-off', actions=[stale])
    result = act(dom, 'stop')
    dead, new = result['server']['actions']
    assert dead['request_id'] == 'req-dead' and dead['message'] == 'Error'
    assert dead['finish_time'] and dead['events'][0]['result'] == 'Error'
    assert new['events'][0]['result'] == 'Success'
    assert result['server']['task_state'] is None and not dom.isActive()


def test_record_follows_a_guest_that_powered_itself_off(make_server):
    dom = make_server('active')
    dom.destroy()  # the guest powered off on its own
    stop = act(dom, 'stop')
    assert stop['changed'] and stop['instance_action'] is None
    assert stop['transition']['after']['vm_state'] == 'stopped'
    assert sr.read_record(dom)['vm_state'] == 'stopped'
    assert not act(dom, 'stop')['changed']
    assert act(dom, 'start')['server']['vm_state'] == 'active'


def test_server_action_finds_the_domain_and_releases_its_lock(conn, make_server, tmp_path):
    dom = make_server('active')
    params = dict(FAST, server=dom.UUIDString().upper(), action='stop', uri='test:///default',
                  state_path=str(tmp_path))
    assert server_action(conn, params)['server']['vm_state'] == 'stopped'
    assert os.listdir(str(tmp_path / 'locks')) == []
    missing = dict(params, server='00000000-0000-4000-8000-000000000000')
    with pytest.raises(LifecycleError, match='could not be found on this host'):
        server_action(conn, missing)
    with pytest.raises(LifecycleError, match="server: 'web-1' is not a server UUID"):
        server_action(conn, dict(params, server='web-1'))


def test_domain_without_record_is_refused(conn):
    name = unique_name('lc')
    dom = conn.defineXML(minimal_xml(name))
    try:
        with pytest.raises(LifecycleError, match='has no server record'):
            act(dom, 'start')
    finally:
        remove_domain(conn, name)


def test_instance_lock_serialises_and_leaves_no_file(tmp_path):
    order = []
    held = threading.Event()

    def second():
        held.wait()
        with instance_lock(str(tmp_path), 'u1'):
            order.append('second')

    thread = threading.Thread(target=second)
    thread.start()
    with instance_lock(str(tmp_path), 'u1'):
        held.set()
        time.sleep(0.3)  # the other thread is waiting for the lock now
        order.append('first')
    thread.join(5)
    assert order == ['first', 'second']
    assert os.listdir(str(tmp_path / 'locks')) == []


# ---- pause, suspend, lock ---------------------------------------------------------------------

def test_pause_then_unpause(make_server):
    dom = make_server('active')
    paused = act(dom, 'pause')
    assert paused['transition']['after'] == {'vm_state': 'paused', 'task_state': None,
                                             'power_state': sr.PAUSED}
    assert dom.state()[0] == libvirt.VIR_DOMAIN_PAUSED
    assert_recorded(paused, dom, 'pause')
    again = act(dom, 'pause')
    assert not again['changed'] and again['instance_action'] is None
    unpaused = act(dom, 'unpause')
    assert unpaused['transition']['after'] == {'vm_state': 'active', 'task_state': None,
                                               'power_state': sr.RUNNING}
    assert dom.state()[0] == libvirt.VIR_DOMAIN_RUNNING
    record = assert_recorded(unpaused, dom, 'unpause')
    assert [a['action'] for a in record['actions']] == ['pause', 'unpause']


def test_suspend_is_a_managed_save_and_resume_restores_it(make_server):
    dom = make_server('active')
    suspended = act(dom, 'suspend')
    assert suspended['transition']['after'] == {'vm_state': 'suspended', 'task_state': None,
                                                'power_state': sr.SHUTDOWN}
    assert not dom.isActive() and dom.hasManagedSaveImage(0)
    assert_recorded(suspended, dom, 'suspend')
    # a suspended server is not a stopped one: the power-state sync leaves it alone
    with pytest.raises(LifecycleError, match="Cannot 'start' instance .* vm_state suspended"):
        act(dom, 'start')
    resumed = act(dom, 'resume')
    assert resumed['transition']['after']['vm_state'] == 'active'
    assert dom.isActive() and not dom.hasManagedSaveImage(0)
    assert_recorded(resumed, dom, 'resume')


def test_hard_reboot_of_a_suspended_server_boots_afresh(make_server):
    dom = make_server('active')
    act(dom, 'suspend')
    rebooted = act(dom, 'reboot', reboot_type='HARD')
    assert rebooted['transition']['after']['vm_state'] == 'active'
    assert dom.isActive() and not dom.hasManagedSaveImage(0)


@pytest.mark.parametrize('vm_state, running, action', [
    ('stopped', False, 'pause'), ('stopped', False, 'unpause'), ('stopped', False, 'suspend'),
    ('paused', True, 'resume'), ('error', True, 'pause'), ('paused', True, 'suspend'),
])
def test_pause_and_suspend_refused_in_the_wrong_state(make_server, vm_state, running, action):
    dom = make_server(vm_state, running=running)
    if vm_state == 'paused':
        dom.suspend()
    before = sr.read_record(dom)
    for check_mode in (True, False):
        with pytest.raises(LifecycleError) as err:
            act(dom, action, check_mode=check_mode)
        assert str(err.value) == ("Cannot '%s' instance %s while it is in vm_state %s"
                                  % (action, dom.UUIDString(), vm_state))
    assert sr.read_record(dom) == before


def test_lock_by_the_owner_refuses_other_actions_to_non_admins(make_server):
    dom = make_server('active', project_id='demo')
    locked = act(dom, 'lock', is_owner=True, locked_reason='maintenance')
    assert locked['transition']['before']['locked'] is False
    assert locked['transition']['after'] == {
        'vm_state': 'active', 'task_state': None, 'power_state': sr.RUNNING,
        'locked': True, 'locked_by': 'owner', 'locked_reason': 'maintenance'}
    entry = sr.read_record(dom)['actions'][-1]
    assert entry['action'] == 'lock' and entry['finish_time']
    assert [(e['event'], e['result']) for e in entry['events']] == [('api_lock', 'Success')]
    for action in ('stop', 'reboot', 'pause', 'suspend'):
        for check_mode in (True, False):
            with pytest.raises(LifecycleError) as err:
                act(dom, action, check_mode=check_mode)
            assert str(err.value) == 'Instance %s is locked' % dom.UUIDString()
    assert dom.isActive() and sr.read_record(dom)['actions'][-1]['action'] == 'lock'
    # the owner locking again changes nothing (Nova's lock returns at once)
    assert not act(dom, 'lock', is_owner=True)['changed']
    # an admin is not held by the lock
    paused = act(dom, 'pause', is_admin=True)
    assert paused['server']['vm_state'] == 'paused' and paused['server']['locked']
    unlocked = act(dom, 'unlock', is_owner=True)
    assert unlocked['transition']['after']['locked'] is False
    assert unlocked['server']['locked_by'] is None and unlocked['server']['locked_reason'] is None
    assert unlocked['instance_action']['events'][0]['event'] == 'api_unlock'
    assert act(dom, 'unpause')['server']['vm_state'] == 'active'
    assert not act(dom, 'unlock')['changed']


def test_lock_by_an_admin_of_another_project_is_the_admins(make_server):
    dom = make_server('stopped', running=False, project_id='demo')
    predicted = act(dom, 'lock', check_mode=True, is_admin=True)
    assert predicted['transition']['after']['locked_by'] == 'admin'
    assert sr.read_record(dom)['locked'] is False
    assert act(dom, 'lock', is_admin=True)['server']['locked_by'] == 'admin'
    with pytest.raises(LifecycleError, match='is locked'):
        act(dom, 'start', is_owner=True)


def test_locked_reason_is_for_lock_only_and_bounded(make_server):
    dom = make_server('active')
    with pytest.raises(LifecycleError, match='locked_reason: only for lock, at most 255'):
        act(dom, 'lock', locked_reason='x' * 256)
    with pytest.raises(LifecycleError, match='locked_reason'):
        act(dom, 'stop', locked_reason='why')


def test_failed_action_records_novas_fault(make_server):
    dom = make_server('active')
    with pytest.raises(LifecycleError, match='Reboot of instance .* failed'):
        act(Guest(dom, broken=True), 'reboot', reboot_type='HARD')
    fault = sr.read_record(dom)['fault']
    assert fault['message'] == 'libvirtError' and fault['code'] == 500
    assert 'guest failed to start' in fault['details'] and fault['created']
