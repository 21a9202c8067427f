# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A server whose action died, made consistent with its record: Nova's `_init_instance`,
which decides at nova-compute's start what becomes of an instance found in each task state.

The reconciler (reconcile.py) calls `recovery` for a server of this host whose record holds a
task state while nobody holds the instance's lock (lifecycle.instance_lock_if_free: the
process of the action is gone), and takes the step it returns:

- `rebuilding`, `rebuild_spawning`: ERROR with a fault (Nova sets the instance to ERROR);
  the old disks (<file>.pre-rebuild) are put back and the new ones (<file>.rebuild) removed,
  as rebuild's own rollback does, the guest stopped first when files move under it.
- `resize_prep`: the task state cleared, the old flavor back (nothing was moved yet).
- `resize_migrating`, `resize_migrated`, `resize_finish` on the destination of a resize to
  another host (the record names another host as the migration's source) whose finish did
  not end: the server's domain, files, DHCP entries and claim here removed (its source, which
  commits only after the finish, puts it back). A finish that ended (migration `finished`
  here, migration.is_in_doubt) is not this host's to decide: the reconcile playbook asks the
  source and settles it (server_migrate `source_state`, `settle`).
- `resize_migrating`, `resize_migrated`, `resize_finish`: the resize reverted (Nova's
  `finish_revert_migration` for RESIZE_MIGRATING): the old directory and definition back, the
  old flavor, the guest started when it ran before; ERROR with a fault when that fails.
- `resize_confirming`: the confirm done again (the old files go, the old flavor is freed).
- `resize_reverting`: ERROR with a fault (Nova), the old files and definition put back when
  they are still aside, with the old flavor.
- a simple action's task state (lifecycle.OWN_TASK_STATES): cleared, its action closed as an
  Error and the vm_state following the guest's power (lifecycle.sync_interrupted). Nova
  retries a power-off or power-on at start-up; here the reconciler runs inside every create's
  host gathering, under the compute lock, and does not wait for a guest there.

Each step's instance action is closed (Error, or Success for the confirm done again).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import shutil

try:
    import libvirt
except ImportError:
    pass  # modules check connection.HAS_LIBVIRT

from ansible_collections.novalite.compute.plugins.module_utils.compute import layout
from ansible_collections.novalite.compute.plugins.module_utils.compute import lifecycle
from ansible_collections.novalite.compute.plugins.module_utils.compute import migration
from ansible_collections.novalite.compute.plugins.module_utils.compute import rebuild
from ansible_collections.novalite.compute.plugins.module_utils.compute import resize
from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record
from ansible_collections.novalite.compute.plugins.module_utils.compute import teardown
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.guest import stop_domain

REBUILD_TASKS = (rebuild.TASK_REBUILDING, rebuild.TASK_SPAWNING)
RESIZE_MOVED = ('resize_migrating', 'resize_migrated', 'resize_finish')


def recovery(conn, dom, record, settings):
    """(action, detail, do) for the server of `dom` whose action died in its record's task
    state; None when the task state is not one of an action of this host. `do()` takes the
    step (the caller reports it, or only reports it in check mode)."""
    task = record.get('task_state')
    job = Recovery(conn, dom, record, settings)
    if migration.is_in_doubt(record):
        return None  # only the source knows whether it handed the server over: settle decides
    if task in REBUILD_TASKS:
        return ('rebuild_interrupted', job.message('Rebuild'), job.rebuild)
    if task == 'resize_prep':
        return ('resize_cleared', job.message('Resize') + '; nothing was moved yet',
                job.resize_prep)
    if task in RESIZE_MOVED and record.get('host') != (record.get('migration') or {}).get(
            'source_compute', record.get('host')):
        # the destination of a resize to another host whose finish died: the source never
        # handed the server over (its commit follows the finish) and takes it back
        # (resize_reverted there), nothing of it stays here
        return ('resize_dest_dropped', job.message('Finish of the resize') + '; its files here are removed',
                job.drop_destination)
    if task in RESIZE_MOVED:
        return ('resize_reverted', job.message('Resize') + '; the resize is reverted',
                job.revert_resize)
    if task == 'resize_confirming':
        return ('resize_confirmed', job.message('Confirm of the resize') + '; confirmed again',
                job.confirm_resize)
    if task == 'resize_reverting':
        return ('resize_interrupted', job.message('Revert of the resize'), job.revert_interrupted)
    if task in lifecycle.OWN_TASK_STATES:
        return ('task_cleared', job.message(lifecycle.OWN_TASK_STATES[task].capitalize())
                + '; task state cleared', job.clear)
    return None


