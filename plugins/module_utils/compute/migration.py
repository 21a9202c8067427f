# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A resize to another host (cold migration), as steps on the two hosts: Nova's compute
manager `prep_resize` (destination), `resize_instance` (source, with the libvirt driver's
`migrate_disk_and_power_off`), `finish_resize` (destination, `finish_migration`), and for a
resized server `confirm_resize` (source, `_cleanup_resize`) and `revert_resize`
(destination) with `finish_revert_resize` (source, `finish_revert_migration`).

The controller runs them in order (playbooks/resize_server.yml, confirm_resize.yml,
revert_resize.yml) and carries the disks from the source to the destination over the
connection Ansible has, into the destination's staging directory. Each host's record plays
Nova's database row and its migration:

- `prep` (destination): the new flavor claimed under the compute lock, held by no process
  (claims.migration_claim), so the host's usage counts it until the finish or the revert.
- `migrate` (source): the migration recorded (task states `resize_migrating`,
  `resize_migrated`, migration `migrating` then `post-migrating`), the guest powered off,
  the instance directory moved to <dir>_resize with the old definition; returns the files to copy and what they need from the image cache.
- `finish` (destination): the staged files become the instance directory (the overlays'
  backing files in this host's image cache), the disks grown, the DHCP entries and segments
  of the ports made, the domain defined with the new flavor (record: this host and its
  `availability_zone`, `flavor` new, `old_flavor`, `resize_finish`, migration
  `post-migrating` while it runs, `finished` once it ended), left off; the claim released.
- `commit` (source): the source hands the server over: its record becomes the source copy
  (server_record.is_source_copy: its old flavor, vm_state resized, migration `finished`);
  `finished` (destination): the guest started (unless it was stopped), VERIFY_RESIZE.
- `source_state` (source) and `settle` (destination): a run killed after the finish and
  before `finished` (is_in_doubt) settled by the reconcile playbook: the source's answer
  decides (handed over: the destination's `finished` done; taken back: the destination's
  server removed).
- `abort` (source): a resize that failed after `migrate` goes back (resize.put_back), the
  guest started when it ran, the fault recorded; `unclaim` (destination): the claim dropped.
- `confirm_source` (source): the source copy removed (domain, <dir>_resize, DHCP entries);
  the destination's server_resize `confirm` then drops `old_flavor`.
- `revert_dest` (destination): the server's domain, disks and DHCP entries removed, its record
  returned; `revert_source` (source): the old directory and definition back, the record from
  the destination with the old flavor and the source copy's zone, the guest started when it
  ran before the resize.

Ports keep their MAC and fixed IPs (the domain definition travels with them).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import shutil
import uuid

try:
    import libvirt
    from lxml import etree
except ImportError:
    pass  # modules check connection.HAS_LIBVIRT and HAS_LXML

from ansible_collections.novalite.compute.plugins.module_utils.compute import claims
from ansible_collections.novalite.compute.plugins.module_utils.compute import host_network
from ansible_collections.novalite.compute.plugins.module_utils.compute import journal
from ansible_collections.novalite.compute.plugins.module_utils.compute import layout
from ansible_collections.novalite.compute.plugins.module_utils.compute import resize
from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record
from ansible_collections.novalite.compute.plugins.module_utils.compute import teardown
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
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import (
    DomainStopped, domain_by_uuid,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.guest import (
    start_domain, stop_domain,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.network import (
    add_dhcp_host, network_by_name,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.virt_type import resolve_virt_type

STEPS = ('prep', 'unclaim', 'migrate', 'abort', 'finish', 'commit', 'finished',
         'confirm_source', 'revert_dest', 'revert_source', 'source_state', 'settle')
# What the source answers about a resize (source_state), for the destination's settle.
SOURCE_STATES = ('committed', 'reverted', 'migrating', 'absent')
# The files of an instance directory that travel (console.log stays: the guest writes a new one).
MOVED_FILES = ('disk', 'disk.eph0', 'disk.swap', 'disk.config')
LINKED_FILES = ('kernel', 'ramdisk')
DEFAULTS = dict(shutdown_timeout=60, boot_timeout=60, request_id=None, is_admin=False,
                new_flavor=None, migration=None, record=None, networks=[], source_state=None,
                availability_zone=None)
STEP_ERRORS = (OSError, TimeoutError, DomainStopped, RuntimeError, ValueError)


class MigrationStepError(LifecycleError):
    """A step failed; the host is left as it was before the step (`server` as now)."""


def new_migration(record, dest_compute, dest_node=None):
    """Nova's Migration of a resize of `record` to `dest_compute`, as the record keeps it."""
    return {'migration_type': 'resize', 'status': 'migrating',
            'source_compute': record.get('host'), 'dest_compute': dest_compute,
            'source_node': record.get('node'), 'dest_node': dest_node,
            'old_vm_state': record['vm_state'], 'created_at': server_record.now_iso()}


def check_step(conn, params):
    """Check mode: the checks of `params['step']` (the fit of the new flavor for `prep`, the
    lock and state for `migrate` and `revert_dest`, the source copy for `revert_source`),
    nothing changed; {changed, ...}."""
    step = Step(conn, params, None)
    if params['step'] == 'prep':
        failures = claims.check_fit(step.settings.state_path, step.uuid, step.fits(step.p['new_flavor']))
        if failures:
            raise MigrationStepError(str(claims.ClaimError(step.uuid, failures)))
        return {'changed': True, 'cached': step.cached_names()}
    if params['step'] in ('migrate', 'revert_dest'):
        record = step.record_of(step.domain())
        check_instance_lock(record, step.p['is_admin'])
        if params['step'] == 'migrate':
            check_instance_state(record, 'resize', ('active', 'stopped'))
        else:
            check_instance_state(record, 'revertResize', ('resized',))
        return {'changed': True, 'server': record}
    if params['step'] == 'source_state':
        return step.source_state()
    if params['step'] == 'settle':
        action = step.settlement()[2]
        return {'changed': action is not None, 'action': action}
    if params['step'] == 'revert_source':
        record = step.record_of(step.domain())
        if not server_record.is_source_copy(record):
            raise MigrationStepError('Instance %s on this host is not the source of a resize.' % step.uuid,
                                     server=record)
        return {'changed': True}
    return {'changed': True}


def run_step(conn, params, runner):
    """Run `params['step']` on this host; the step's result dict. Raises LifecycleError."""
    return Step(conn, params, runner).run()


class Step(object):
    def __init__(self, conn, params, runner):
        self.conn, self.runner = conn, runner
        self.p = dict(DEFAULTS, **params)
        self.settings = HostSettings.from_params(params)
        self.uuid = canonical_uuid(self.p['server'])
        self.inst_dir = layout.instance_dir(self.settings.instances_path, self.uuid)
        self.old_dir = layout.resize_dir(self.settings.instances_path, self.uuid)
        self.staged = layout.migration_staging_dir(self.settings.state_path, self.uuid)

    def run(self):
        step = self.p['step']
        if step in ('prep', 'unclaim'):
            return getattr(self, step)()
        with instance_lock(self.settings.state_path, self.uuid):
            return getattr(self, step)()

    # ---- helpers ---------------------------------------------------------------------------

    def domain(self):
        dom = domain_by_uuid(self.conn, self.uuid)
        if dom is None:
            raise LifecycleError('Instance %s could not be found on this host.' % self.uuid)
        return dom

    def record_of(self, dom):
        record = server_record.read_record(dom)
        if record is None:
            raise LifecycleError('server: domain %s has no server record' % dom.name())
        record['power_state'] = server_record.power_state_from_libvirt(dom.state()[0])
        return record

    def event(self, record, action, name):
        item = server_record.add_event(record, action, name, None, server_record.now_iso(), None)

        def done(result='Success'):
            item.update(finish_time=server_record.now_iso(), result=result)
        return done

    def fail_action(self, record, action, exc):
        """The action's open events and the action itself end in Error, with the fault."""
        now = server_record.now_iso()
        for entry in reversed(record.get('actions') or []):
            if entry.get('action') == action:
                for item in entry.get('events') or []:
                    if item.get('finish_time') is None:
                        item.update(finish_time=now, result='Error')
                entry.update(message='Error', finish_time=now)
                break
        server_record.set_fault(record, **fault_from_exc(exc))

    def fits(self, flavor):
        virt_type = resolve_virt_type(self.settings.virt_type)[0]

        def check(current_claims):
            host_state, _servers = gather_host_state(
                self.conn, self.settings, host=self.p.get('host'), availability_zone=None,
                aggregates=[], virt_type=virt_type, claims=current_claims)
            return fit_failures(host_state, flavor_resources(flavor))
        return check

    def cached_names(self):
        cache = layout.image_cache_dir(self.settings.state_path)
        return sorted(name for name in os.listdir(cache)
                      if not name.startswith('.') and '.part.' not in name) if os.path.isdir(cache) else []

    # ---- destination: prep, unclaim --------------------------------------------------------

    def prep(self):
        """Nova's prep_resize: the new flavor claimed here, the names this host's image cache
        holds (the controller copies only the backing files it lacks)."""
        if domain_by_uuid(self.conn, self.uuid) is not None:
            raise MigrationStepError('Instance %s already has a domain on this host.' % self.uuid)
        try:
            claimed = claims.migration_claim(self.settings.state_path, self.uuid,
                                             self.p['new_flavor'], self.fits(self.p['new_flavor']),
                                             (self.p['migration'] or {}).get('source_compute'))
        except claims.ClaimError as exc:
            raise MigrationStepError(str(exc))
        return {'changed': True, 'claim': claimed, 'cached': self.cached_names(),
                'paths': {'state_path': self.settings.state_path,
                          'instances_path': self.settings.instances_path,
                          'staging': self.staged,
                          'image_cache': layout.image_cache_dir(self.settings.state_path)}}

    def unclaim(self):
        """The destination's claim dropped, with anything staged for the migration and the
        server's domain when its finish here never ended (task state resize_finish)."""
        dom = domain_by_uuid(self.conn, self.uuid)
        record = server_record.read_record(dom) if dom is not None else None
        removed = False
        if (record is not None and record.get('task_state') == 'resize_finish'
                and server_record.is_cross_host(record)
                and record.get('host') != record['migration'].get('source_compute')):
            removed = teardown.remove_server(self.conn, self.uuid, self.settings.instances_path,
                                             self.settings.state_path)
        elif dom is None:
            # a finish that stopped before its domain (prep found none of this server here)
            removed = teardown.remove_instance_dir(self.inst_dir)
        released = claims.release(self.settings.state_path, self.uuid)
        staged = teardown.remove_instance_dir(self.staged)
        return {'changed': bool(removed or released or staged)}

    # ---- source: migrate, abort, commit ----------------------------------------------------

    def migrate(self):
        """Nova's resize_instance with migrate_disk_and_power_off: the migration recorded, the
        guest off, its directory moved to <dir>_resize with the old definition. Returns the
        files for the destination and the backing files they need."""
        dom = self.domain()
        record = self.record_of(dom)
        check_instance_lock(record, self.p['is_admin'])
        check_instance_state(record, 'resize', ('active', 'stopped'))
        before = dict(record)
        was_running = bool(dom.isActive())
        migration = new_migration(record, self.p['migration']['dest_compute'],
                                  self.p['migration'].get('dest_node'))
        entry = server_record.new_action('resize', self.p['request_id'] or 'req-%s' % uuid.uuid4())
        record.setdefault('actions', []).append(entry)
        server_record.add_event(record, 'resize', 'compute_prep_resize', 'Success',
                                server_record.now_iso(), server_record.now_iso())
        done = self.event(record, 'resize', 'compute_resize_instance')
        record.update(migration=migration, task_state='resize_migrating')
        save_record(dom, record)
        old_xml = dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
        try:
            stop_domain(dom, self.p['shutdown_timeout'])
            os.rename(self.inst_dir, self.old_dir)
            layout.write_atomic(os.path.join(self.old_dir, resize.OLD_DEFINITION), old_xml)
            files = self.files_to_copy()
        except (libvirt.libvirtError,) + STEP_ERRORS as exc:
            self.go_back(dom, record, was_running, exc)
        done()
        # Nova's status once the disks are off the guest; the destination's finish carries it
        record.update(task_state='resize_migrated', migration=dict(migration, status='post-migrating'))
        save_record(dom, record)
        return {'changed': True, 'server': record, 'old_xml': old_xml, 'files': files,
                'transition': {'before': _shown(before), 'after': _shown(record)}}

    def files_to_copy(self):
        """{files: [{name, path}], backing: {file name: backing path}, links: {name: target}}
        of <dir>_resize: the disks and config drive, the qcow2 overlays' backing files and
        the kernel/ramdisk links' targets (both in the image cache)."""
        files, backing, links = [], {}, {}
        for name in MOVED_FILES:
            path = os.path.join(self.old_dir, name)
            if not os.path.isfile(path):
                continue
            files.append({'name': name, 'path': path})
            info = self._image_info(path)
            base = info.get('full-backing-filename') or info.get('backing-filename')
            if base:
                backing[name] = base
        for name in LINKED_FILES:
            path = os.path.join(self.old_dir, name)
            if os.path.islink(path):
                links[name] = os.readlink(path)
        return {'files': files, 'backing': backing, 'links': links,
                'source_instances_path': self.settings.instances_path,
                'cache': sorted(set(os.path.basename(p) for p in list(backing.values()) + list(links.values())))}

    def _image_info(self, path):
        rc, out, err = self.runner(['qemu-img', 'info', '-U', '--output', 'json', path])
        if rc != 0:
            raise RuntimeError('qemu-img info %s: %s' % (path, err.strip()))
        return json.loads(out)

    def go_back(self, dom, record, was_running, exc):
        """The old directory and definition back, the guest started when it ran; the fault
        recorded; raises MigrationStepError."""
        vm_state = record.get('migration', {}).get('old_vm_state') or record['vm_state']
        try:
            dom = resize.put_back(self.conn, dom, self.settings.instances_path, self.uuid)
            if was_running:
                start_domain(dom, self.p['boot_timeout'])
        except (libvirt.libvirtError,) + STEP_ERRORS:
            vm_state = 'error'
        self.fail_action(record, 'resize', exc)
        record.update(migration=None, old_flavor=None, vm_state=vm_state, task_state=None)
        record['power_state'] = server_record.power_state_from_libvirt(dom.state()[0])
        save_record(dom, record)
        raise MigrationStepError('Resize of instance %s failed: %s' % (self.uuid, exc), server=record)

    def abort(self):
        """A resize that failed after `migrate` (no destination finished it): back here."""
        dom = self.domain()
        record = self.record_of(dom)
        if record.get('task_state') not in ('resize_migrating', 'resize_migrated'):
            return {'changed': False, 'server': record}
        was_running = (record.get('migration') or {}).get('old_vm_state') == 'active'
        try:
            self.go_back(dom, record, was_running, RuntimeError(self.p.get('reason') or 'the destination failed'))
        except MigrationStepError as exc:
            return {'changed': True, 'server': exc.server, 'msg': str(exc)}

    def commit(self):
        """The source hands the server over: its record becomes the source copy of the resized
        server (from here on the destination has the server)."""
        journal.pause_point('resize_commit')
        dom = self.domain()
        record = self.record_of(dom)
        if record.get('task_state') != 'resize_migrated':
            raise MigrationStepError('Instance %s is not being migrated from this host (task state %s).'
                                     % (self.uuid, record.get('task_state')), server=record)
        record['migration'] = dict(record['migration'], status='finished')
        record.update(vm_state='resized', task_state=None)
        server_record.finish_action(record, 'resize')
        save_record(dom, record)
        return {'changed': True, 'server': record}

    # ---- destination: finish, finished -----------------------------------------------------

    def finish(self):
        """Nova's finish_resize with finish_migration, from the staged files; on failure this
        host keeps nothing of the server (the claim released too). The record takes this
        host's zone (`availability_zone`, the scheduler's selection) with its `host`."""
        zone = self.p['availability_zone']
        if not zone:
            raise MigrationStepError('availability_zone: the zone of this host (the destination) is '
                                     'required for finish')
        record = dict(self.p['record'])
        old_flavor, new_flavor = record['flavor'], self.p['new_flavor']
        added_dhcp = []
        try:
            self._place_files(old_flavor, new_flavor)
            xml = self._dest_xml(self.p['old_xml'])
            networks = [host_network.catalog_network(net) for net in self.p['networks'] or []]
            port_nets = set(port.get('network_id') for port in record.get('ports') or [])
            with layout.compute_lock(self.settings.state_path):
                host_network.plug(self.runner, [n for n in networks if n['network_id'] in port_nets],
                                  self.p)
                added_dhcp = self._dhcp_entries(xml, record)
            node = self.p.get('nodename') or self.conn.getHostname()
            record.update(host=self.p['host'], node=node, availability_zone=zone,
                          flavor=new_flavor, old_flavor=old_flavor,
                          vm_state='resized', task_state='resize_finish',
                          migration=dict(record['migration'], dest_node=node))
            done = self.event(record, 'resize', 'compute_finish_resize')
            dom = self.conn.defineXML(xml)
            save_record(dom, record)
            claims.release(self.settings.state_path, self.uuid)
            with layout.compute_lock(self.settings.state_path):
                host_network.refresh_firewall(self.conn, self.runner, self.settings.state_path, self.p)
            done()
            # Nova's 'finished': everything of the server is here. The guest stays off until
            # the source has handed the server over (`commit`, then `finished`): before that
            # the source may still take it back and start it there.
            record['migration'] = dict(record['migration'], status='finished')
            record['power_state'] = server_record.power_state_from_libvirt(dom.state()[0])
            save_record(dom, record)
        except (libvirt.libvirtError,) + STEP_ERRORS as exc:
            teardown.remove_server(self.conn, self.uuid, self.settings.instances_path,
                                   self.settings.state_path, dhcp_entries=added_dhcp)
            teardown.remove_instance_dir(self.staged)
            raise MigrationStepError('Finish of the resize of instance %s on this host failed: %s'
                                     % (self.uuid, exc))
        teardown.remove_instance_dir(self.staged)
        return {'changed': True, 'server': record}

    def _place_files(self, old_flavor, new_flavor):
        """The staged files as this host's instance directory: backing files into the image
        cache (kept when already there), the overlays pointed at them, the kernel and ramdisk
        linked to the cache, the disks grown to the new flavor."""
        virt_type = resolve_virt_type(self.settings.virt_type)[0]
        gid = dac.qemu_gid(self.conn, virt_type)
        cache = layout.image_cache_dir(self.settings.state_path)
        os.makedirs(cache, exist_ok=True)
        staged_cache = os.path.join(self.staged, '_base')
        for name in sorted(os.listdir(staged_cache)) if os.path.isdir(staged_cache) else []:
            target = os.path.join(cache, name)
            if not os.path.exists(target):
                os.chmod(os.path.join(staged_cache, name), 0o644)
                shutil.move(os.path.join(staged_cache, name), target)
        files = self.p['files']
        os.makedirs(self.inst_dir, mode=dac.INSTANCE_DIR_MODE)
        dac.restrict(self.inst_dir, dac.INSTANCE_DIR_MODE, gid)
        for item in files['files']:
            path = os.path.join(self.inst_dir, item['name'])
            shutil.move(os.path.join(self.staged, item['name']), path)
            dac.restrict(path, dac.SECRET_FILE_MODE if item['name'] == 'disk.config' else 0o644, gid)
            base = files['backing'].get(item['name'])
            if base:
                local = os.path.join(cache, os.path.basename(base))
                if not os.path.exists(local):
                    raise RuntimeError('%s: its backing file %s is not in the image cache'
                                       % (item['name'], os.path.basename(base)))
                if local != base:
                    self._rebase(path, local)
        for name, target in files['links'].items():
            os.symlink(os.path.join(cache, os.path.basename(target)), os.path.join(self.inst_dir, name))
        resize.grow_disks(self.runner, self.inst_dir, old_flavor, new_flavor)

    def _rebase(self, path, base):
        fmt = self._image_info(base).get('format') or 'raw'
        rc, _out, err = self.runner(['qemu-img', 'rebase', '-u', '-b', base, '-F', fmt, path])
        if rc != 0:
            raise RuntimeError('qemu-img rebase %s: %s' % (path, err.strip()))

    def _dest_xml(self, old_xml):
        """The source's definition with the new flavor and this host's paths."""
        source_dir = os.path.join(self.p['files']['source_instances_path'], self.uuid)
        xml = resize.resized_xml(old_xml, self.p['new_flavor'], self.inst_dir)
        root = etree.fromstring(xml.encode())
        for elem in root.iter():
            for attr in ('file', 'path'):
                value = elem.get(attr)
                if value and value.startswith(source_dir + '/'):
                    elem.set(attr, os.path.join(self.inst_dir, value[len(source_dir) + 1:]))
            if elem.tag in ('kernel', 'initrd') and elem.text and elem.text.startswith(source_dir + '/'):
                elem.text = os.path.join(self.inst_dir, elem.text[len(source_dir) + 1:])
        return etree.tostring(root, encoding='unicode')

    def _dhcp_entries(self, xml, record):
        """A DHCP host entry on this host's libvirt network for each port there (MAC and
        fixed IP kept); the [(network, mac)] added."""
        by_mac = dict((port.get('mac'), port) for port in record.get('ports') or [])
        added = []
        for iface in etree.fromstring(xml.encode()).findall('devices/interface'):
            source, mac = iface.find('source'), iface.find('mac')
            if iface.get('type') != 'network' or source is None or mac is None:
                continue
            port = by_mac.get(mac.get('address'))
            net = network_by_name(self.conn, source.get('network'))
            if port is None or net is None or not port.get('fixed_ip'):
                continue
            added.append((source.get('network'), port['mac']))
            add_dhcp_host(self.conn, source.get('network'), port['mac'], port['fixed_ip'],
                          record.get('hostname'))
        return added

    def finished(self):
        """The source handed the server over (its `commit`): the guest started unless it was
        stopped before the resize (Nova's power_on), the record VERIFY_RESIZE."""
        journal.pause_point('resize_finished')
        dom = self.domain()
        record = self.record_of(dom)
        if record.get('task_state') == 'resize_finish':
            record = self.roll_forward(dom, record)
        return {'changed': True, 'server': record}

    def roll_forward(self, dom, record):
        """The finished destination's server made the resized server (VERIFY_RESIZE); the
        record as saved. The source has handed the server over: a guest that does not start
        leaves it here in ERROR with the fault (Nova's finish_resize), never removed."""
        try:
            if (record['migration'] or {}).get('old_vm_state') != 'stopped' and not dom.isActive():
                start_domain(dom, self.p['boot_timeout'])
        except (libvirt.libvirtError,) + STEP_ERRORS as exc:
            self.fail_action(record, 'resize', exc)
            record.update(vm_state='error', task_state=None)
            record['power_state'] = server_record.power_state_from_libvirt(dom.state()[0])
            save_record(dom, record)
            raise MigrationStepError('Finish of the resize of instance %s on this host failed: %s'
                                     % (self.uuid, exc), server=record)
        record['task_state'] = None
        server_record.finish_action(record, 'resize')
        record['power_state'] = server_record.power_state_from_libvirt(dom.state()[0])
        save_record(dom, record)
        return record

    # ---- confirm and revert ----------------------------------------------------------------

    def confirm_source(self):
        """Nova's confirm_resize on the source: the source copy goes (domain, <dir>_resize,
        DHCP entries); its usage with it."""
        dom = domain_by_uuid(self.conn, self.uuid)
        if dom is None:
            return {'changed': False}
        record = self.record_of(dom)
        if not server_record.is_source_copy(record):
            raise MigrationStepError('Instance %s on this host is not the source of a resize.' % self.uuid,
                                     server=record)
        teardown.remove_server(self.conn, self.uuid, self.settings.instances_path, self.settings.state_path)
        return {'changed': True}

    def revert_dest(self):
        """Nova's revert_resize on the destination: the server's domain, disks and DHCP
        entries here go; its record (as it is now) goes back to the source."""
        dom = self.domain()
        record = self.record_of(dom)
        check_instance_lock(record, self.p['is_admin'])
        check_instance_state(record, 'revertResize', ('resized',))
        if not server_record.is_cross_host(record):
            raise LifecycleError('Instance %s was resized on this host: revert it with server_resize.'
                                 % self.uuid, server=record)
        entry = server_record.new_action('revertResize', self.p['request_id'] or 'req-%s' % uuid.uuid4())
        record.setdefault('actions', []).append(entry)
        done = self.event(record, 'revertResize', 'compute_revert_resize')
        stop_domain(dom, self.p['shutdown_timeout'])
        teardown.remove_server(self.conn, self.uuid, self.settings.instances_path, self.settings.state_path)
        with layout.compute_lock(self.settings.state_path):
            host_network.refresh_firewall(self.conn, self.runner, self.settings.state_path, self.p)
        done()
        return {'changed': True, 'server': record}

    def revert_source(self):
        """Nova's finish_revert_resize on the source: the old directory and definition back,
        the record (as the destination had it) on the old flavor, the guest started when it
        ran before the resize. The record's zone is the source's again (Nova's revert_resize):
        the one the source copy kept, the server's zone while it was here."""
        dom = self.domain()
        copy = self.record_of(dom)
        record = dict(self.p['record'])
        before = dict(record)
        migration = record.get('migration') or {}
        old_vm_state = migration.get('old_vm_state') or 'active'
        done = self.event(record, 'revertResize', 'compute_finish_revert_resize')
        record.update(task_state='resize_reverting', host=migration.get('source_compute'),
                      node=migration.get('source_node'), availability_zone=copy.get('availability_zone'))
        save_record(dom, record)
        try:
            dom = resize.put_back(self.conn, dom, self.settings.instances_path, self.uuid)
            record.update(flavor=record.get('old_flavor') or record['flavor'], old_flavor=None,
                          migration=None)
            save_record(dom, record)
            if old_vm_state == 'active':
                start_domain(dom, self.p['boot_timeout'])
        except (libvirt.libvirtError,) + STEP_ERRORS as exc:
            self.fail_action(record, 'revertResize', exc)
            record.update(vm_state='error', task_state=None)
            save_record(dom, record)
            raise MigrationStepError('Revert of the resize of instance %s failed: %s' % (self.uuid, exc),
                                     server=record)
        done()
        server_record.finish_action(record, 'revertResize')
        record.update(vm_state=old_vm_state, task_state=None)
        record['power_state'] = server_record.power_state_from_libvirt(dom.state()[0])
        save_record(dom, record)
        return {'changed': True, 'server': record,
                'transition': {'before': _shown(before), 'after': _shown(record)}}

    # ---- a run killed between the source's commit and the destination's finished ----------

    def source_state(self):
        """The source's side of a resize to another host, for the destination's `settle`:
        `committed` (the source copy: the server was handed over), `reverted` (the server is
        this host's again), `migrating` (the source has not decided yet: its resize runs, or
        its reconciler has still to revert it), `absent` (nothing of the server here)."""
        dom = domain_by_uuid(self.conn, self.uuid)
        record = server_record.read_record(dom) if dom is not None else None
        if record is None:
            state = 'absent'
        elif server_record.is_source_copy(record):
            state = 'committed'
        elif record.get('task_state') in ('resize_migrating', 'resize_migrated'):
            state = 'migrating'
        else:
            state = 'reverted'
        return {'changed': False, 'state': state}

    def settle(self):
        """A finished destination whose run died before `finished` (the reconciler's
        `in_doubt`), decided by the source's answer (`source_state`): handed over (or no
        copy left there) - the server is this host's, VERIFY_RESIZE (Nova: once the source
        has handed it over, the destination has it); taken back - nothing of it stays here;
        undecided - left as it is. {changed, action (or None), server when kept}."""
        dom, record, action = self.settlement()
        if action == 'resize_finished':
            return {'changed': True, 'action': action, 'server': self.roll_forward(dom, record)}
        if action == 'resize_dest_dropped':
            teardown.remove_server(self.conn, self.uuid, self.settings.instances_path,
                                   self.settings.state_path)
            with layout.compute_lock(self.settings.state_path):
                host_network.refresh_firewall(self.conn, self.runner, self.settings.state_path, self.p)
            return {'changed': True, 'action': action}
        return {'changed': False, 'action': None}

    def settlement(self):
        """(dom, record, the action `settle` takes: resize_finished, resize_dest_dropped or
        None)."""
        dom = domain_by_uuid(self.conn, self.uuid)
        record = server_record.read_record(dom) if dom is not None else None
        if record is None or not is_in_doubt(record):
            return dom, record, None
        answer = self.p['source_state']
        if answer not in SOURCE_STATES:
            raise MigrationStepError('source_state: %r is not one of %s'
                                     % (answer, ', '.join(SOURCE_STATES)))
        action = {'committed': 'resize_finished', 'absent': 'resize_finished',
                  'reverted': 'resize_dest_dropped'}.get(answer)
        return dom, record, action


def is_in_doubt(record):
    """True for the destination's server of a resize to another host whose finish ended
    (migration `finished` here) but not its `finished` step: whether it is the server or a
    copy the source takes back depends on the source's `commit`, which only the source
    records. Neither this host's reconciler nor the source's decides it alone."""
    migration = record.get('migration') or {}
    return (record.get('task_state') == 'resize_finish' and server_record.is_cross_host(record)
            and record.get('host') != migration.get('source_compute')
            and migration.get('status') == 'finished')


def _shown(record):
    return dict((key, record.get(key)) for key in resize.SHOWN_KEYS)
