# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reconciler: what the host holds that no live record owns goes, and builds that will
never finish end in ERROR (Nova's periodic tasks `_cleanup_running_deleted_instances`,
`_check_instance_build_time`, `_cleanup_incomplete_migrations`, `_init_instance` for an
instance left BUILDING, and the resource tracker's audit).

Owners are: a domain (with its record), a build journal whose process lives, a claim whose
process lives. One pass, in this order:

0. `deleted`: a delete recorded while libvirtd was down (deleted.py): the recorded caller is
   checked against the record (Nova's delete policy, the instance lock) and the server goes;
   `delete_refused` when the caller may not delete it (the request goes, the server stays).
   Nova's `_cleanup_running_deleted_instances`.
1. `partial_build`: a dead journal without a domain: everything it names goes (teardown).
2. `adopted`: a dead journal whose domain exists: the domain owns the server; the journal,
   the claim and the temporary files of the dead process go, and the server, left BUILDING,
   goes to ERROR with a fault, as Nova's `_init_instance` does after a restart.
3. `stale_claim`: a claim of a dead process with no journal, with its DHCP entries.
4. `build_timeout`: a server of this host BUILDING for longer than `instance_build_timeout`
   seconds goes to ERROR with a fault (Nova's `_check_instance_build_time`; 0 disables it).
4b. `interrupted`: a server of this host (not building) whose record holds a task state while
   no process holds its instance lock (the action that wrote it died): Nova's
   `_init_instance` per task state (interrupted.py): `rebuild_interrupted` (ERROR with a
   fault, the old disks put back), `resize_cleared`, `resize_reverted`, `resize_confirmed`,
   `resize_interrupted` (ERROR with a fault), `task_cleared`. A destination whose resize
   finish ended but not its `finished` (migration.is_in_doubt) is left as it is and listed in
   `in_doubt`: whether the source handed the server over only the source knows, and the
   reconcile playbook asks it (server_migrate `source_state`, then `settle` here).
5. `orphan_dhcp`: on the libvirt networks `networks`, a static DHCP host of Nova's MAC
   prefix (fa:16:3e) that no domain of this libvirtd, journal or claim names. Only the
   networks named: another host's state path may share a libvirt network.
6. `orphan_directory`: an instance directory named by a uuid no domain, journal or live
   claim has.
7. `temporary_file`: a temporary file of a dead process, or untouched for `grace_period`
   seconds; `staged_image`: an image copied to the host for a build, untouched as long;
   `staged_migration`: the files staged for a resize to this host whose claim is gone.

Steps 0-6 run under the compute lock: a build opens its journal and adds its claim and DHCP
entries under it, so what a pass sees unowned is unowned.

A step or an action that fails (a file where a directory belongs, a libvirt network that
refuses an update) is reported in `errors` and the pass goes on: the reconciler runs inside
every gathering of host states, and what it cannot clean up must not stop a create.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import os
import shutil
import time

try:
    import libvirt
except ImportError:
    pass  # modules check connection.HAS_LIBVIRT

from ansible_collections.novalite.compute.plugins.module_utils.compute import claims
from ansible_collections.novalite.compute.plugins.module_utils.compute import deleted
from ansible_collections.novalite.compute.plugins.module_utils.compute import interrupted
from ansible_collections.novalite.compute.plugins.module_utils.compute import journal
from ansible_collections.novalite.compute.plugins.module_utils.compute import layout
from ansible_collections.novalite.compute.plugins.module_utils.compute import migration
from ansible_collections.novalite.compute.plugins.module_utils.compute import network
from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record
from ansible_collections.novalite.compute.plugins.module_utils.compute import teardown
from ansible_collections.novalite.compute.plugins.module_utils.compute.lifecycle import (
    LifecycleError, instance_lock_if_free,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute.server_access import authorize_delete
from ansible_collections.novalite.compute.plugins.module_utils.errors import PolicyError, PolicyNotAuthorized
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import domain_by_uuid
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.network import (
    dhcp_hosts, network_by_name,
)

MAC_PREFIX = ':'.join('%02x' % octet for octet in network.MAC_PREFIX) + ':'
# Nova's default is 0 (disabled): a build may legitimately take long (a big image).
DEFAULT_BUILD_TIMEOUT = 0
DEFAULT_GRACE_PERIOD = 600


def _age(iso, now):
    try:
        then = datetime.datetime.strptime(iso, '%Y-%m-%dT%H:%M:%SZ')
    except (TypeError, ValueError):
        return None
    return (now - then.replace(tzinfo=datetime.timezone.utc)).total_seconds()


class Reconciler(object):
    """One pass on one host; `run()` returns {changed, actions, summary, errors}. In check
    mode the actions are reported, not taken."""

    def __init__(self, conn, settings, networks=(), instance_build_timeout=DEFAULT_BUILD_TIMEOUT,
                 grace_period=DEFAULT_GRACE_PERIOD, check_mode=False):
        self.conn, self.settings = conn, settings
        self.state_path, self.instances_path = settings.state_path, settings.instances_path
        self.networks = list(networks or [])
        self.timeout, self.grace = int(instance_build_timeout or 0), int(grace_period)
        self.check_mode = check_mode
        self.actions = []
        self.errors = []
        self.in_doubt = []

    def _act(self, action, subject, detail, do):
        item = {'action': action, 'subject': subject, 'detail': detail}
        self.actions.append(item)
        if self.check_mode:
            return
        try:
            do()
        except (OSError, ValueError, libvirt.libvirtError) as exc:
            item['error'] = _cause(exc)
            self.errors.append({'step': action, 'subject': subject, 'error': item['error']})

    def _step(self, name, step, *args):
        """Run one step of the pass; a failure is reported and the pass goes on."""
        try:
            step(*args)
        except (OSError, ValueError, libvirt.libvirtError) as exc:
            self.errors.append({'step': name, 'subject': None, 'error': _cause(exc)})

    def run(self):
        now = datetime.datetime.now(datetime.timezone.utc)
        with layout.compute_lock(self.state_path):
            self._step('deleted', self._recorded_deletes)
            journals = journal.list_journals(self.state_path)
            dead = dict((j['instance_uuid'], j) for j in journals if not j['alive'])
            domains = self._domains()
            for uuid, entry in sorted(dead.items()):
                if uuid in domains:
                    self._adopt(entry, domains[uuid], now)
                else:
                    self._act('partial_build', uuid, 'build stopped at step %s, process %s gone'
                              % (entry.get('step'), entry.get('pid')),
                              lambda u=uuid: teardown.remove_server(
                                  self.conn, u, self.instances_path, self.state_path))
            self._step('stale_claim', self._stale_claims, dead)
            self._step('build_timeout', self._build_timeouts, domains, dead, now)
            self._step('interrupted', self._interrupted, domains)
            self._step('orphan_dhcp', self._orphan_dhcp, domains)
            self._step('orphan_directory', self._orphan_directories, domains)
        self._step('temporary_file', self._temporaries)
        summary = {}
        for item in self.actions:
            summary[item['action']] = summary.get(item['action'], 0) + 1
        # An action that failed changed nothing (in check mode none fails: none is taken).
        done = [item for item in self.actions if 'error' not in item]
        return {'changed': bool(done), 'actions': self.actions, 'summary': summary,
                'errors': self.errors, 'in_doubt': self.in_doubt}

    # ---- owners ----------------------------------------------------------------------------

    def _domains(self):
        """{uuid: (dom, record or None, [(network, mac)])} of every domain of this libvirtd."""
        found = {}
        for dom in self.conn.listAllDomains(0):
            try:
                found[dom.UUIDString()] = (dom, server_record.read_record(dom),
                                           teardown.network_macs(dom))
            except libvirt.libvirtError as exc:
                if exc.get_error_code() != libvirt.VIR_ERR_NO_DOMAIN:
                    raise  # else undefined meanwhile: gone
        return found

    def _mine(self, uuid):
        """True when the server's files are under this host's instances path."""
        return os.path.isdir(layout.instance_dir(self.instances_path, uuid))

    # ---- the steps -------------------------------------------------------------------------

    def _adopt(self, entry, domain, now):
        uuid = entry['instance_uuid']
        dom, record = domain[0], domain[1]

        def drop():
            claims.release(self.state_path, uuid)
            teardown.remove_temporaries(self.state_path, {entry.get('pid')})
            journal.remove(self.state_path, uuid)
        self._act('adopted', uuid, 'domain %s owns the server; journal of process %s dropped'
                  % (dom.name(), entry.get('pid')), drop)
        if record is not None and record.get('vm_state') == 'building':
            message = ('Build of instance %s stopped at step %s: its process %s is gone'
                       % (uuid, entry.get('step'), entry.get('pid')))
            self._act('build_stopped', uuid, message,
                      lambda: self._set_error(dom, record, message))

    def _recorded_deletes(self):
        for item in deleted.requests(self.state_path):
            uuid = item['instance_uuid']
            if not layout.UUID_RE.match(str(uuid)):
                # never a path of this host: server_delete records uuids only
                self.errors.append({'step': 'deleted', 'subject': None,
                                    'error': 'a recorded delete names no server uuid: %r' % (uuid,)})
                continue
            context = item.get('context') or {}
            found = teardown.leftovers(self.conn, uuid, self.instances_path, self.state_path)
            if found['journal'] is not None and found['journal']['alive']:
                continue  # a build of it runs: its end (or its death) comes first
            if not teardown.found_anything(found):
                self._act('deleted', uuid, 'recorded delete: nothing of the server was left',
                          lambda u=uuid: deleted.drop(self.state_path, u))
                continue
            try:
                authorize_delete(teardown.found_record(found), context, item.get('policy') or {})
            except (PolicyNotAuthorized, PolicyError, LifecycleError) as exc:
                self._act('delete_refused', uuid, 'delete recorded at %s by user %s of project %s: %s'
                          % (item.get('requested'), context.get('user_id'), context.get('project_id'), exc),
                          lambda u=uuid: deleted.drop(self.state_path, u))
                continue
            self._act('deleted', uuid, 'delete recorded at %s by user %s of project %s'
                      % (item.get('requested'), context.get('user_id'), context.get('project_id')),
                      lambda u=uuid: teardown.remove_server(self.conn, u, self.instances_path,
                                                            self.state_path))

    def _claim_uuids(self):
        directory = layout.claims_dir(self.state_path)
        names = sorted(os.listdir(directory)) if os.path.isdir(directory) else []
        return [name[:-len('.json')] for name in names if name.endswith('.json')]

    def _stale_claims(self, dead):
        live = set(c['instance_uuid'] for c in claims.list_claims(self.state_path))
        for uuid in self._claim_uuids():
            if uuid in live or uuid in dead:
                continue
            self._act('stale_claim', uuid, 'claim of a build process that is gone, or of a '
                      'resize to this host that never finished',
                      lambda u=uuid: (teardown.remove_dhcp_entries(
                          self.conn, claims.claim_dhcp_entries(self.state_path, u)),
                          claims.release(self.state_path, u)))

    def _build_timeouts(self, domains, dead, now):
        if self.timeout <= 0:
            return
        for uuid, (dom, record, _macs) in sorted(domains.items()):
            if (record is None or record.get('vm_state') != 'building' or uuid in dead
                    or not self._mine(uuid)):
                continue
            age = _age(record.get('created'), now)
            if age is not None and age > self.timeout:
                message = ('Build of instance %s timed out after %d seconds '
                           '(instance_build_timeout)' % (uuid, self.timeout))
                self._act('build_timeout', uuid, message,
                          lambda d=dom, r=record, m=message: self._set_error(d, r, m))

    def _interrupted(self, domains):
        for uuid, (dom, record, _macs) in sorted(domains.items()):
            if (record is None or record.get('task_state') is None
                    or record.get('vm_state') == 'building'):
                continue  # a build's own states are the journal's and build_timeout's
            if not (self._mine(uuid) or os.path.isdir(
                    layout.resize_dir(self.instances_path, uuid))):
                continue
            with instance_lock_if_free(self.state_path, uuid) as free:
                if not free:
                    continue  # its action runs
                if migration.is_in_doubt(record):
                    self.in_doubt.append({'instance_uuid': uuid, 'dest_compute': record.get('host'),
                                          'source_compute': record['migration'].get('source_compute')})
                    continue
                step = interrupted.recovery(self.conn, dom, record, self.settings)
                if step is not None:
                    action, detail, do = step
                    self._act(action, uuid, detail, do)

    def _set_error(self, dom, record, message):
        """Nova's `_set_instance_obj_error_state` with an instance fault."""
        now = server_record.now_iso()
        record.update(vm_state='error', task_state=None, updated=now,
                      fault=server_record.new_fault(message, created=now))
        for action in reversed(record.get('actions') or []):
            if action.get('action') == 'create':
                for event in action.get('events') or []:
                    if event.get('result') is None:
                        event.update(result='Error', finish_time=now)
                action.update(message='Error', finish_time=action.get('finish_time') or now)
                break
        server_record.write_record(dom, record)

    def _orphan_dhcp(self, domains):
        owned = set()
        for _dom, _record, macs in domains.values():
            owned.update(mac.lower() for _net, mac in macs)
        for entry in journal.list_journals(self.state_path):
            owned.update(mac.lower() for _net, mac in journal.dhcp_entries(entry))
        # Claims of dead builds too: stale_claim removes their entries with them.
        for uuid in self._claim_uuids():
            owned.update(mac.lower() for _net, mac in claims.claim_dhcp_entries(self.state_path, uuid))
        for name in self.networks:
            if network_by_name(self.conn, name) is None:
                continue
            for host in dhcp_hosts(self.conn, name):
                mac = (host['mac'] or '').lower()
                if mac.startswith(MAC_PREFIX) and mac not in owned:
                    self._act('orphan_dhcp', '%s %s' % (name, mac),
                              'DHCP host %s (%s) of no server' % (host['ip'], host['name']),
                              lambda n=name, m=mac: teardown.remove_dhcp_entries(self.conn, [(n, m)]))

    def _orphan_directories(self, domains):
        if not os.path.isdir(self.instances_path):
            return
        names = sorted(os.listdir(self.instances_path))
        claimed = set(c['instance_uuid'] for c in claims.list_claims(self.state_path))
        for name in names:
            if not layout.UUID_RE.match(name) or name in domains or name in claimed:
                continue
            # The journal first, then libvirt: a build writes its journal before the
            # directory and drops it only once its domain is defined. (A live claim, taken
            # before the directory too, also marks a build under way.)
            if journal.read(self.state_path, name) is not None:
                continue
            if domain_by_uuid(self.conn, name) is not None:
                continue
            path = layout.instance_dir(self.instances_path, name)
            self._act('orphan_directory', name, path,
                      lambda p=path: teardown.remove_instance_dir(p))

    def _temporaries(self):
        now = time.time()
        for path, pid in layout.temporary_files(self.state_path):
            try:
                idle = now - os.stat(path).st_mtime
            except FileNotFoundError:
                continue
            if not layout.pid_alive(pid) or idle > self.grace:
                self._act('temporary_file', path, 'of process %d, untouched for %ds'
                          % (pid, idle), lambda p=path: _discard(p))
        staging = layout.staging_dir(self.state_path)
        names = sorted(os.listdir(staging)) if os.path.isdir(staging) else []
        for name in names:
            path = os.path.join(staging, name)
            if os.path.isdir(path):
                # a resize to this host stages its files here under its claim
                prefix = layout.MIGRATION_STAGING_PREFIX
                live = set(c['instance_uuid'] for c in claims.list_claims(self.state_path))
                if name.startswith(prefix) and name[len(prefix):] not in live:
                    self._act('staged_migration', path, 'files of a resize to this host whose claim is gone',
                              lambda p=path: shutil.rmtree(p, ignore_errors=True))
                continue
            try:
                idle = now - os.stat(path).st_mtime
            except FileNotFoundError:
                continue
            if idle > self.grace:
                self._act('staged_image', path, 'untouched for %ds' % idle,
                          lambda p=path: _discard(p))


def _cause(exc):
    if isinstance(exc, libvirt.libvirtError):
        return exc.get_error_message() or str(exc)
    return str(exc) or exc.__class__.__name__


def _discard(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def reconcile(conn, settings, **options):
    """One reconciler pass (Reconciler's options); {changed, actions, summary, errors}."""
    return Reconciler(conn, settings, **options).run()
