# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rebuild a server on its hypervisor: Nova's compute manager `rebuild_instance` with the
libvirt driver's path (power off, the instance's disks made again from the new image through
the image cache, the config drive regenerated, spawn), the record in the domain metadata
playing Nova's database.

The server keeps its uuid, ports (MACs and fixed IPs), host and claim-free usage (the
flavor does not change); its image, and what the body gives of name, metadata, description,
key and user data, change. The config drive's network_data.json, the user data and key the
body leaves alone are read back from the first drive, where Nova reads them from its
database; injected files are not carried over (Nova's rebuild drops them too).

`rebuild(conn, params, runner, check_mode)` runs under the instance's host-local lock:
Nova's lock check, its state check (active, stopped or error, no task under way), then the
instance action `rebuild` with its `compute_rebuild_instance` event and the task states
`rebuilding` (new disks beside the old ones, the guest powered off) and `rebuild_spawning`
(the new disks in place, the guest started). The server ends active, or stopped when it was
stopped (Nova powers it off again). Every new file is made beside the old ones first: a
failure before the swap leaves the server as it was; a failure after it puts the old disks
back, and only when that fails too the server is left in error; either way with the
instance fault.

Unlike Nova, which writes a new domain definition, the domain is kept: an image that boots
differently (another disk or cdrom bus, a kernel where there was none or none where there
was one) is refused before anything changes.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import json
import os
import uuid

try:
    import libvirt
    from lxml import etree
except ImportError:
    pass  # modules check connection.HAS_LIBVIRT and HAS_LXML

from ansible_collections.novalite.compute.plugins.module_utils.compute import config_drive
from ansible_collections.novalite.compute.plugins.module_utils.compute import image_cache
from ansible_collections.novalite.compute.plugins.module_utils.compute import journal
from ansible_collections.novalite.compute.plugins.module_utils.compute import layout
from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record
from ansible_collections.novalite.compute.plugins.module_utils.compute.build import QEMU_FORMATS
from ansible_collections.novalite.compute.plugins.module_utils.compute.image_cache import GiB, MiB
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.blockinfo import disk_layout
from ansible_collections.novalite.compute.plugins.module_utils.compute.lifecycle import (
    LifecycleError, canonical_uuid, check_instance_lock, check_instance_state, fault_from_exc,
    instance_lock, save_record,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt import dac
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import (
    DomainStopped, domain_by_uuid,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.guest import (
    start_domain, stop_domain,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.virt_type import resolve_virt_type

# Nova's check_instance_state on rebuild.
ALLOWED_VM_STATES = ('active', 'stopped', 'error')
EVENT = 'compute_rebuild_instance'
# Nova's task states: REBUILDING while the guest goes down and the new disks are made,
# REBUILD_SPAWNING once they are in place.
TASK_REBUILDING, TASK_SPAWNING = 'rebuilding', 'rebuild_spawning'
# Suffixes of the files made for the rebuild, and of the files they replace, until it ends.
NEW, OLD = '.rebuild', '.pre-rebuild'
# What the transition and the diff show.
SHOWN_KEYS = ('image', 'name', 'metadata', 'description', 'key_name', 'vm_state', 'task_state')
DEFAULTS = dict(shutdown_timeout=60, boot_timeout=60, request_id=None, is_admin=False,
                virt_type='auto')
LATEST = 'openstack/latest/'


def rebuild(conn, params, runner, check_mode=False):
    """Rebuild `params['server']` on this host with `params['rebuild']` (what
    api/server_actions.rebuild_request returns); {changed, server, transition,
    instance_action, diff}. Raises LifecycleError. `runner(args) -> (rc, out, err)` runs
    qemu-img."""
    instance_uuid = canonical_uuid(params['server'])
    dom = domain_by_uuid(conn, instance_uuid)
    if dom is None:
        raise LifecycleError('Instance %s could not be found on this host.' % instance_uuid)
    job = Rebuild(conn, dom, params, runner)
    if check_mode:
        return job.plan()
    with instance_lock(params['state_path'], instance_uuid):
        return job.run()


def restore_old_files(inst_dir):
    """Put back what a rebuild that died left in `inst_dir`: each <name>.pre-rebuild to its
    place, every <name>.rebuild removed. The names put back, sorted."""
    restored = []
    for entry in sorted(os.listdir(inst_dir)):
        path = os.path.join(inst_dir, entry)
        if entry.endswith(OLD):
            os.rename(path, path[:-len(OLD)])
            restored.append(entry[:-len(OLD)])
        elif entry.endswith(NEW):
            os.unlink(path)
    return sorted(restored)


def check_rebuild_allowed(record, is_admin):
    """Nova's decorators on rebuild, in their order: the lock, then the state."""
    check_instance_lock(record, is_admin)
    check_instance_state(record, 'rebuild', ALLOWED_VM_STATES)


def _shown(record):
    return dict((key, record.get(key)) for key in SHOWN_KEYS)


def _domain_boot(dom):
    """{file name: bus} of the domain's disks, and whether it boots a kernel of its own."""
    root = etree.fromstring(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE).encode())
    buses = {}
    for disk in root.findall('devices/disk'):
        source, target = disk.find('source'), disk.find('target')
        if source is not None and target is not None and source.get('file'):
            buses[os.path.basename(source.get('file'))] = target.get('bus')
    return buses, root.find('os/kernel') is not None


class Rebuild(object):
    """One rebuild of one domain. `params`: server, rebuild (image, kernel, ramdisk,
    preserve_ephemeral and the changed fields), instances_path, state_path, virt_type,
    shutdown_timeout, boot_timeout, request_id, is_admin."""

    def __init__(self, conn, dom, params, runner):
        self.conn, self.dom, self.runner = conn, dom, runner
        self.p = dict(DEFAULTS, **params)
        self.spec = self.p['rebuild']
        self.uuid = dom.UUIDString()
        self.inst_dir = layout.instance_dir(self.p['instances_path'], self.uuid)
        self.made, self.swapped = [], []

    # ---- checks and the record -------------------------------------------------------------

    def checked_record(self):
        """The record, with Nova's lock and state checks and the boot shape passed."""
        record = server_record.read_record(self.dom)
        if record is None:
            raise LifecycleError('server: domain %s has no server record' % self.dom.name())
        record['power_state'] = server_record.power_state_from_libvirt(self.dom.state()[0])
        check_rebuild_allowed(record, self.p['is_admin'])
        self._check_boot_shape(record)
        return record

    def files(self, record):
        """[(file name, format)] of the disks the new image gets, in Nova's order."""
        layout_ = disk_layout({'image': self.spec['image'], 'flavor': record['flavor'],
                               'config_drive': record.get('config_drive')})
        return [(name, fmt) for name, fmt, _device, _bus in layout_]

    def _check_boot_shape(self, record):
        buses, has_kernel = _domain_boot(self.dom)
        layout_ = disk_layout({'image': self.spec['image'], 'flavor': record['flavor'],
                               'config_drive': record.get('config_drive')})
        wanted = dict((name, bus) for name, _fmt, _device, bus in layout_)
        changed = sorted('%s on %s, not %s' % (name, wanted[name], buses.get(name))
                         for name in wanted if buses.get(name) != wanted[name])
        if has_kernel != bool(self.spec.get('kernel')):
            changed.append('a kernel of its own' if self.spec.get('kernel') else 'no kernel')
        if changed:
            message = ("rebuild.imageRef: image %s boots differently from the server's domain "
                       "(%s); a rebuild keeps the domain definition")
            raise LifecycleError(message % (self.spec['image']['id'], '; '.join(changed)),
                                 server=record)

    def rebuilt(self, record):
        """The record as the rebuild leaves it (vm_state and task_state aside)."""
        after = dict(record)
        after['image'] = {'id': self.spec['image']['id'], 'name': self.spec['image'].get('name')}
        for key in ('name', 'metadata', 'description', 'key_name'):
            if key in self.spec:
                after[key] = self.spec[key]
        return after

    @staticmethod
    def end_state(record):
        return 'stopped' if record['vm_state'] == 'stopped' else 'active'

    def plan(self):
        """Check mode: the same checks, the record it would end with."""
        record = self.checked_record()
        after = self.rebuilt(record)
        after.update(vm_state=self.end_state(record), task_state=None)
        return self.result(record, after, None)

    @staticmethod
    def result(before, after, entry):
        return {'changed': True, 'server': after, 'instance_action': entry,
                'transition': {'before': _shown(before), 'after': _shown(after)},
                'diff': {'before': _shown(before), 'after': _shown(after)}}

    # ---- the rebuild -----------------------------------------------------------------------

    def run(self):
        record = self.checked_record()
        before = dict(record)
        end_state = self.end_state(record)
        was_running = bool(self.dom.isActive())
        entry = self.begin(record)
        try:
            self.make_new_files(record)
        except Exception as exc:
            self.discard(self.made)
            # nothing of the server changed: its old state, with the fault
            self.fail(record, exc, record['vm_state'])
        try:
            stop_domain(self.dom, self.p['shutdown_timeout'])
            record['task_state'] = TASK_SPAWNING
            save_record(self.dom, record)
            self.swap()
            journal.pause_point('rebuild_swapped')
            if end_state == 'active':
                start_domain(self.dom, self.p['boot_timeout'])
        except (libvirt.libvirtError, OSError, TimeoutError, DomainStopped) as exc:
            self.fail(record, exc, self.restore(record, was_running))
        self.discard([name + OLD for name in self.swapped])
        record.update(self.rebuilt(record))
        record['launched_at'] = server_record.now_iso()
        self.end(record, 'Success', end_state)
        return self.result(before, record, entry)

    def begin(self, record):
        entry = server_record.new_action('rebuild', self.p['request_id'] or 'req-%s' % uuid.uuid4())
        record.setdefault('actions', []).append(entry)
        server_record.add_event(record, 'rebuild', EVENT, None, entry['start_time'], None)
        record['task_state'] = TASK_REBUILDING
        save_record(self.dom, record)
        return entry

    def end(self, record, result, vm_state):
        now = server_record.now_iso()
        entry = record['actions'][-1]
        entry['events'][-1].update(finish_time=now, result=result)
        if result == 'Error':
            entry['message'] = 'Error'
        server_record.finish_action(record, 'rebuild', now)
        record.update(vm_state=vm_state, task_state=None,
                      power_state=server_record.power_state_from_libvirt(self.dom.state()[0]))
        save_record(self.dom, record)

    def fail(self, record, exc, vm_state):
        """Nova's wrap_instance_fault and the action's Error; raises LifecycleError."""
        server_record.set_fault(record, **fault_from_exc(exc))
        self.end(record, 'Error', vm_state)
        raise LifecycleError('Rebuild of instance %s failed: %s' % (self.uuid, exc), server=record)

    # ---- the files -------------------------------------------------------------------------

    def _path(self, name):
        return os.path.join(self.inst_dir, name)

    def make_new_files(self, record):
        """Every new file beside the one it replaces (<name>.rebuild): the root disk on the
        new image, a blank ephemeral disk (unless preserve_ephemeral) and swap, the kernel
        and ramdisk links, the config drive."""
        flavor, image = record['flavor'], self.spec['image']
        state_path = self.p['state_path']
        base = image_cache.fetch_image(state_path, image, self.runner)
        for name, _fmt in self.files(record):
            if name == 'disk.eph0' and self.spec.get('preserve_ephemeral'):
                continue
            path = self._path(name + NEW)
            self.made.append(name + NEW)
            if name == 'disk':
                image_cache.create_overlay(self.runner, base,
                                           QEMU_FORMATS[image.get('disk_format') or 'raw'],
                                           path, flavor.get('root_gb'))
            elif name == 'disk.eph0':
                image_cache.create_blank(self.runner, path, int(flavor['ephemeral_gb']) * GiB)
            elif name == 'disk.swap':
                image_cache.create_blank(self.runner, path, int(flavor['swap']) * MiB)
            else:
                self._write_config_drive(record, path)
        for key, fmt in (('kernel', 'aki'), ('ramdisk', 'ari')):
            if self.spec.get(key):
                cached = image_cache.fetch_image(state_path, dict(self.spec[key], disk_format=fmt),
                                                 self.runner)
                self.made.append(key + NEW)
                image_cache.link_into(cached, self._path(key + NEW))

    def _write_config_drive(self, record, path):
        """The drive again, with the rebuilt server's metadata: what the body does not change
        comes from the first drive."""
        old = self._path('disk.config')
        meta = json.loads(config_drive.read_drive_file(old, LATEST + 'meta_data.json') or b'{}')
        network_data = json.loads(
            config_drive.read_drive_file(old, LATEST + 'network_data.json') or b'{}')
        if 'user_data' in self.spec:
            user_data = self.spec['user_data']
        else:
            raw = config_drive.read_drive_file(old, LATEST + 'user_data')
            user_data = base64.b64encode(raw).decode('ascii') if raw is not None else None
        rebuilt = self.rebuilt(record)
        server = {
            'uuid': self.uuid, 'metadata': rebuilt.get('metadata') or {},
            'hostname': meta.get('hostname'), 'name': rebuilt.get('name'),
            'launch_index': meta.get('launch_index'),
            'availability_zone': meta.get('availability_zone'),
            'project_id': record.get('project_id'),
            'public_keys': self.spec['public_keys'] if 'public_keys' in self.spec
            else meta.get('public_keys') or {},
        }
        tree = config_drive.metadata_tree(server, network_data, user_data=user_data)
        virt_type = resolve_virt_type(self.p['virt_type'])[0]
        config_drive.write_config_drive(path, tree, gid=dac.qemu_gid(self.conn, virt_type))

    def swap(self):
        """Each file to its .pre-rebuild name, the new one to its place."""
        for new in self.made:
            name = new[:-len(NEW)]
            if os.path.lexists(self._path(name)):
                os.rename(self._path(name), self._path(name + OLD))
            self.swapped.append(name)
            os.rename(self._path(new), self._path(name))

    def restore(self, record, was_running):
        """After a failure past the swap: the old files back, the guest started again when
        it ran. The vm_state the server is left in: its old one, or error when the old disks
        could not be put back or the guest does not start."""
        try:
            stop_domain(self.dom, 0)
            for name in self.swapped:
                if os.path.lexists(self._path(name + OLD)):
                    os.rename(self._path(name + OLD), self._path(name))
                else:
                    os.unlink(self._path(name))
            self.discard([new for new in self.made if os.path.lexists(self._path(new))])
            if was_running:
                start_domain(self.dom, self.p['boot_timeout'])
        except (libvirt.libvirtError, OSError, TimeoutError, DomainStopped):
            return 'error'
        return record['vm_state']

    def discard(self, names):
        for name in names:
            try:
                os.unlink(self._path(name))
            except FileNotFoundError:
                pass
