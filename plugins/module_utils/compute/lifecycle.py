# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start, stop and reboot a server on its hypervisor: Nova's compute manager `start_instance`,
`stop_instance` and `reboot_instance` with the libvirt driver's `power_on`, `power_off` and
`reboot`, the server record in the domain metadata playing Nova's database.

`server_action(conn, params, check_mode)` runs one action under the instance's host-local
lock (Nova's `@utils.synchronized(instance.uuid)`). The record goes through Nova's states:
the action's task_state (powering-on, powering-off, rebooting, rebooting_hard) while it
works, then the new vm_state with task_state null and the power state libvirt reports; the
instance action (`start`, `stop`, `reboot`) with its `compute_<action>_instance` event and
result (Success or Error) is appended to the record's `actions`.

Unlike Nova's API, an action whose end state already holds (start on an active running
server, stop on a stopped one) is a no-op rather than a conflict, so playbooks can state
what they want. Every other state Nova's `check_instance_state` refuses is refused with
Nova's message.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import fcntl
import os
import uuid

try:
    import libvirt
except ImportError:
    pass  # modules check libvirt_utils.HAS_LIBVIRT

from ansible_collections.novalite.compute.plugins.module_utils.compute import layout
from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import DomainStopped, domain_by_uuid
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.guest import (
    clean_shutdown, destroy_domain, start_domain, stop_domain,
)

ACTIONS = ('start', 'stop', 'reboot')
REBOOT_TYPES = ('SOFT', 'HARD')
# Nova's defaults: [DEFAULT] shutdown_timeout and [libvirt] wait_soft_reboot_seconds.
DEFAULTS = dict(reboot_type='SOFT', shutdown_timeout=60, reboot_timeout=120, start_timeout=60,
                request_id=None)

# Per operation: the instance action it records, the vm_states Nova's API accepts it in
# (`check_instance_state`; a soft reboot needs an active server, a hard one also takes a
# stopped or errored one), the task_state while it works and the states it ends in.
OPERATIONS = {
    'start': dict(action='start', allowed=('stopped',), task_state='powering-on',
                  vm_state='active', power_state=server_record.RUNNING),
    'stop': dict(action='stop', allowed=('active', 'error'), task_state='powering-off',
                 vm_state='stopped', power_state=server_record.SHUTDOWN),
    'reboot': dict(action='reboot', allowed=('active',), task_state='rebooting',
                   vm_state='active', power_state=server_record.RUNNING),
    'reboot_hard': dict(action='reboot', allowed=('active', 'stopped', 'error'),
                        task_state='rebooting_hard', vm_state='active',
                        power_state=server_record.RUNNING),
}
# The task states this module sets, and the action each belongs to. Found in a record while
# the instance lock is free, one of them is what a run that died left behind.
OWN_TASK_STATES = dict((op['task_state'], op['action']) for op in OPERATIONS.values())
# Power states in which the guest is off (Nova's _sync_instance_power_state).
_OFF = (server_record.SHUTDOWN, server_record.CRASHED)


class LifecycleError(Exception):
    """The action was refused or failed; `server` is the record as it is now (or None)."""

    def __init__(self, msg, server=None):
        super(LifecycleError, self).__init__(msg)
        self.server = server


def event_name(action):
    """Nova's `wrap_instance_event(prefix='compute')` name: compute_<method>."""
    return 'compute_%s_instance' % action


def operation_name(action, reboot_type='SOFT'):
    if action not in ACTIONS:
        raise LifecycleError('action: must be one of %s, got %r' % (', '.join(ACTIONS), action))
    if reboot_type not in REBOOT_TYPES:
        raise LifecycleError('reboot_type: must be SOFT or HARD, got %r' % (reboot_type,))
    return 'reboot_hard' if action == 'reboot' and reboot_type == 'HARD' else action


def canonical_uuid(value):
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise LifecycleError('server: %r is not a server UUID' % (value,))


