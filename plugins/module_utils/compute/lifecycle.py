# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Server actions on the server's hypervisor: Nova's compute manager `start_instance`,
`stop_instance`, `reboot_instance`, `pause_instance`, `unpause_instance`, `suspend_instance`
and `resume_instance` with the libvirt driver's `power_on`, `power_off`, `reboot`, `pause`,
`unpause`, `suspend` (managed save) and `resume`, and the compute API's `lock` and `unlock`;
the server record in the domain metadata plays Nova's database.

`server_action(conn, params, check_mode)` runs one action under the instance's host-local
lock (Nova's `@utils.synchronized(instance.uuid)`). The record goes through Nova's states:
the action's task_state (powering-on, powering-off, rebooting, rebooting_hard, pausing,
unpausing, suspending, resuming) while it works, then the new vm_state with task_state null
and the power state libvirt reports; the instance action with its `compute_<action>_instance`
event (`api_lock`, `api_unlock` for the API-only lock and unlock) and result (Success or
Error) is appended to the record's `actions`. A failure also records Nova's instance fault.

A locked server refuses every action but lock and unlock from a caller who is not an admin
(Nova's `check_instance_lock`), before the state check.

Unlike Nova's API, an action whose end state already holds (start on an active running
server, stop on a stopped one, pause on a paused one, unlock on an unlocked one...) is a
no-op rather than a conflict, so playbooks can state what they want. Every other state
Nova's `check_instance_state` refuses is refused with Nova's message.
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
    clean_shutdown, destroy_domain, discard_memory_state, pause_domain, save_memory_state,
    start_domain, stop_domain, unpause_domain,
)

ACTIONS = ('start', 'stop', 'reboot', 'pause', 'unpause', 'suspend', 'resume', 'lock', 'unlock')
REBOOT_TYPES = ('SOFT', 'HARD')
# Nova's defaults: [DEFAULT] shutdown_timeout and [libvirt] wait_soft_reboot_seconds.
# `is_admin` and `is_owner` say who calls (Nova's context.is_admin, and whether the caller's
# project is the server's; api/policy.py's caller_facts): the lock check and the lock's
# locked_by need them.
DEFAULTS = dict(reboot_type='SOFT', shutdown_timeout=60, reboot_timeout=120, start_timeout=60,
                request_id=None, is_admin=False, is_owner=False, locked_reason=None)
# The most a lock reason may hold (Nova's lock schema, 2.73).
LOCKED_REASON_MAX = 255

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
    # Nova's ALLOW_HARD_REBOOT: a hard reboot also brings back a paused or suspended server.
    'reboot_hard': dict(action='reboot', allowed=('active', 'stopped', 'error', 'paused',
                                                  'suspended'),
                        task_state='rebooting_hard', vm_state='active',
                        power_state=server_record.RUNNING),
    'pause': dict(action='pause', allowed=('active',), task_state='pausing',
                  vm_state='paused', power_state=server_record.PAUSED),
    'unpause': dict(action='unpause', allowed=('paused',), task_state='unpausing',
                    vm_state='active', power_state=server_record.RUNNING),
    # The libvirt driver's suspend is a managed save: the domain is shut off, its memory kept.
    'suspend': dict(action='suspend', allowed=('active',), task_state='suspending',
                    vm_state='suspended', power_state=server_record.SHUTDOWN),
    'resume': dict(action='resume', allowed=('suspended',), task_state='resuming',
                   vm_state='active', power_state=server_record.RUNNING),
    # Lock and unlock are the API's alone (no task state, any vm_state, no lock check), and
    # leave the states as they are.
    'lock': dict(action='lock', allowed=None, task_state=None, vm_state=None,
                 power_state=None, api=True),
    'unlock': dict(action='unlock', allowed=None, task_state=None, vm_state=None,
                   power_state=None, api=True),
}
# What the transition (and the diff) shows: the states, and the lock for lock and unlock.
STATE_KEYS = ('vm_state', 'task_state', 'power_state')
LOCK_KEYS = STATE_KEYS + ('locked', 'locked_by', 'locked_reason')
# The task states this module sets, and the action each belongs to. Found in a record while
# the instance lock is free, one of them is what a run that died left behind.
OWN_TASK_STATES = dict((op['task_state'], op['action']) for op in OPERATIONS.values()
                       if op['task_state'])
# Power states in which the guest is off (Nova's _sync_instance_power_state).
_OFF = (server_record.SHUTDOWN, server_record.CRASHED)


class LifecycleError(Exception):
    """The action was refused or failed; `server` is the record as it is now (or None)."""

    def __init__(self, msg, server=None):
        super(LifecycleError, self).__init__(msg)
        self.server = server


def event_name(action):
    """Nova's `wrap_instance_event` name: compute_<method> for the compute manager's methods,
    api_<method> for the API's lock and unlock."""
    if OPERATIONS[action].get('api'):
        return 'api_%s' % action
    return 'compute_%s_instance' % action


