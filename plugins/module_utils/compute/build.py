# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build and start one server on this hypervisor (Nova's compute manager
`_build_and_run_instance` with the libvirt driver's `spawn`).

Steps, each timed and named in errors: `claim` (resources, under the compute lock),
`network` (ports: MAC, fixed IP, the network's segment plugged when this is the host's first
port on it, the host's security group ruleset with the new ports; same lock), `image` (cache,
overlay, ephemeral, swap), `config_drive`, `define` (domain XML with the server record),
`start` (the guest started paused while its ports' DHCP entries are added, resumed once they
are in place: port_provisioning.py; wait until RUNNING, record the server active). A failure
after the claim removes everything the build made and counts a failed build; `reschedule`
tells the caller whether another host may succeed. Check mode runs the same planning (fit
check, ports, domain) without changing anything.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import os
import time

try:
    import libvirt
except ImportError:
    pass  # modules check libvirt_utils.HAS_LIBVIRT

from ansible_collections.novalite.compute.plugins.module_utils.compute import build_slots
from ansible_collections.novalite.compute.plugins.module_utils.compute import claims
from ansible_collections.novalite.compute.plugins.module_utils.compute import config_drive
from ansible_collections.novalite.compute.plugins.module_utils.compute import host_network
from ansible_collections.novalite.compute.plugins.module_utils.compute import image_cache
from ansible_collections.novalite.compute.plugins.module_utils.compute import journal
from ansible_collections.novalite.compute.plugins.module_utils.compute import layout
from ansible_collections.novalite.compute.plugins.module_utils.compute import network
from ansible_collections.novalite.compute.plugins.module_utils.compute import port_provisioning
from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record
from ansible_collections.novalite.compute.plugins.module_utils.compute import teardown
from ansible_collections.novalite.compute.plugins.module_utils.compute.host_settings import HostSettings
from ansible_collections.novalite.compute.plugins.module_utils.compute.image_cache import GiB, MiB
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.domain_xml import (
    DISK_BUSES, guest_xml, managed_fields,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute.resource_tracker import gather_host_state
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.network import dhcp_hosts
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import (
    domain_by_uuid, open_connection, wait_until_running,
)
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.resources import (
    fit_failures, flavor_resources,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt import dac
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.blockinfo import (
    disk_layout, target_devs,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.virt_type import resolve_virt_type
from ansible_collections.novalite.compute.plugins.module_utils.errors import ValidationError

# Failures another host may not have: resources, image download, libvirt. A request error
# (a fixed IP in use, bad user_data) fails the same everywhere.
RESCHEDULE_STEPS = ('claim', 'image', 'config_drive', 'define', 'start')
BUILD_EVENT = 'compute__do_build_and_run_instance'
# Nova's kernel command line when the image has no os_command_line.
DEFAULT_CMDLINE = 'root=/dev/vda console=tty0 console=ttyS0'
QEMU_FORMATS = {'qcow2': 'qcow2', 'raw': 'raw', 'ami': 'raw'}

# The build's own options; the host settings are a HostSettings (its defaults are the module's).
DEFAULTS = dict(boot_timeout=60, user_data=None, admin_pass=None, injected_files=[],
                request_id=None, controller_images=[],
                **host_network.NETWORK_HOST_DEFAULTS)
# Record fields copied from the build data as they are.
RECORD_FIELDS = ('uuid', 'name', 'hostname', 'description', 'project_id', 'user_id',
                 'reservation_id', 'key_name', 'availability_zone', 'access_ip_v4',
                 'access_ip_v6', 'instance_group', 'request_spec')
PORT_FIELDS = ('id', 'network_id', 'network_name', 'mac', 'fixed_ip')


class BuildError(Exception):
    """A failed build: the step, the cause, and whether an alternate host may succeed."""

    def __init__(self, step, cause, reschedule):
        self.step, self.cause, self.reschedule = step, cause, reschedule
        super(BuildError, self).__init__(cause)

    def message(self, instance_uuid, host):
        return 'Build of instance %s failed on %s at step %s: %s' % (
            instance_uuid, host, self.step, self.cause)


class ImagesNeeded(Exception):
    """Images that live on the controller and are not in this host's cache: the build has
    not started (nothing claimed, nothing counted); the action plugin transfers them and runs
    the build again."""

    def __init__(self, keys):
        self.keys = keys
        super(ImagesNeeded, self).__init__(
            'not in the image cache of the host, to transfer from the controller: %s'
            % ', '.join(keys))


def _check_request_spec(request_spec):
    """The build data's `request_spec` (api/request.stored_request_spec), which the record
    keeps for a resize: absent (None), or a dict whose `availability_zone` is null or a zone."""
    if request_spec is None:
        return
    if not isinstance(request_spec, dict) or set(request_spec) - set(['availability_zone']):
        raise ValueError('server.request_spec must be a dict with availability_zone only')
    zone = request_spec.get('availability_zone')
    if zone is not None and not (isinstance(zone, str) and zone):
        raise ValueError('server.request_spec.availability_zone must be null or a zone name')


def _elapsed(start):
    return round(time.monotonic() - start, 3)


def _cause(exc):
    if isinstance(exc, libvirt.libvirtError):
        return exc.get_error_message() or str(exc)
    return str(exc) or exc.__class__.__name__


class Builder(object):
    """One server build. `params`: the server_build options (DEFAULTS for the optional ones,
    the host settings among them as HostSettings); `runner(args) -> (rc, out, err)` runs
    qemu-img."""

    def __init__(self, conn, params, runner):
        """`runner` also runs ip, bridge and nft for the networks."""
        self.conn, self.runner = conn, runner
        self.settings = HostSettings.from_params(params)
        self.p = dict(DEFAULTS, server=params['server'], host=params['host'])
        self.p.update((k, params[k]) for k in DEFAULTS if params.get(k) is not None)
        self.server = self.p['server']
        self.uuid = self.server.get('uuid')
        self.host = self.p['host']
        self.state_path = self.settings.state_path
        self.inst_dir = layout.instance_dir(self.settings.instances_path, self.uuid or '')
        self.timings = {}
        # the parts of the network step: plugging segments, rewriting the ruleset
        self.network_timings = {}
        self.virt_type = None
        self.qemu_gid = None
        self.ports = []
        self.dhcp_added = []
        # the DHCP entries added as the guest starts (port_provisioning.DhcpEntries)
        self.dhcp_entries = None
        self.start_paused = False
        self.plugged = {}
        self.journal = None

    # ---- checks shared by the real run and check mode -------------------------------------

    def validate(self):
        """Refuse build data no host could build, before touching anything."""
        try:
            self._validate()
        except (KeyError, TypeError, ValueError) as exc:
            raise BuildError('validate', str(exc), False)
        try:
            self.virt_type = resolve_virt_type(self.settings.virt_type)[0]
        except ValueError as exc:
            raise BuildError('validate', str(exc), False)

    def _validate(self):
        server = self.server
        for key in ('uuid', 'flavor', 'image'):
            if not server.get(key):
                raise ValueError('server.%s is required' % key)
        fmt = server['image'].get('disk_format') or 'raw'
        if fmt not in QEMU_FORMATS:
            raise ValueError('server.image.disk_format: %s is not a bootable disk format (%s)'
                             % (fmt, ', '.join(sorted(QEMU_FORMATS))))
        for _name, _fmt, _device, bus in disk_layout(server):
            if bus not in DISK_BUSES:
                raise ValueError('image property hw_disk_bus/hw_cdrom_bus: %s is not one of %s'
                                 % (bus, ', '.join(DISK_BUSES)))
        build_slots.check_bound(self.settings.max_concurrent_builds)
        _check_request_spec(server.get('request_spec'))
        if server.get('ramdisk') and not server.get('kernel'):
            raise ValueError('server.ramdisk needs server.kernel')
        for index, net in enumerate(server.get('networks') or []):
            for key in ('network_id', 'cidr'):
                if not net.get(key):
                    raise ValueError('server.networks[%d].%s is required' % (index, key))
            try:
                host_network.segment_of(net, self.p)
            except ValidationError as exc:
                raise ValueError('server.networks[%d]: %s' % (index, exc.msg))
        if self.p['user_data'] is not None:
            config_drive.decode_base64(self.p['user_data'], 'user_data')
        for index, item in enumerate(self.p['injected_files'] or []):
            config_drive.decode_base64(item.get('contents'), 'injected_files[%d].contents' % index)

    def existing_record(self):
        """The record of the server's domain when it already exists on this host."""
        dom = domain_by_uuid(self.conn, self.uuid)
        if dom is None:
            return None
        record = server_record.read_record(dom)
        if record is None:
            raise BuildError('validate', 'domain %s has uuid %s but no server record'
                             % (dom.name(), self.uuid), False)
        return record

    def _gather(self, current_claims):
        return gather_host_state(
            self.conn, self.settings, host=self.host,
            availability_zone=self.server.get('availability_zone'), aggregates=[],
            virt_type=self.virt_type, claims=current_claims, local_ip=self.p.get('local_ip'))

    def _fits_check(self, current_claims):
        host_state, _servers = self._gather(current_claims)
        return fit_failures(host_state, flavor_resources(self.server['flavor']))

    def _plan_ports(self):
        """Ports for the requested networks, given what this host already uses."""
        networks = self.server.get('networks') or []
        existing = [port for rec in server_record.list_servers(self.conn)
                    for port in rec.get('ports') or []]
        existing += claims.claimed_ports(self.state_path, exclude=self.uuid)
        entries = {}
        for net in networks:
            if net.get('libvirt_network'):
                entries[net['libvirt_network']] = dhcp_hosts(self.conn, net['libvirt_network'])
        return network.allocate_ports(networks, existing, entries)

    # ---- the record and the domain ---------------------------------------------------------

    def new_record(self, ports, now):
        server = self.server
        flavor, image = server['flavor'], server['image']
        values = dict((key, server.get(key)) for key in RECORD_FIELDS)
        values.update(
            launch_index=int(server.get('launch_index') or 0),
            flavor={'id': flavor.get('id') or flavor.get('flavorid'), 'name': flavor.get('name'),
                    'vcpus': int(flavor['vcpus']), 'memory_mb': int(flavor['memory_mb']),
                    'root_gb': int(flavor.get('root_gb') or 0),
                    'ephemeral_gb': int(flavor.get('ephemeral_gb') or 0),
                    'swap': int(flavor.get('swap') or 0),
                    'extra_specs': dict(flavor.get('extra_specs') or {})},
            image={'id': image.get('id'), 'name': image.get('name')},
            security_groups=list(server.get('security_groups') or []),
            metadata=dict(server.get('metadata') or {}), tags=list(server.get('tags') or []),
            config_drive=bool(server.get('config_drive', True)),
            ports=[dict((k, p.get(k)) for k in PORT_FIELDS) for p in ports],
            host=self.host, node=self.settings.nodename or self.conn.getHostname(),
            vm_state='building', task_state='spawning', power_state=0,
            created=now, updated=now,
            actions=[server_record.new_action('create', self.p['request_id'])])
        record = server_record.new_record(**values)
        server_record.add_event(record, 'create', BUILD_EVENT, None, now, None)
        return record

    def domain_spec(self, ports, record):
        server = self.server
        props = server['image'].get('properties') or {}
        layout = disk_layout(server)
        disks = [{'path': os.path.join(self.inst_dir, name), 'format': fmt, 'device': device,
                  'bus': bus, 'target_dev': dev, 'readonly': device == 'cdrom'}
                 for (name, fmt, device, bus), dev in zip(layout, target_devs(layout))]
        networks = server.get('networks') or []
        model = props.get('hw_vif_model') or 'virtio'
        kernel = os.path.join(self.inst_dir, 'kernel') if server.get('kernel') else None
        return {
            'name': teardown.domain_name(self.uuid), 'uuid': self.uuid,
            'virt_type': self.virt_type, 'vcpus': int(server['flavor']['vcpus']),
            'memory_mb': int(server['flavor']['memory_mb']),
            'machine_type': props.get('hw_machine_type') or 'pc',
            'arch': props.get('architecture') or 'x86_64',
            'kernel': kernel,
            'ramdisk': os.path.join(self.inst_dir, 'ramdisk') if server.get('ramdisk') else None,
            'cmdline': (props.get('os_command_line') or DEFAULT_CMDLINE) if kernel else None,
            'disks': disks,
            'interfaces': [network.interface_spec(port, net, model,
                                                  host_network.bridge_of(net, self.p))
                           for port, net in zip(ports, networks)],
            'console_log': os.path.join(self.inst_dir, 'console.log'),
            'record': record,
            'description': server.get('name'),
        }

    # ---- check mode ------------------------------------------------------------------------

    def plan(self):
        """What build() would do, changing nothing: {changed, server, plan, diff}; raises
        BuildError where build() would fail before starting (validation, claim, network)."""
        self.validate()
        record = self.existing_record()
        if record is not None:
            return {'changed': False, 'server': record, 'plan': [], 'diff': None}
        try:
            failures = claims.check_fit(self.state_path, self.uuid, self._fits_check)
        except Exception as exc:
            raise BuildError('claim', _cause(exc), True)
        if failures:
            raise BuildError('claim', str(claims.ClaimError(self.uuid, failures)), True)
        try:
            ports = self._plan_ports()
        except Exception as exc:
            raise BuildError('network', _cause(exc), False)
        record = self.new_record(ports, server_record.now_iso())
        spec = self.domain_spec(ports, record)
        return {'changed': True, 'server': record, 'plan': self._steps(ports, spec),
                'diff': {'before': {}, 'after': managed_fields(guest_xml(spec))}}

    def _steps(self, ports, spec):
        requested = flavor_resources(self.server['flavor'])
        images = [self.server['image']] + [self.server[k] for k in ('kernel', 'ramdisk') if self.server.get(k)]
        return [
            {'step': 'claim', 'detail': 'claim %s' % ', '.join(
                '%s %d' % (rc, requested[rc]) for rc in sorted(requested))},
            {'step': 'network', 'detail': 'ports %s' % ', '.join(
                '%s on %s' % (p['fixed_ip'], p['network_name'] or p['network_id'])
                for p in ports) or 'none'},
            {'step': 'image', 'detail': '; '.join(
                '%s %s' % (img.get('id'), 'cached' if image_cache.is_cached(self.state_path, img)
                           else 'to fetch from %s' % img.get('location')) for img in images)},
            {'step': 'config_drive', 'detail': 'config drive' if self.server.get(
                'config_drive', True) else 'none requested'},
            {'step': 'define', 'detail': 'domain %s (%s, %d vCPU, %d MiB)' % (
                spec['name'], spec['virt_type'], spec['vcpus'], spec['memory_mb'])},
            {'step': 'start', 'detail': 'start and wait for RUNNING (%ss)' % self.p['boot_timeout']},
        ]

    # ---- the build -------------------------------------------------------------------------

    @contextlib.contextmanager
    def _step(self, name):
        start = time.monotonic()
        try:
            yield
        except BuildError:
            raise
        except Exception as exc:
            raise BuildError(name, _cause(exc), name in RESCHEDULE_STEPS)
        finally:
            self.timings[name] = _elapsed(start)

    def build(self):
        """Build and start the server; {changed, server, host, timings, diff}. Raises
        BuildError after removing whatever it made."""
        self.validate()
        record = self.existing_record()
        if record is not None:
            return {'changed': False, 'server': record, 'host': self.host, 'timings': {},
                    'diff': None}
        needed = image_cache.missing(self.state_path, [self.server], self.p['controller_images'])
        if needed:
            raise ImagesNeeded(needed)
        # Nova's _build_semaphore: at most max_concurrent_builds builds run on the host; a
        # build waits for its slot before it claims.
        with build_slots.build_slot(self.state_path, self.settings.max_concurrent_builds):
            return self._claim_and_spawn()

    def _claim_and_spawn(self):
        try:
            self._claim()
        except BuildError as exc:
            # A claim that did not fit is no fault of the host: only later steps count. It
            # stands for placement's allocation claim, which Nova's scheduler retries on an
            # alternate without counting a failed build.
            if exc.step != 'claim':
                self._count_failure(exc)
            # The claim and the DHCP entries went with the failed step: nothing is left. A
            # journal this build did not open (a concurrent build of the same server) stays.
            if self.journal is not None:
                journal.remove(self.state_path, self.uuid)
            raise
        try:
            record, dom = self._spawn()
        except BuildError as exc:
            self._roll_back(exc)
            self._count_failure(exc)
            raise
        # The domain and its record own the server from here on.
        journal.remove(self.state_path, self.uuid)
        try:
            layout.reset_failed_builds(self.state_path)
        except OSError:
            pass  # the counter only weighs hosts; the server is built and running
        after = managed_fields(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
        return {'changed': True, 'server': record, 'host': self.host, 'timings': self.timings,
                'network_timings': self.network_timings, 'diff': {'before': {}, 'after': after}}

    def _roll_back(self, exc):
        self._ports_settled()
        try:
            teardown.remove_server(self.conn, self.uuid, self.settings.instances_path,
                                   self.state_path, dhcp_entries=self.dhcp_added)
        except Exception as cleanup:
            # Keep the build's own cause first; the operator must also learn what is left.
            exc.cause = '%s (and removing the partial build failed: %s)' % (exc.cause, _cause(cleanup))

    def _claim(self):
        """Claim the resources and allocate the ports under one hold of the compute lock."""
        start = time.monotonic()
        try:
            with claims.claim(self.state_path, self.uuid, self.server['flavor'],
                              self._checked_fit, opening=self._open_journal) as held:
                self.timings['claim'] = _elapsed(start)
                try:
                    with self._step('network'):
                        self._allocate_network(held)
                except BuildError:
                    # The claim itself goes with the with-block; the DHCP entries noted are
                    # this build's to remove (their thread starts only with the guest).
                    teardown.remove_dhcp_entries(self.conn, self.dhcp_added)
                    raise
        except BuildError:
            raise
        except Exception as exc:
            self.timings.setdefault('claim', _elapsed(start))
            raise BuildError('claim', _cause(exc), True)

    def _open_journal(self):
        """Under the compute lock, once the claim fits and before it is written: a build
        killed from here on leaves a journal naming it; one killed while it waited for the
        lock has made nothing. A state filesystem too full for the journal fails the claim."""
        self.journal = journal.begin(self.state_path, self.server, self.host, self.p['request_id'])

    def _checked_fit(self, current_claims):
        # Under the lock: a domain defined meanwhile by a concurrent build of the same server.
        if domain_by_uuid(self.conn, self.uuid) is not None:
            raise BuildError('claim', 'instance %s was built meanwhile' % self.uuid, False)
        return self._fits_check(current_claims)

    def _allocate_network(self, held):
        self._reached('claim')
        networks = self.server.get('networks') or []
        self.ports = self._plan_ports()
        # Recorded in the claim first, so a concurrent build and a later delete both see them,
        # and the firewall of a concurrent build keeps them.
        groups = list(self.server.get('security_groups') or [])
        held.save_ports([dict(port, dhcp_network=net['libvirt_network']
                              if network.uses_dhcp_entry(net) else None, security_groups=groups)
                         for port, net in zip(self.ports, networks)])
        # Nova's plug_vifs, then the filters before the guest exists: it never runs unfiltered.
        start = time.monotonic()
        self.plugged = host_network.plug(self.runner, networks, self.p)
        self.network_timings['plug'] = _elapsed(start)
        start = time.monotonic()
        host_network.refresh_firewall(self.conn, self.runner, self.state_path, self.p)
        self.network_timings['firewall'] = _elapsed(start)
        entries = [(net['libvirt_network'], port['mac'], port['fixed_ip'])
                   for port, net in zip(self.ports, networks) if network.uses_dhcp_entry(net)]
        if entries:
            # Named in the journal and kept for the rollback before libvirt has them: a build
            # killed or failed from here on removes them whether or not they were added.
            self.journal.note('network', dhcp=[entry[:2] for entry in entries])
            self.dhcp_added.extend(entry[:2] for entry in entries)
            self.dhcp_entries = port_provisioning.DhcpEntries(self.conn, entries, self._dhcp_name)
            # Nova starts a guest paused for its ports only where the driver is QEMU's
            # (`_conn_supports_start_paused`); another driver waits before the start.
            self.start_paused = self.conn.getType() == 'QEMU'
        self._reached('network')

    def _ports_settled(self):
        """Stop adding DHCP entries and wait for the one being added: a rollback must not
        race them (it removes them all, added or not)."""
        if self.dhcp_entries is not None:
            self.dhcp_entries.cancel()

    def _wait_for_ports(self):
        """Nova's wait for `network-vif-plugged`: the guest gets its DHCP entries before it
        runs. A failed entry fails the build at the network step, as it did before the start."""
        start = time.monotonic()
        try:
            self.dhcp_entries.wait()
        except Exception as exc:
            raise BuildError('network', _cause(exc), False)
        finally:
            self.network_timings['dhcp'] = self.dhcp_entries.seconds
            self.network_timings['dhcp_wait'] = _elapsed(start)

    def _reached(self, step):
        """The journal names the step the build got to (a fault names it); a test may stop
        the build there."""
        self.journal.note(step)
        journal.pause_point(step)

    def _dhcp_name(self, libvirt_network):
        """The host name the lease hands out, unless an entry of another server has it: servers
        may share a host name (as in Nova), but libvirt refuses two entries of one name."""
        name = self.server.get('hostname') or self.uuid
        if any(entry['name'] == name for entry in dhcp_hosts(self.conn, libvirt_network)):
            return None
        return name

    def _spawn(self):
        start_time = server_record.now_iso()
        with self._step('image'):
            self._create_disks()
        with self._step('config_drive'):
            self._create_config_drive()
        with self._step('define'):
            record = self.new_record(self.ports, start_time)
            spec = self.domain_spec(self.ports, record)
            self.journal.note('define', domain=spec['name'])
            dom = self.conn.defineXML(guest_xml(spec))
            # From now on the domain's record counts the usage.
            claims.release(self.state_path, self.uuid)
            self._reached('define')
        with self._step('start'):
            self._start_guest(dom)
            wait_until_running(dom, self.p['boot_timeout'])
            self._mark_active(dom, record)
        return record, dom

    def _start_guest(self, dom):
        """Start the domain; with DHCP entries to add, start it paused while they are added
        and resume it once they are in place (the test point `start` is then between the
        two)."""
        if self.dhcp_entries is not None:
            self.dhcp_entries.start()
            if not self.start_paused:
                self._wait_for_ports()
        dom.createWithFlags(libvirt.VIR_DOMAIN_START_PAUSED if self.start_paused else 0)
        if self.start_paused:
            self._wait_for_ports()
        self._reached('start')
        if self.start_paused:
            try:
                dom.resume()
            except libvirt.libvirtError:
                # A QEMU that ended while the guest waited paused: the wait for RUNNING
                # says how it ended.
                if dom.isActive():
                    raise

    def _create_disks(self):
        server, flavor = self.server, self.server['flavor']
        self.journal.note('directory', instance_dir=self.inst_dir)
        os.makedirs(self.inst_dir, mode=dac.INSTANCE_DIR_MODE, exist_ok=True)
        self.qemu_gid = dac.qemu_gid(self.conn, self.virt_type)
        # closed before anything secret goes in (makedirs' mode is cut by the umask)
        dac.restrict(self.inst_dir, dac.INSTANCE_DIR_MODE, self.qemu_gid)
        self._reached('directory')
        self.journal.note('image')
        image = server['image']
        base = image_cache.fetch_image(self.state_path, image, self.runner)
        for key, fmt in (('kernel', 'aki'), ('ramdisk', 'ari')):
            if server.get(key):
                cached = image_cache.fetch_image(
                    self.state_path, dict(server[key], disk_format=fmt), self.runner)
                image_cache.link_into(cached, os.path.join(self.inst_dir, key))
        image_cache.create_overlay(self.runner, base, QEMU_FORMATS[image.get('disk_format') or 'raw'],
                                   os.path.join(self.inst_dir, 'disk'), flavor.get('root_gb'))
        self._reached('disk:disk')
        if int(flavor.get('ephemeral_gb') or 0):
            image_cache.create_blank(self.runner, os.path.join(self.inst_dir, 'disk.eph0'),
                                     int(flavor['ephemeral_gb']) * GiB)
            self._reached('disk:disk.eph0')
        if int(flavor.get('swap') or 0):
            image_cache.create_blank(self.runner, os.path.join(self.inst_dir, 'disk.swap'),
                                     int(flavor['swap']) * MiB)
            self._reached('disk:disk.swap')

    def _create_config_drive(self):
        if not self.server.get('config_drive', True):
            return
        tree = config_drive.metadata_tree(
            self.server, network.network_data(self.ports, self.server.get('networks') or []),
            user_data=self.p['user_data'], admin_pass=self.p['admin_pass'],
            injected_files=self.p['injected_files'])
        config_drive.write_config_drive(os.path.join(self.inst_dir, 'disk.config'), tree,
                                        gid=self.qemu_gid)
        self._reached('config_drive')

    def _mark_active(self, dom, record):
        now = server_record.now_iso()
        record.update(vm_state='active', task_state=None, power_state=server_record.RUNNING,
                      launched_at=now, updated=now)
        event = record['actions'][-1]['events'][-1]
        event.update(finish_time=now, result='Success')
        server_record.finish_action(record, 'create', now)
        server_record.write_record(dom, record, live=True)

    # ---- the failed builds counter (Nova's BuildFailureWeigher input) ----------------------

    def _count_failure(self, exc):
        try:
            layout.count_failed_build(self.state_path)
        except OSError as error:
            # A full state filesystem must not hide why the build failed.
            exc.cause = '%s (and counting the failed build failed: %s)' % (exc.cause, error)


def connect(uri, state_path):
    """The build's libvirt connection. A libvirtd that cannot be reached fails the build on
    this host as a failed spawn does in Nova, so it counts as a failed build."""
    try:
        return open_connection(uri)
    except libvirt.libvirtError:
        try:
            layout.count_failed_build(state_path)
        except OSError:
            pass  # the connection error is the one to report
        raise
