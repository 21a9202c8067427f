# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Console log, pause/unpause, suspend/resume, lock/unlock and metadata through their
playbooks on a real guest of this machine's libvirtd: each round trip, each refused for a
reader and for another project, each in a wrong state with Nova's message. The wall time of
each playbook run is printed (pytest -s shows it)."""
import time
import uuid

import pytest

from conftest import run_playbook, servers_named

libvirt = pytest.importorskip('libvirt')

from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record as sr  # noqa: E402

pytestmark = pytest.mark.integration

NETWORK_ID = '5f0c3a6e-8d2b-4d6e-9a51-2c3b6a1e0f01'
# An admin of another project: its lock is locked_by admin (an admin of the server's own
# project locks as its owner, as in Nova).
ADMIN = {'project_id': 'ops', 'user_id': 'admin', 'roles': ['admin']}
READER = {'project_id': 'demo', 'user_id': 'auditor', 'roles': ['reader']}
OTHER = {'project_id': 'other', 'user_id': 'mallory', 'roles': ['member']}


def timed(playbook, extra_vars):
    start = time.monotonic()
    run = run_playbook(playbook, extra_vars)
    print('wall time %-16s %5.1f s  rc=%d' % (playbook, time.monotonic() - start, run.rc))
    return run


def states(dom):
    record = sr.read_record(dom)
    return record['vm_state'], record['task_state'], record['power_state']


def wait_for_console_line(target, line, timeout=90):
    deadline = time.monotonic() + timeout
    while True:
        run = run_playbook('console_log', target)
        assert run.rc == 0, run
        if line in run.output:
            return run
        assert time.monotonic() < deadline, run
        time.sleep(2)


def test_server_actions_on_a_real_guest(prepared_hypervisor, demo_image):
    name = 'nltest-act-%s' % uuid.uuid4().hex[:6]
    server = {'name': name, 'flavorRef': 'm1.nano', 'imageRef': 'novalite-demo',
              'networks': [{'uuid': NETWORK_ID}], 'metadata': {'role': 'web'}}
    created = run_playbook('create_server', {'novalite_server': server})
    try:
        assert created.rc == 0, created
        ((dom, record),) = servers_named(name)
        server_uuid = dom.UUIDString()
        target = {'novalite_server_id': server_uuid}

        # the console log holds the guest's config-drive line, the last lines only with length
        wait_for_console_line(target, 'NOVALITE-METADATA uuid=%s' % server_uuid)
        wait_for_console_line(target, 'NOVALITE-READY')
        console = timed('console_log', target)
        assert 'NOVALITE-METADATA uuid=%s' % server_uuid in console.output
        short = run_playbook('console_log', dict(target, novalite_console_length=1))
        assert short.rc == 0 and 'NOVALITE-METADATA' not in short.output, short

        # each action is refused for a reader of the project and for another project, and
        # changes nothing
        for playbook in ('pause_server', 'suspend_server', 'lock_server', 'console_log'):
            for context in (READER, OTHER):
                refused = run_playbook(playbook, dict(target, novalite_context=context))
                assert refused.rc != 0, (playbook, context, refused)
        for context in (READER, OTHER):
            refused = run_playbook('server_metadata', dict(
                target, novalite_context=context, novalite_metadata={'x': '1'}))
            assert refused.rc != 0, refused
        assert states(dom) == ('active', None, sr.RUNNING)
        assert sr.read_record(dom)['metadata'] == {'role': 'web'}
        assert not sr.read_record(dom)['locked']

        # unpause of an active server is already done: a no-op, not a conflict
        noop = run_playbook('unpause_server', target)
        assert noop.rc == 0 and 'no instance action recorded' in noop.output, noop

        paused = timed('pause_server', target)
        assert paused.rc == 0, paused
        assert states(dom) == ('paused', None, sr.PAUSED)
        assert dom.state()[0] == libvirt.VIR_DOMAIN_PAUSED
        wrong = run_playbook('suspend_server', target)
        assert ("Cannot 'suspend' instance %s while it is in vm_state paused" % server_uuid
                in wrong.output), wrong
        unpaused = timed('unpause_server', target)
        assert unpaused.rc == 0 and states(dom) == ('active', None, sr.RUNNING), unpaused

        suspended = timed('suspend_server', target)
        assert suspended.rc == 0, suspended
        assert states(dom) == ('suspended', None, sr.SHUTDOWN)
        assert not dom.isActive() and dom.hasManagedSaveImage(0)
        wrong = run_playbook('pause_server', target)
        assert ("Cannot 'pause' instance %s while it is in vm_state suspended" % server_uuid
                in wrong.output), wrong
        resumed = timed('resume_server', target)
        assert resumed.rc == 0, resumed
        assert states(dom) == ('active', None, sr.RUNNING) and not dom.hasManagedSaveImage(0)
        # the guest carried on from where it was: no new boot on its console
        assert run_playbook('console_log', target).output.count(
            'NOVALITE-METADATA uuid=%s' % server_uuid) == console.output.count(
            'NOVALITE-METADATA uuid=%s' % server_uuid)

        # an admin's lock holds the project's member off, until the admin unlocks
        locked = timed('lock_server', dict(target, novalite_context=ADMIN,
                                           server_action_locked_reason='audit'))
        assert locked.rc == 0, locked
        record = sr.read_record(dom)
        assert (record['locked'], record['locked_by'], record['locked_reason']) == \
            (True, 'admin', 'audit')
        held = run_playbook('pause_server', target)
        assert held.rc != 0 and 'Instance %s is locked' % server_uuid in held.output, held
        held = run_playbook('server_metadata', dict(target, novalite_metadata={'x': '1'}))
        assert held.rc != 0 and 'is locked' in held.output, held
        override = run_playbook('unlock_server', target)
        assert override.rc != 0 and 'unlock_override' in override.output, override
        unlocked = timed('unlock_server', dict(target, novalite_context=ADMIN))
        assert unlocked.rc == 0 and not sr.read_record(dom)['locked'], unlocked

        # metadata: set (merged), then delete; the quota applies
        over = run_playbook('server_metadata', dict(
            target, novalite_metadata={'tier': 'front'},
            novalite_quotas={'defaults': {'metadata_items': 1}}))
        assert over.rc != 0 and 'Maximum number of metadata items exceeds 1' in over.output
        set_run = timed('server_metadata', dict(target, novalite_metadata={'tier': 'front'}))
        assert set_run.rc == 0, set_run
        assert sr.read_record(dom)['metadata'] == {'role': 'web', 'tier': 'front'}
        deleted = timed('server_metadata', dict(target, novalite_metadata_delete=['role']))
        assert deleted.rc == 0 and sr.read_record(dom)['metadata'] == {'tier': 'front'}

        actions = [entry['action'] for entry in sr.read_record(dom)['actions']]
        assert actions == ['create', 'pause', 'unpause', 'suspend', 'resume', 'lock', 'unlock']
        assert all(entry['message'] is None for entry in sr.read_record(dom)['actions'])
    finally:
        for dom, _record in servers_named(name):
            deleted = run_playbook('delete_server', {'novalite_server_id': dom.UUIDString(),
                                                     'novalite_context': ADMIN})
            assert deleted.rc == 0, deleted
    assert servers_named(name) == []