def check_instance_lock(record, is_admin):
    """Nova's `check_instance_lock`: a locked server refuses a caller who is not an admin,
    with Nova's 409 message."""
    if record.get('locked') and not is_admin:
        raise LifecycleError('Instance %s is locked' % record.get('uuid'), server=record)


def check_instance_state(record, action, vm_states, task_states=(None,)):
    """Nova's `check_instance_state`, with the message its API answers 409 Conflict with."""
    for attr, allowed in (('vm_state', vm_states), ('task_state', task_states)):
        if allowed is not None and record.get(attr) not in allowed:
            raise LifecycleError("Cannot '%s' instance %s while it is in %s %s"
                                 % (action, record.get('uuid'), attr, record.get(attr)),
                                 server=record)


def fault_from_exc(exc):
    """Nova's `exception_to_dict` for what a driver raises: the message is the exception's
    class name (its text may hold details not meant for the owner), code 500; the text goes
    into `details`, which the API shows to admins only."""
    return dict(message=exc.__class__.__name__, code=500, details=str(exc))


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
    fd = _take_lock(path, blocking=True)
    try:
        yield
    finally:
        os.unlink(path)
        os.close(fd)


@contextlib.contextmanager
def instance_lock_if_free(state_path, instance_uuid):
    """The instance's lock without waiting: yields True holding it, False when a process
    holds it (an action of the server runs). The kernel drops a flock with the process that
    held it, so a free lock means the action that wrote the record's task state is dead."""
    path = layout.instance_lock_path(state_path, instance_uuid)
    fd = _take_lock(path, blocking=False)
    if fd is None:
        yield False
        return
    try:
        yield True
    finally:
        os.unlink(path)
        os.close(fd)