@contextlib.contextmanager
def instance_lock(state_path, instance_uuid):
    """Hold the instance's lock: an exclusive flock on <state_path>/locks/instance-<uuid>.lock.

    The file is removed on release so deleted servers leave no lock behind; a waiter that
    wakes up holding a file already removed takes the lock again on the current one."""
    path = layout.instance_lock_path(state_path, instance_uuid)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            current = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            current = False
        if current:
            break
        os.close(fd)
    try:
        yield
    finally:
        os.unlink(path)
        os.close(fd)


def server_action(conn, params, check_mode=False):
    """Run `params['action']` on the server `params['server']` of this host; the result
    dict of ServerAction.run(). Raises LifecycleError."""
    params = dict(DEFAULTS, **params)
    instance_uuid = canonical_uuid(params['server'])
    dom = domain_by_uuid(conn, instance_uuid)
    if dom is None:
        raise LifecycleError('Instance %s could not be found on this host.' % instance_uuid)
    if check_mode:
        return ServerAction(dom, params, check_mode=True).run()
    with instance_lock(params['state_path'], instance_uuid):
        return ServerAction(dom, params).run()


def _states(record):
    return dict((key, record.get(key)) for key in ('vm_state', 'task_state', 'power_state'))


class ServerAction(object):
    """One lifecycle action on one domain. `params`: action, reboot_type, shutdown_timeout,
    reboot_timeout, start_timeout, request_id (DEFAULTS fill what is missing)."""

    def __init__(self, dom, params, check_mode=False):
        self.dom = dom
        self.p = dict(DEFAULTS, **params)
        self.op_name = operation_name(self.p['action'], self.p['reboot_type'])
        self.op = OPERATIONS[self.op_name]
        self.check_mode = check_mode
        self.warnings = []

    def power_state(self):
        return server_record.power_state_from_libvirt(self.dom.state()[0])

    def run(self):
        record = server_record.read_record(self.dom)
        if record is None:
            raise LifecycleError('server: domain %s has no server record' % self.dom.name())
        record['power_state'] = self.power_state()
        before = _states(record)
        reconciled = self.reconcile(record)
        if self.already_done(record):
            if reconciled and not self.check_mode:
                self.save(record)
            return self.result(reconciled, before, record, None)
        self.check_state(record)
        if self.check_mode:
            record.update(vm_state=self.op['vm_state'], task_state=None,
                          power_state=self.op['power_state'])
            return self.result(True, before, record, None)
        entry = self.begin(record)
        try:
            self.perform()
        except (libvirt.libvirtError, TimeoutError, DomainStopped) as exc:
            self.fail(record, exc)
        self.end(record, 'Success', self.op['vm_state'])
        return self.result(True, before, record, entry)

    def result(self, changed, before, record, entry):
        return {'changed': changed, 'server': record, 'instance_action': entry,
                'transition': {'before': before, 'after': _states(record)},
                'warnings': self.warnings}

    # ---- the record before the action ------------------------------------------------------

    def reconcile(self, record):
        """Bring the record up to date before the state check; True when it changed.

        A task state of ours left in the record belongs to a run that died (its lock is
        free): its action is closed as an Error and the task state cleared, as nova-compute
        clears transitional states at start-up. Then the vm_state follows the guest's power,
        as Nova's power-state sync does: an active server whose guest powered itself off
        is stopped, a stopped one that runs again is active."""
        changed = False
        stale = OWN_TASK_STATES.get(record.get('task_state'))
        if stale:
            self._close_interrupted(record, stale)
            changed = True
        if record.get('task_state') is None:
            vm_state, power = record.get('vm_state'), record['power_state']
            if vm_state == 'active' and power in _OFF:
                record['vm_state'] = 'stopped'
            elif vm_state == 'stopped' and power == server_record.RUNNING:
                record['vm_state'] = 'active'
            changed = changed or record['vm_state'] != vm_state
        return changed

    @staticmethod
    def _close_interrupted(record, action):
        now = server_record.now_iso()
        record['task_state'] = None
        for entry in reversed(record.get('actions') or []):
            if entry['action'] == action:
                if entry.get('finish_time') is None:
                    for event in entry['events']:
                        if event.get('finish_time') is None:
                            event.update(finish_time=now, result='Error')
                    entry.update(finish_time=now, message='Error')
                return

    def already_done(self, record):
        """True when the declarative end state already holds: start on a running active
        server, stop on a stopped one. A reboot is never done already."""
        if self.op['action'] == 'start':
            return record['vm_state'] == 'active' and record['power_state'] == server_record.RUNNING
        if self.op['action'] == 'stop':
            return record['vm_state'] == 'stopped' and record['power_state'] in _OFF
        return False

    def check_state(self, record):
        """Nova's check_instance_state: the vm_state must allow the action and no other task
        may be under way. The message is the one Nova's API answers 409 Conflict with."""
        for attr, allowed in (('vm_state', self.op['allowed']), ('task_state', (None,))):
            if record.get(attr) not in allowed:
                raise LifecycleError("Cannot '%s' instance %s while it is in %s %s"
                                     % (self.op['action'], record.get('uuid'), attr,
                                        record.get(attr)), server=record)

    # ---- the action ------------------------------------------------------------------------

    def save(self, record):
        """Write the record to the domain (persistent, and live while it runs)."""
        record['updated'] = server_record.now_iso()
        try:
            server_record.write_record(self.dom, record)
        except libvirt.libvirtError:
            # The guest may have powered off between the state check and the write.
            if self.dom.isActive():
                raise
            server_record.write_record(self.dom, record, live=False)

    def begin(self, record):
        """Record the task state and the instance action with its open event."""
        request_id = self.p['request_id'] or 'req-%s' % uuid.uuid4()
        entry = server_record.new_action(self.op['action'], request_id)
        record.setdefault('actions', []).append(entry)
        server_record.add_event(record, self.op['action'], event_name(self.op['action']), None,
                                entry['start_time'], None)
        record['task_state'] = self.op['task_state']
        self.save(record)
        return entry

    def end(self, record, result, vm_state):
        """Close the event and the action with `result`; the task is over."""
        now = server_record.now_iso()
        entry = record['actions'][-1]
        entry['events'][-1].update(finish_time=now, result=result)
        if result == 'Error':
            entry['message'] = 'Error'
        server_record.finish_action(record, self.op['action'], now)
        record.update(vm_state=vm_state, task_state=None, power_state=self.power_state())
        self.save(record)

    def fail(self, record, exc):
        """Nova's failure paths: a failed start or stop leaves the vm_state as it was
        (reverts_task_state); a failed reboot leaves the server active when the guest runs,
        else in error."""
        vm_state = record['vm_state']
        if self.op['action'] == 'reboot':
            vm_state = 'active' if self.power_state() == server_record.RUNNING else 'error'
        self.end(record, 'Error', vm_state)
        raise LifecycleError('%s of instance %s failed: %s'
                             % (self.op['action'].capitalize(), record['uuid'], exc),
                             server=record)

    def perform(self):
        {'start': self._power_on, 'stop': self._power_off, 'reboot': self._soft_reboot,
         'reboot_hard': self._hard_reboot}[self.op_name]()

    def _power_on(self):
        if not self.dom.isActive():
            start_domain(self.dom, self.p['start_timeout'])

    def _power_off(self):
        """Nova's power_off: a clean shutdown within shutdown_timeout, then destroy."""
        timeout = self.p['shutdown_timeout']
        if not stop_domain(self.dom, timeout) and timeout > 0:
            self.warnings.append('instance %s did not shut down within %ss; it was destroyed'
                                 % (self.dom.UUIDString(), timeout))

    def _soft_reboot(self):
        """Nova's _soft_reboot: ACPI shutdown, then start again; a guest that does not shut
        down within reboot_timeout gets a hard reboot."""
        timeout = self.p['reboot_timeout']
        if clean_shutdown(self.dom, timeout):
            start_domain(self.dom, self.p['start_timeout'])
            return
        self.warnings.append('instance %s did not shut down within %ss for a soft reboot; '
                             'it was rebooted hard' % (self.dom.UUIDString(), timeout))
        self._hard_reboot()

    def _hard_reboot(self):
        """Nova's _hard_reboot: destroy, then start the defined domain again."""
        destroy_domain(self.dom)
        start_domain(self.dom, self.p['start_timeout'])