class Recovery(object):
    """The steps of `recovery` for one server."""

    def __init__(self, conn, dom, record, settings):
        self.conn, self.dom, self.record = conn, dom, record
        self.uuid = dom.UUIDString()
        self.instances_path = settings.instances_path
        self.state_path = settings.state_path
        self.inst_dir = layout.instance_dir(settings.instances_path, self.uuid)

    def message(self, what):
        return ('%s of instance %s was interrupted in task state %s: its process is gone'
                % (what, self.uuid, self.record.get('task_state')))

    def save(self):
        self.record['power_state'] = server_record.power_state_from_libvirt(self.dom.state()[0])
        server_record.write_record(self.dom, self.record)

    def set_error(self, action, message):
        """Nova's `_set_instance_obj_error_state` with an instance fault; `action` closed."""
        lifecycle.close_interrupted(self.record, action, 'Error')
        self.record.update(vm_state='error', task_state=None, updated=server_record.now_iso())
        server_record.set_fault(self.record, message)
        self.save()

    # ---- rebuild ---------------------------------------------------------------------------

    def rebuild(self):
        """ERROR; the old disks back when the rebuild had moved them aside."""
        names = sorted(os.listdir(self.inst_dir)) if os.path.isdir(self.inst_dir) else []
        if any(name.endswith(rebuild.OLD) for name in names):
            stop_domain(self.dom, 0)  # its guest may run on the new files
        restored = rebuild.restore_old_files(self.inst_dir) if names else []
        how = ('; its old disks were put back (%s)' % ', '.join(restored) if restored
               else '; its disks were not swapped yet')
        self.set_error('rebuild', self.message('Rebuild') + how)

    # ---- resize ----------------------------------------------------------------------------

    def _old_flavor(self):
        """The record back on the flavor it had before the resize."""
        self.record.update(flavor=self.record.get('old_flavor') or self.record['flavor'],
                           old_flavor=None, migration=None)

    def resize_prep(self):
        self._old_flavor()
        lifecycle.close_interrupted(self.record, 'resize', 'Error')
        self.record['task_state'] = None
        self.save()

    def revert_resize(self):
        old_vm_state = (self.record.get('migration') or {}).get('old_vm_state') or 'active'
        try:
            self.dom = resize.put_back(self.conn, self.dom, self.instances_path, self.uuid)
            # Nova's power_on: unless the server was stopped before the resize; no wait here
            if old_vm_state != 'stopped':
                self.dom.create()
        except (OSError, libvirt.libvirtError) as exc:
            self._old_flavor()
            self.set_error('resize', '%s; the revert failed: %s' % (self.message('Resize'), exc))
            return
        self._old_flavor()
        lifecycle.close_interrupted(self.record, 'resize', 'Error')
        self.record.update(vm_state=old_vm_state, task_state=None)
        self.save()

    def drop_destination(self):
        teardown.remove_server(self.conn, self.uuid, self.instances_path, self.state_path)

    def confirm_resize(self):
        old_dir = layout.resize_dir(self.instances_path, self.uuid)
        if os.path.isdir(old_dir):
            shutil.rmtree(old_dir)
        lifecycle.close_interrupted(self.record, 'confirmResize', 'Success')
        self.record.update(old_flavor=None, migration=None, task_state=None,
                           vm_state='active' if self.dom.isActive() else 'stopped')
        self.save()

    def revert_interrupted(self):
        """ERROR; what is still aside is put back with the old flavor."""
        message = self.message('Revert of the resize')
        if os.path.isdir(layout.resize_dir(self.instances_path, self.uuid)):
            self.dom = resize.put_back(self.conn, self.dom, self.instances_path, self.uuid)
            self._old_flavor()
            message += '; its old files were put back'
        self.set_error('revertResize', message)

    # ---- simple actions --------------------------------------------------------------------

    def clear(self):
        self.record['power_state'] = server_record.power_state_from_libvirt(self.dom.state()[0])
        lifecycle.sync_interrupted(self.record)
        server_record.write_record(self.dom, self.record)
