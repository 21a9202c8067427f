# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stop, start and reboot playbooks on a real guest of this machine's libvirtd.

A demo-image server is created through the create-server playbook, stopped (the guest powers
off on the ACPI power button and says so on its console), started (it boots and reads its
config drive again), rebooted soft and hard, refused a soft reboot while stopped, then
deleted; every step checks vm_state / task_state / power_state and the instance action log.
"""
import os
import time
import uuid

import pytest

from conftest import run_playbook, servers_named

libvirt = pytest.importorskip('libvirt')

from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record as sr  # noqa: E402

pytestmark = pytest.mark.integration

INSTANCES = '/var/lib/novalite/instances'
STATE = '/var/lib/novalite'
NETWORK_ID = '5f0c3a6e-8d2b-4d6e-9a51-2c3b6a1e0f01'
CONSOLE_TIMEOUT = 90
# The build's event (Nova's _do_build_and_run_instance); the others are compute_<action>_instance.
EVENTS = {'create': 'compute__do_build_and_run_instance'}


def domains_named(name):
    return [dom for dom, _record in servers_named(name)]


def console_count(path, line):
    with open(path, errors='replace') as handle:
        return handle.read().count(line)


def wait_for_console(path, line, count):
    """Wait until `line` has appeared `count` times on the serial console."""
    deadline = time.monotonic() + CONSOLE_TIMEOUT
    while console_count(path, line) < count:
        assert time.monotonic() < deadline, '%s: %s not seen %d times' % (path, line, count)
        time.sleep(0.5)


def check_server(dom, vm_state, power_state, actions):
    """The record's states and its instance actions (names, in order); the last one
    succeeded with its compute event. Returns the record."""
    record = sr.read_record(dom)
    assert (record['vm_state'], record['task_state'], record['power_state']) == \
        (vm_state, None, power_state)
    assert sr.power_state_from_libvirt(dom.state()[0]) == power_state
    assert [entry['action'] for entry in record['actions']] == actions
    last = record['actions'][-1]
    assert last['message'] is None and last['finish_time'] >= last['start_time']
    event = EVENTS.get(actions[-1], 'compute_%s_instance' % actions[-1])
    assert [(e['event'], e['result']) for e in last['events']] == [(event, 'Success')]
    return record


def leftovers(server_uuid, name):
    locks = os.path.join(STATE, 'locks')
    return {
        'domains': domains_named(name),
        'instance_dir': os.path.exists(os.path.join(INSTANCES, server_uuid)),
        'claim': os.path.exists(os.path.join(STATE, 'claims', '%s.json' % server_uuid)),
        'lock': os.path.isdir(locks) and any(server_uuid in f for f in os.listdir(locks)),
    }


def test_stop_start_reboot_and_delete(prepared_hypervisor, demo_image):
    name = 'nltest-lc-%s' % uuid.uuid4().hex[:6]
    server = {'name': name, 'flavorRef': 'm1.nano', 'imageRef': 'novalite-demo',
              'networks': [{'uuid': NETWORK_ID}], 'key_name': 'demo'}
    created = run_playbook('create_server', {'novalite_server': server})
    server_uuid = None
    try:
        assert created.rc == 0, created
        (dom,) = domains_named(name)
        server_uuid = dom.UUIDString()
        target = {'novalite_server_id': server_uuid}
        console = os.path.join(INSTANCES, server_uuid, 'console.log')
        check_server(dom, 'active', sr.RUNNING, ['create'])
        wait_for_console(console, 'NOVALITE-READY', 1)  # acpid listens from here on

        predicted = run_playbook('stop_server', {'novalite_server_id': name}, check=True)
        assert predicted.rc == 0 and 'vm_state active -> stopped' in predicted.output, predicted
        assert dom.isActive()
        check_server(dom, 'active', sr.RUNNING, ['create'])

        stopped = run_playbook('stop_server', {'novalite_server_id': name})
        assert stopped.rc == 0, stopped
        check_server(dom, 'stopped', sr.SHUTDOWN, ['create', 'stop'])
        assert console_count(console, 'NOVALITE-POWEROFF') == 1  # a clean shutdown
        assert 'did not shut down' not in stopped.output

        again = run_playbook('stop_server', target)
        assert again.rc == 0 and 'no instance action recorded' in again.output, again
        check_server(dom, 'stopped', sr.SHUTDOWN, ['create', 'stop'])

        refused = run_playbook('reboot_server', target)
        assert refused.rc != 0
        assert ("Cannot 'reboot' instance %s while it is in vm_state stopped" % server_uuid
                in refused.output), refused

        started = run_playbook('start_server', target)
        assert started.rc == 0, started
        check_server(dom, 'active', sr.RUNNING, ['create', 'stop', 'start'])
        wait_for_console(console, 'NOVALITE-METADATA uuid=%s' % server_uuid, 2)
        wait_for_console(console, 'NOVALITE-READY', 2)

        soft = run_playbook('reboot_server', target)
        assert soft.rc == 0 and 'rebooted hard' not in soft.output, soft
        check_server(dom, 'active', sr.RUNNING, ['create', 'stop', 'start', 'reboot'])
        assert console_count(console, 'NOVALITE-POWEROFF') == 2  # the guest shut down itself
        wait_for_console(console, 'NOVALITE-METADATA uuid=%s' % server_uuid, 3)
        wait_for_console(console, 'NOVALITE-READY', 3)

        hard = run_playbook('reboot_server', dict(target, novalite_reboot_type='HARD'))
        assert hard.rc == 0, hard
        check_server(dom, 'active', sr.RUNNING,
                     ['create', 'stop', 'start', 'reboot', 'reboot'])
        assert console_count(console, 'NOVALITE-POWEROFF') == 2  # no power button this time
        wait_for_console(console, 'NOVALITE-METADATA uuid=%s' % server_uuid, 4)

        # the events of the instance actions are an admin's (os-instance-actions:events)
        shown = run_playbook('server_list', dict(target, novalite_context={
            'project_id': 'admin', 'user_id': 'admin', 'roles': ['admin']}))
        assert shown.rc == 0, shown
        for event in ('compute_stop_instance', 'compute_start_instance',
                      'compute_reboot_instance'):
            assert event in shown.output, shown
        member_view = run_playbook('server_list', target)
        assert member_view.rc == 0 and 'compute_stop_instance' not in member_view.output
        assert 'action: reboot' in member_view.output, member_view
    finally:
        for dom in domains_named(name):
            deleted = run_playbook('delete_server', {'novalite_server_id': dom.UUIDString()})
            assert deleted.rc == 0, deleted
    assert leftovers(server_uuid, name) == {'domains': [], 'instance_dir': False,
                                            'claim': False, 'lock': False}
