# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resize a server on its own hypervisor, then confirm or revert it: Nova's compute manager
`prep_resize`, `resize_instance`, `finish_resize`, `confirm_resize`, `revert_resize` and
`finish_revert_resize` with the libvirt driver's same-host path
(`migrate_disk_and_power_off`: the instance directory becomes <dir>_resize and its disks
are copied back; `finish_migration`: the disks grown to the new flavor, the domain defined
with it; `confirm_migration` drops <dir>_resize; `finish_revert_migration` puts it back).

The record in the domain metadata plays Nova's database and its migration: `prep_resize`
checks under the host's compute lock that the new flavor fits beside everything the host
holds, this server's old flavor included, and records the new flavor with the old one in
`old_flavor` at once, so from then on the host counts both (Nova's migration allocation)
until confirmResize frees the old or revertResize the new. Task states `resize_prep`,
`resize_migrating`, `resize_migrated`, `resize_finish`, then vm_state `resized`
(VERIFY_RESIZE) with the guest running when it ran before; `resize_confirming` and
`resize_reverting` for the other two. Each is an instance action (`resize`,
`confirmResize`, `revertResize`) with Nova's events.

Nothing is left half-done: a failure of the resize puts the old directory, definition and
flavor back (the server in error only when that fails too), with the instance fault.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import shutil
import uuid

try:
    import libvirt
    from lxml import etree
except ImportError:
    pass  # modules check connection.HAS_LIBVIRT and HAS_LXML

from ansible_collections.novalite.compute.plugins.module_utils.compute import claims
from ansible_collections.novalite.compute.plugins.module_utils.compute import image_cache
from ansible_collections.novalite.compute.plugins.module_utils.compute import layout
from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record
from ansible_collections.novalite.compute.plugins.module_utils.compute.image_cache import GiB, MiB
from ansible_collections.novalite.compute.plugins.module_utils.compute.host_settings import HostSettings
from ansible_collections.novalite.compute.plugins.module_utils.compute.lifecycle import (
    LifecycleError, canonical_uuid, check_instance_lock, check_instance_state, fault_from_exc,
    instance_lock, save_record,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute.resource_tracker import gather_host_state
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.resources import (
    fit_failures, flavor_resources,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt import dac
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.blockinfo import (
    BUS_PREFIX, disk_layout, target_devs,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import (
    DomainStopped, domain_by_uuid,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.guest import (
    start_domain, stop_domain,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.virt_type import resolve_virt_type

ACTIONS = ('resize', 'confirm', 'revert')
# Per action: Nova's instance action, the vm_states its API accepts, the task state while it
# works and the events it records.
OPERATIONS = {
    'resize': dict(action='resize', api='resize', allowed=('active', 'stopped'),
                   events=('compute_prep_resize', 'compute_resize_instance',
                           'compute_finish_resize')),
    'confirm': dict(action='confirmResize', api='confirmResize', allowed=('resized',),
                    task_state='resize_confirming', events=('compute_confirm_resize',)),
    'revert': dict(action='revertResize', api='revertResize', allowed=('resized',),
                   task_state='resize_reverting',
                   events=('compute_revert_resize', 'compute_finish_revert_resize')),
}
# The old domain definition, kept in <dir>_resize until confirmResize.
OLD_DEFINITION = 'libvirt.xml'
SHOWN_KEYS = ('flavor', 'old_flavor', 'vm_state', 'task_state', 'host')
DEFAULTS = dict(shutdown_timeout=60, boot_timeout=60, request_id=None, is_admin=False,
                new_flavor=None)
# What errors of the guest and the files a step may raise.
STEP_ERRORS = (OSError, TimeoutError, DomainStopped, RuntimeError, ValueError)


def resize_action(conn, params, runner, check_mode=False):
    """Run `params['action']` (resize, confirm, revert) on the server `params['server']` of
    this host; {changed, server, transition, instance_action, diff}. Raises LifecycleError.
    `params`: the action's options (DEFAULTS), `new_flavor` for a resize (as the record keeps
    flavors), the host settings (HostSettings names), `host` (the inventory name)."""
    instance_uuid = canonical_uuid(params['server'])
    dom = domain_by_uuid(conn, instance_uuid)
    if dom is None:
        raise LifecycleError('Instance %s could not be found on this host.' % instance_uuid)
    job = Resize(conn, dom, params, runner)
    if check_mode:
        return job.plan()
    with instance_lock(params['state_path'], instance_uuid):
        return job.run()


def put_back(conn, dom, instances_path, instance_uuid):
    """The old files and definition of a resize back in place, the guest stopped first;
    returns the domain. Without <dir>_resize nothing was moved aside; without the old
    definition in it the domain was not redefined yet (the resize writes it there before)."""
    inst_dir = layout.instance_dir(instances_path, instance_uuid)
    old_dir = layout.resize_dir(instances_path, instance_uuid)
    stop_domain(dom, 0)
    if not os.path.isdir(old_dir):
        return dom
    definition = os.path.join(old_dir, OLD_DEFINITION)
    old_xml = None
    if os.path.exists(definition):
        with open(definition) as handle:
            old_xml = handle.read()
    if os.path.isdir(inst_dir):
        shutil.rmtree(inst_dir)
    for name in os.listdir(old_dir):
        if name.startswith(OLD_DEFINITION):  # the definition and a temporary file of it
            os.unlink(os.path.join(old_dir, name))
    os.rename(old_dir, inst_dir)
    return conn.defineXML(old_xml) if old_xml is not None else dom


def _shown(record):
    return dict((key, record.get(key)) for key in SHOWN_KEYS)


def check_resize_allowed(record, action, is_admin):
    """Nova's decorators on resize, confirm_resize and revert_resize: the lock, then the
    state, with the API's name of the action in the message."""
    op = OPERATIONS[action]
    check_instance_lock(record, is_admin)
    check_instance_state(record, op['api'], op['allowed'])


def grow_disks(runner, inst_dir, old_flavor, new):
    """finish_migration's disks: the root and ephemeral disks grown to the new flavor
    (never shrunk: the API refused that), a new ephemeral disk where there was none, the
    swap disk made again at its new size or dropped."""
    disk = os.path.join(inst_dir, 'disk')
    if int(new['root_gb']) > int(old_flavor.get('root_gb') or 0):
        _qemu_img_resize(runner, disk, int(new['root_gb']) * GiB)
    eph = os.path.join(inst_dir, 'disk.eph0')
    eph_gb = int(new.get('ephemeral_gb') or 0)
    if eph_gb and os.path.exists(eph):
        if eph_gb > int(old_flavor.get('ephemeral_gb') or 0):
            _qemu_img_resize(runner, eph, eph_gb * GiB)
    elif eph_gb:
        image_cache.create_blank(runner, eph, eph_gb * GiB)
    swap = os.path.join(inst_dir, 'disk.swap')
    if int(new.get('swap') or 0) != int(old_flavor.get('swap') or 0):
        if os.path.exists(swap):
            os.unlink(swap)
        if int(new.get('swap') or 0):
            image_cache.create_blank(runner, swap, int(new['swap']) * MiB)


def _qemu_img_resize(runner, path, size):
    rc, _out, err = runner(['qemu-img', 'resize', '-q', path, str(size)])
    if rc != 0:
        raise RuntimeError('qemu-img resize %s: %s' % (path, err.strip()))


def resized_xml(old_xml, new, inst_dir):
    """The old definition with the new flavor's vCPUs and memory, and its disks as the
    new flavor lays them out in `inst_dir` (Nova's order, bus and target names of the build)."""
    root = etree.fromstring(old_xml.encode())
    memory_kib = str(int(new['memory_mb']) * 1024)
    for tag in ('memory', 'currentMemory'):
        elem = root.find(tag)
        if elem is not None:
            elem.text, elem.attrib['unit'] = memory_kib, 'KiB'
    root.find('vcpu').text = str(int(new['vcpus']))
    devices = root.find('devices')
    by_file = {}
    for elem in devices.findall('disk'):
        source = elem.find('source')
        if source is not None and source.get('file'):
            by_file[os.path.basename(source.get('file'))] = elem
    root_disk = by_file['disk']
    bus = root_disk.find('target').get('bus')
    config_drive = 'disk.config' in by_file
    layout_ = disk_layout({'flavor': new, 'config_drive': config_drive, 'image': {
        'properties': {'hw_disk_bus': bus}}})
    if config_drive:
        # the config drive keeps its bus and place
        layout_[-1] = layout_[-1][:3] + (by_file['disk.config'].find('target').get('bus'),)
    wanted = dict((name, dev) for (name, _f, _d, _b), dev in zip(layout_, target_devs(layout_)))
    for name, elem in list(by_file.items()):
        if name not in wanted:
            devices.remove(elem)
    for name, dev in wanted.items():
        elem = by_file.get(name)
        if elem is None:
            elem = etree.fromstring(etree.tostring(root_disk))
            elem.find('source').set('file', os.path.join(inst_dir, name))
            for child in elem:
                if child.tag == 'address':
                    elem.remove(child)
            root_disk.addnext(elem)
        if BUS_PREFIX.get(elem.find('target').get('bus')) and name != 'disk.config':
            elem.find('target').set('dev', dev)
    return etree.tostring(root, encoding='unicode')


class Resize(object):
    """One resize, confirm or revert of one domain on this host."""

    def __init__(self, conn, dom, params, runner):
        self.conn, self.dom, self.runner = conn, dom, runner
        self.p = dict(DEFAULTS, **params)
        self.op = OPERATIONS[self.p['action']]
        self.settings = HostSettings.from_params(params)
        self.uuid = dom.UUIDString()
        self.inst_dir = layout.instance_dir(self.settings.instances_path, self.uuid)
        self.old_dir = layout.resize_dir(self.settings.instances_path, self.uuid)

    # ---- checks ----------------------------------------------------------------------------

    def checked_record(self):
        record = server_record.read_record(self.dom)
        if record is None:
            raise LifecycleError('server: domain %s has no server record' % self.dom.name())
        record['power_state'] = self.power_state()
        check_resize_allowed(record, self.p['action'], self.p['is_admin'])
        if self.p['action'] == 'revert' and server_record.is_cross_host(record):
            raise LifecycleError('Instance %s was resized from another host: its revert runs on '
                                 'both hosts (playbooks/revert_resize.yml).' % self.uuid, server=record)
        # a resize to another host keeps its old files on the source
        if (self.p['action'] != 'resize' and not server_record.is_cross_host(record)
                and not os.path.isdir(self.old_dir)):
            # Nova's MigrationNotFound: the API's 400
            raise LifecycleError('Instance has not been resized.', server=record)
        return record

    def power_state(self):
        return server_record.power_state_from_libvirt(self.dom.state()[0])

    def fit_failures(self, record):
        """Why the new flavor does not fit beside what the host holds now (this server's
        record and its flavor counted); empty when it fits."""
        virt_type = resolve_virt_type(self.settings.virt_type)[0]
        host_state, _servers = gather_host_state(
            self.conn, self.settings, host=record.get('host'), availability_zone=None,
            aggregates=[], virt_type=virt_type, claims=claims.list_claims(self.settings.state_path))
        return fit_failures(host_state, flavor_resources(self.p['new_flavor']))

    def ended(self, record):
        """The record as the action leaves it (check mode's prediction)."""
        after = dict(record)
        action = self.p['action']
        if action == 'resize':
            after.update(flavor=self.p['new_flavor'], old_flavor=record['flavor'],
                         vm_state='resized', task_state=None,
                         migration=self.migration(record))
        elif action == 'confirm':
            after.update(old_flavor=None, migration=None, task_state=None,
                         vm_state='active' if self.dom.isActive() else 'stopped')
        else:
            old_vm_state = (record.get('migration') or {}).get('old_vm_state') or 'active'
            after.update(flavor=record.get('old_flavor') or record['flavor'], old_flavor=None,
                         migration=None, task_state=None, vm_state=old_vm_state)
        return after

    def migration(self, record):
        """Nova's Migration of a same-host resize, as the record keeps it."""
        return {'migration_type': 'resize', 'status': 'finished',
                'source_compute': record.get('host'), 'dest_compute': record.get('host'),
                'source_node': record.get('node'), 'dest_node': record.get('node'),
                'old_vm_state': record['vm_state'], 'created_at': server_record.now_iso()}

    def plan(self):
        record = self.checked_record()
        if self.p['action'] == 'resize':
            failures = self.fit_failures(record)
            if failures:
                raise LifecycleError('Insufficient compute resources for instance %s: %s'
                                     % (self.uuid, '; '.join(failures)), server=record)
        return self.result(record, self.ended(record), None)

    @staticmethod
    def result(before, after, entry):
        return {'changed': True, 'server': after, 'instance_action': entry,
                'transition': {'before': _shown(before), 'after': _shown(after)},
                'diff': {'before': _shown(before), 'after': _shown(after)}}

    # ---- the instance action ---------------------------------------------------------------

    def run(self):
        record = self.checked_record()
        before = dict(record)
        entry = server_record.new_action(self.op['action'],
                                         self.p['request_id'] or 'req-%s' % uuid.uuid4())
        record.setdefault('actions', []).append(entry)
        {'resize': self._resize, 'confirm': self._confirm, 'revert': self._revert}[
            self.p['action']](record)
        server_record.finish_action(record, self.op['action'])
        record['power_state'] = self.power_state()
        save_record(self.dom, record)
        return self.result(before, record, entry)

    def event(self, record, name):
        """Open the event `name` of the action; returns a function closing it with Success."""
        start = server_record.now_iso()
        item = server_record.add_event(record, self.op['action'], name, None, start, None)

        def done():
            item.update(finish_time=server_record.now_iso(), result='Success')
        return done

    def fail(self, record, exc, vm_state, **restored):
        """The open event and the action end in Error, with the fault; raises."""
        now = server_record.now_iso()
        for item in record['actions'][-1]['events']:
            if item['finish_time'] is None:
                item.update(finish_time=now, result='Error')
        record['actions'][-1].update(message='Error', finish_time=now)
        server_record.set_fault(record, **fault_from_exc(exc))
        record.update(restored)
        record.update(vm_state=vm_state, task_state=None, power_state=self.power_state())
        save_record(self.dom, record)
        raise LifecycleError('%s of instance %s failed: %s'
                             % (self.op['api'][0].upper() + self.op['api'][1:], self.uuid, exc),
                             server=record)

    # ---- resize ----------------------------------------------------------------------------

    def _resize(self, record):
        old_flavor, old_vm_state = record['flavor'], record['vm_state']
        was_running = bool(self.dom.isActive())
        done = self.event(record, 'compute_prep_resize')
        self._prep(record)
        done()
        old_xml = self.dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
        done = self.event(record, 'compute_resize_instance')
        record['task_state'] = 'resize_migrating'
        save_record(self.dom, record)
        try:
            stop_domain(self.dom, self.p['shutdown_timeout'])
            self._move_aside(old_xml)
            record['task_state'] = 'resize_migrated'
            done()
            done = self.event(record, 'compute_finish_resize')
            record['task_state'] = 'resize_finish'
            save_record(self.dom, record)
            self._grow_disks(old_flavor)
            self.dom = self.conn.defineXML(self._resized_xml(old_xml))
            if was_running:
                start_domain(self.dom, self.p['boot_timeout'])
        except (libvirt.libvirtError,) + STEP_ERRORS as exc:
            vm_state = self._roll_back(old_xml, was_running, old_vm_state)
            self.fail(record, exc, vm_state, flavor=old_flavor, old_flavor=None, migration=None)
        done()
        record.update(vm_state='resized', task_state=None)

    def _prep(self, record):
        """Nova's prep_resize and its claim: under the compute lock, the new flavor fits
        beside everything the host holds, and the record holds both flavors from then on."""
        try:
            with layout.compute_lock(self.settings.state_path):
                failures = self.fit_failures(record)
                if failures:
                    raise LifecycleError('Insufficient compute resources for instance %s: %s'
                                         % (self.uuid, '; '.join(failures)))
                record.update(flavor=self.p['new_flavor'], old_flavor=record['flavor'],
                              migration=self.migration(record), task_state='resize_prep')
                save_record(self.dom, record)
        except LifecycleError as exc:
            # Nova's prep_resize failure: the instance stays as it was, with the fault
            self.fail(record, exc, record['vm_state'])

    def _move_aside(self, old_xml):
        """The driver's migrate_disk_and_power_off on the same host: the directory becomes
        <dir>_resize (with the old definition), its files are copied back."""
        os.rename(self.inst_dir, self.old_dir)
        layout.write_atomic(os.path.join(self.old_dir, OLD_DEFINITION), old_xml)
        os.makedirs(self.inst_dir, mode=dac.INSTANCE_DIR_MODE)
        st = os.stat(self.old_dir)
        os.chown(self.inst_dir, -1, st.st_gid)
        os.chmod(self.inst_dir, dac.INSTANCE_DIR_MODE)
        for name in sorted(os.listdir(self.old_dir)):
            if name in (OLD_DEFINITION, 'console.log'):
                continue
            source, dest = os.path.join(self.old_dir, name), os.path.join(self.inst_dir, name)
            if os.path.islink(source):
                os.symlink(os.readlink(source), dest)
            else:
                shutil.copy2(source, dest)
                st = os.stat(source)
                os.chown(dest, st.st_uid, st.st_gid)

    def _grow_disks(self, old_flavor):
        grow_disks(self.runner, self.inst_dir, old_flavor, self.p['new_flavor'])

    def _resized_xml(self, old_xml):
        return resized_xml(old_xml, self.p['new_flavor'], self.inst_dir)

    def _roll_back(self, old_xml, was_running, old_vm_state):
        """The old directory and definition back; the vm_state the server is left in (its
        old one, or error when the old state cannot be restored)."""
        try:
            put_back(self.conn, self.dom, self.settings.instances_path, self.uuid)
            self.dom = self.conn.defineXML(old_xml)
            if was_running:
                start_domain(self.dom, self.p['boot_timeout'])
        except (libvirt.libvirtError,) + STEP_ERRORS:
            return 'error'
        return old_vm_state

    # ---- confirm and revert ----------------------------------------------------------------

    def _confirm(self, record):
        """Nova's confirm_resize on the source: the old files go, the old flavor is freed."""
        done = self.event(record, 'compute_confirm_resize')
        record['task_state'] = self.op['task_state']
        save_record(self.dom, record)
        try:
            if os.path.isdir(self.old_dir):
                shutil.rmtree(self.old_dir)
        except OSError as exc:
            self.fail(record, exc, 'resized')
        done()
        record.update(self.ended(record))

    def _revert(self, record):
        """Nova's revert_resize and finish_revert_resize: the new disks and definition go,
        the old ones come back, the new flavor is freed; the guest runs again when it ran
        before the resize."""
        after = self.ended(record)
        done = self.event(record, 'compute_revert_resize')
        record['task_state'] = self.op['task_state']
        save_record(self.dom, record)
        try:
            stop_domain(self.dom, self.p['shutdown_timeout'])
            with open(os.path.join(self.old_dir, OLD_DEFINITION)) as handle:
                old_xml = handle.read()
            done()
            done = self.event(record, 'compute_finish_revert_resize')
            shutil.rmtree(self.inst_dir)
            os.unlink(os.path.join(self.old_dir, OLD_DEFINITION))
            os.rename(self.old_dir, self.inst_dir)
            self.dom = self.conn.defineXML(old_xml)
            # the record as it is now (the old definition holds the one before the resize)
            record.update(flavor=after['flavor'], old_flavor=None, migration=None)
            save_record(self.dom, record)
            if after['vm_state'] == 'active':
                start_domain(self.dom, self.p['boot_timeout'])
        except (libvirt.libvirtError,) + STEP_ERRORS as exc:
            self.fail(record, exc, 'error')
        done()
        record.update(after)
