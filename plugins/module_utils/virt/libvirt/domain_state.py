# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Declarative libvirt domain: the logic of the libvirt_domain module.

`DomainManager(conn, params, check_mode).run()` brings one domain to `state`
(present | running | stopped | absent). What decides `changed` is a comparison of managed
fields only (domain_xml.managed_fields of the inactive XML), and the diff shows exactly that
comparison, so check mode predicts what a real run does.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import time

try:
    import libvirt
except ImportError:
    pass  # the module checks libvirt_utils.HAS_LIBVIRT

try:
    from lxml import etree
except ImportError:
    pass  # the module checks libvirt_utils.HAS_LXML

from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.domain_xml import (
    guest_xml, managed_fields,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import (
    domain_by_name, domain_by_uuid, wait_until_running,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.guest import (
    clean_shutdown, destroy_domain, start_domain, undefine_domain,
)

STATES = ('present', 'running', 'stopped', 'absent')
TYPED_OPTIONS = ('vcpus', 'memory_mb', 'virt_type', 'machine_type', 'kernel', 'ramdisk',
                 'cmdline', 'disks', 'interfaces', 'console_log', 'cpu_mode')
_STATE_NAMES = {0: 'nostate', 1: 'running', 2: 'blocked', 3: 'paused', 4: 'shutdown',
                5: 'shutoff', 6: 'crashed', 7: 'pmsuspended'}


class DomainError(Exception):
    """The domain cannot be brought to the wanted state; the message says why."""


def state_name(dom):
    return 'absent' if dom is None else _STATE_NAMES.get(dom.state()[0], 'unknown')


def _canonical_machines(conn):
    """{alias: canonical} machine types from the host capabilities ('pc' -> 'pc-i440fx-7.2')."""
    caps = etree.fromstring(conn.getCapabilities().encode('utf-8'))
    return {m.text: m.get('canonical') for m in caps.iter('machine') if m.get('canonical')}


def _carry_over(desired_xml, existing_xml):
    """The desired XML with what the operator left to libvirt taken from the existing
    definition: the UUID, interface MACs (by position, when the source is the same) and the
    <metadata> (server record), as community.libvirt's handle_define does for UUID and MACs."""
    desired = etree.fromstring(desired_xml.encode('utf-8'))
    existing = etree.fromstring(existing_xml.encode('utf-8'))
    if desired.find('uuid') is None:
        uuid = etree.Element('uuid')
        uuid.text = existing.findtext('uuid')
        desired.find('name').addnext(uuid)
    old_ifaces = existing.findall('devices/interface')
    for index, iface in enumerate(desired.findall('devices/interface')):
        if iface.find('mac') is not None or index >= len(old_ifaces):
            continue
        old = old_ifaces[index]
        if old.get('type') == iface.get('type') and _source(old) == _source(iface):
            mac = etree.Element('mac', address=old.find('mac').get('address'))
            iface.insert(0, mac)
    if desired.find('metadata') is None and existing.find('metadata') is not None:
        desired.find('uuid').addnext(copy.deepcopy(existing.find('metadata')))
    return etree.tostring(desired, encoding='unicode')


def _source(iface):
    source = iface.find('source')
    return None if source is None else dict(source.attrib)


def _fill_unset(desired, actual):
    """Fields the desired definition leaves to libvirt (None) take the actual value, so that
    they never count as a change."""
    if not actual:
        return desired
    desired = copy.deepcopy(desired)
    for key in ('uuid', 'record'):
        if desired[key] is None:
            desired[key] = actual[key]
    for key in ('arch', 'machine'):
        if desired['os'][key] is None:
            desired['os'][key] = actual['os'][key]
    for kind, keys in (('disks', ('format', 'bus')), ('interfaces', ('mac', 'model'))):
        for want, have in zip(desired[kind], actual[kind]):
            for key in keys:
                if want[key] is None:
                    want[key] = have[key]
    return desired


class DomainManager(object):
    """Brings one domain to the wanted state. Build it with a libvirt connection and the
    module's parameters (a plain dict); `run()` returns the module result."""

    def __init__(self, conn, params, check_mode=False):
        self.conn = conn
        self.params = params
        self.check_mode = check_mode
        self.actions = []
        self.warnings = []
        self._machines = None

    # ---- desired definition ---------------------------------------------------------------

    def desired_xml(self):
        """The wanted definition as XML, or None when only the power state is managed."""
        params = self.params
        if params.get('xml'):
            return params['xml']
        if params.get('vcpus') is None and params.get('memory_mb') is None:
            return None
        if params.get('vcpus') is None or params.get('memory_mb') is None:
            raise DomainError('vcpus and memory_mb: both are required to define a domain')
        spec = {key: params[key] for key in TYPED_OPTIONS if params.get(key) is not None}
        spec.update(name=params['name'], uuid=params.get('uuid'))
        try:
            return guest_xml(spec)
        except ValueError as exc:
            raise DomainError(str(exc))

    def _identity(self, desired_xml):
        """(name, uuid) naming the domain: the options, else the XML's."""
        name, uuid = self.params.get('name'), self.params.get('uuid')
        if desired_xml:
            root = etree.fromstring(desired_xml.encode('utf-8'))
            name = name or root.findtext('name')
            uuid = uuid or root.findtext('uuid')
        if not name and not uuid:
            raise DomainError('name: a domain name or uuid (or xml naming one) is required')
        return name, uuid

    def lookup(self, name, uuid):
        dom = domain_by_uuid(self.conn, uuid) if uuid else domain_by_name(self.conn, name)
        if dom is not None and name and uuid and dom.name() != name:
            raise DomainError('name: domain %s is called %s, not %s (libvirt does not rename '
                              'on define)' % (uuid, dom.name(), name))
        return dom

    def _normalise(self, fields):
        """The desired fields as libvirt will store them (machine aliases resolved)."""
        machine = fields['os']['machine']
        if machine:
            if self._machines is None:
                self._machines = _canonical_machines(self.conn)
            fields['os']['machine'] = self._machines.get(machine, machine)
        return fields

    # ---- run ----------------------------------------------------------------------------

    def run(self):
        state = self.params.get('state') or 'present'
        desired_xml = None if state == 'absent' else self.desired_xml()
        name, uuid = self._identity(desired_xml)
        dom = self.lookup(name, uuid)
        before = self._view(dom)
        if state == 'absent':
            after = self.ensure_absent(dom)
        else:
            after = self.ensure_defined(dom, desired_xml, name)
            dom = self.lookup(after.get('name') or name, after.get('uuid') or uuid) \
                if not self.check_mode else dom
            after['state'] = self.ensure_power(dom, state, before.get('state'))
        changed = bool(self.actions)
        result = {'changed': changed, 'actions': self.actions,
                  'diff': {'before': before, 'after': after},
                  'domain': {'name': after.get('name') or before.get('name') or name,
                             'uuid': after.get('uuid') or before.get('uuid') or uuid,
                             'state': after['state']}}
        if self.warnings:
            result['warnings'] = self.warnings
        return result

    def _view(self, dom):
        if dom is None:
            return {'state': 'absent'}
        view = managed_fields(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
        view['state'] = state_name(dom)
        return view

    def ensure_defined(self, dom, desired_xml, name):
        if desired_xml is None:
            if dom is None:
                raise DomainError('domain %s does not exist and no definition was given '
                                  '(xml, or vcpus and memory_mb)' % name)
            return self._view(dom)
        actual = None
        if dom is not None:
            existing_xml = dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
            desired_xml = _carry_over(desired_xml, existing_xml)
            actual = managed_fields(existing_xml)
        wanted = _fill_unset(self._normalise(managed_fields(desired_xml)), actual)
        if wanted != actual:
            self.actions.append('define' if dom is None else 'redefine')
            if not self.check_mode:
                new = self.conn.defineXML(desired_xml)
                wanted = managed_fields(new.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
                if dom is not None and dom.isActive():
                    self.warnings.append('domain %s is running: the new definition takes '
                                         'effect at its next start' % new.name())
        wanted['state'] = state_name(dom)
        return wanted

    # ---- power --------------------------------------------------------------------------

    def ensure_power(self, dom, state, current):
        """Start or stop the domain as `state` asks; returns the state name after."""
        current = current if dom is None or self.check_mode else state_name(dom)
        if current == 'absent':
            current = 'shutoff'
        if state == 'running' and current != 'running':
            self.actions.append('resume' if current == 'paused' else 'start')
            if not self.check_mode:
                self._start(dom, current)
            return 'running'
        if state == 'stopped' and current != 'shutoff':
            self.actions.append('shutdown')
            if not self.check_mode:
                self._stop(dom)
            return 'shutoff'
        return current

    def _start(self, dom, current):
        timeout = self.params.get('start_timeout', 60)
        if current == 'paused':
            dom.resume()
            wait_until_running(dom, timeout)
        else:
            start_domain(dom, timeout)

    def _stop(self, dom):
        """Graceful shutdown (clean_shutdown); after shutdown_timeout, destroy when force is
        set, else fail."""
        timeout = self.params.get('shutdown_timeout', 120)
        if clean_shutdown(dom, timeout):
            return
        if not self.params.get('force'):
            raise DomainError('shutdown_timeout: domain %s did not shut down within %ss; '
                              'set force to destroy it' % (dom.name(), timeout))
        self.actions.append('destroy')
        destroy_domain(dom)

    def ensure_absent(self, dom):
        if dom is None:
            return {'state': 'absent'}
        if dom.isActive():
            self.actions.append('destroy')
            if not self.check_mode:
                destroy_domain(dom)
        self.actions.append('undefine')
        if not self.check_mode:
            name = dom.name()
            undefine_domain(dom)
            self._wait_gone(name)
        return {'state': 'absent'}

    def _wait_gone(self, name, timeout=30, interval=0.5):
        deadline = time.monotonic() + timeout
        while domain_by_name(self.conn, name) is not None:
            if time.monotonic() >= deadline:
                raise DomainError('domain %s is still there %ss after undefine' % (name, timeout))
            time.sleep(interval)