def _take_lock(path, blocking):
    """The descriptor holding the flock on the current file at `path`; None when it is held
    and `blocking` is false."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        try:
            current = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            current = False
        if current:
            return fd
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


def save_record(dom, record):
    """Write the record, with its `updated` time, to the domain (persistent, and live while
    it runs)."""
    record['updated'] = server_record.now_iso()
    try:
        server_record.write_record(dom, record)
    except libvirt.libvirtError:
        # The guest may have powered off between the state check and the write.
        if dom.isActive():
            raise
        server_record.write_record(dom, record, live=False)


def _states(record, keys=STATE_KEYS):
    return dict((key, record.get(key)) for key in keys)


def sync_interrupted(record):
    """A record whose action died, brought up to date; True when it changed.

    A task state of ours (OWN_TASK_STATES) left in the record belongs to a run that died:
    its action is closed as an Error and the task state cleared, as nova-compute clears
    transitional states at start-up. Then the vm_state follows the guest's power
    (record['power_state']), as Nova's power-state sync does: an active server whose guest
    powered itself off is stopped, a stopped one that runs again is active."""
    changed = False
    stale = OWN_TASK_STATES.get(record.get('task_state'))
    if stale:
        close_interrupted(record, stale, 'Error')
        record['task_state'] = None
        changed = True
    if record.get('task_state') is None:
        vm_state, power = record.get('vm_state'), record['power_state']
        if vm_state in ('active', 'paused') and power in _OFF:
            record['vm_state'] = 'stopped'
        elif vm_state == 'stopped' and power == server_record.RUNNING:
            record['vm_state'] = 'active'
        changed = changed or record['vm_state'] != vm_state
    return changed


def close_interrupted(record, action, result):
    """Close the latest instance action `action` of the record, if still open, and its open
    events with `result` (Error for a run that died; Success for one finished for it)."""
    now = server_record.now_iso()
    for entry in reversed(record.get('actions') or []):
        if entry['action'] == action:
            if entry.get('finish_time') is None:
                for event in entry['events']:
                    if event.get('finish_time') is None:
                        event.update(finish_time=now, result=result)
                entry['finish_time'] = now
                if result == 'Error':
                    entry['message'] = 'Error'
            return


class ServerAction(object):
    """One lifecycle action on one domain. `params`: action, reboot_type, shutdown_timeout,
    reboot_timeout, start_timeout, request_id, is_admin, is_owner, locked_reason
    (DEFAULTS fill what is missing)."""

    def __init__(self, dom, params, check_mode=False):
        self.dom = dom
        self.p = dict(DEFAULTS, **params)
        self.op_name = operation_name(self.p['action'], self.p['reboot_type'])
        self.op = OPERATIONS[self.op_name]
        self.check_mode = check_mode
        self.keys = LOCK_KEYS if self.op.get('api') else STATE_KEYS
        self.warnings = []
        reason = self.p['locked_reason']
        if reason is not None and (self.op_name != 'lock' or len(reason) > LOCKED_REASON_MAX):
            raise LifecycleError('locked_reason: only for lock, at most %d characters'
                                 % LOCKED_REASON_MAX)

    def power_state(self):
        return server_record.power_state_from_libvirt(self.dom.state()[0])

    def run(self):
        record = server_record.read_record(self.dom)
        if record is None:
            raise LifecycleError('server: domain %s has no server record' % self.dom.name())
        record['power_state'] = self.power_state()
        before = _states(record, self.keys)
        reconciled = self.reconcile(record)
        if self.already_done(record):
            if reconciled and not self.check_mode:
                self.save(record)
            return self.result(reconciled, before, record, None)
        self.check_state(record)
        if self.check_mode:
            if self.op.get('api'):
                self.perform(record)
            else:
                record.update(vm_state=self.op['vm_state'], task_state=None,
                              power_state=self.op['power_state'])
            return self.result(True, before, record, None)
        entry = self.begin(record)
        try:
            self.perform(record)
        except (libvirt.libvirtError, TimeoutError, DomainStopped) as exc:
            self.fail(record, exc)
        self.end(record, 'Success', self.op['vm_state'] or record['vm_state'])
        return self.result(True, before, record, entry)

    def result(self, changed, before, record, entry):
        return {'changed': changed, 'server': record, 'instance_action': entry,
                'transition': {'before': before, 'after': _states(record, self.keys)},
                'warnings': self.warnings}

    # ---- the record before the action ------------------------------------------------------

    def reconcile(self, record):
        """Bring the record up to date before the state check; True when it changed
        (sync_interrupted: this action holds the instance's lock, so a task state of ours in
        the record belongs to a run that died)."""
        return sync_interrupted(record)

    def already_done(self, record):
        """True when the declarative end state already holds: start, unpause or resume on a
        running active server, stop on a stopped one, pause or suspend on a paused or
        suspended one, unlock on an unlocked one; lock on a locked server by its owner (where
        Nova's lock returns at once). A reboot is never done already."""
        action, vm_state = self.op['action'], record['vm_state']
        if action in ('start', 'unpause', 'resume'):
            return vm_state == 'active' and record['power_state'] == server_record.RUNNING
        if action == 'stop':
            return vm_state == 'stopped' and record['power_state'] in _OFF
        if action in ('pause', 'suspend'):
            return vm_state == self.op['vm_state'] and record['power_state'] == self.op['power_state']
        if action == 'lock':
            return bool(record.get('locked')) and self.p['is_owner']
        if action == 'unlock':
            return not record.get('locked')
        return False

    def check_state(self, record):
        """Nova's checks, in its decorators' order: the lock (not for lock and unlock), then
        the vm_state the action allows with no other task under way."""
        if self.op.get('api'):
            return
        check_instance_lock(record, self.p['is_admin'])
        check_instance_state(record, self.op['action'], self.op['allowed'])

    # ---- the action ------------------------------------------------------------------------

    def save(self, record):
        save_record(self.dom, record)

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
        """Close the event and the action with `result`; the task is over (the state is
        saved whatever the guest does meanwhile)."""
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
        # Nova's wrap_instance_fault: every failed compute action leaves its fault.
        server_record.set_fault(record, **fault_from_exc(exc))
        self.end(record, 'Error', vm_state)
        raise LifecycleError('%s of instance %s failed: %s'
                             % (self.op['action'].capitalize(), record['uuid'], exc),
                             server=record)

    def perform(self, record):
        if self.op.get('api'):
            self._set_lock(record)
            return
        {'start': self._power_on, 'stop': self._power_off, 'reboot': self._soft_reboot,
         'reboot_hard': self._hard_reboot, 'pause': self._pause, 'unpause': self._unpause,
         'suspend': self._suspend, 'resume': self._power_on}[self.op_name]()

    def _set_lock(self, record):
        """Nova's compute API lock (locked_by `owner` or `admin`, the reason) and unlock."""
        if self.op_name == 'lock':
            record.update(locked=True, locked_by='owner' if self.p['is_owner'] else 'admin',
                          locked_reason=self.p['locked_reason'])
        else:
            record.update(locked=False, locked_by=None, locked_reason=None)

    def _pause(self):
        pause_domain(self.dom, self.p['start_timeout'])

    def _unpause(self):
        unpause_domain(self.dom, self.p['start_timeout'])

    def _suspend(self):
        """The libvirt driver's suspend: a managed save. The saved image keeps the live XML
        with the record as it was (task_state suspending); `end` writes the record to the
        persistent definition, and resume's `end` writes it live again."""
        save_memory_state(self.dom)

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
        """Nova's _hard_reboot: destroy, then start the defined domain again, afresh (a
        suspended server's saved memory is dropped, as Nova's undefine drops it)."""
        destroy_domain(self.dom)
        discard_memory_state(self.dom)
        start_domain(self.dom, self.p['start_timeout'])
