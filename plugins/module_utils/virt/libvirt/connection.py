# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection helpers shared by every module that talks to libvirt (the `uri` option itself
is args_common.LIBVIRT_ARG_SPEC, twin of the `novalite.compute.libvirt` doc fragment)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time
import traceback
from contextlib import contextmanager

from ansible.module_utils.basic import missing_required_lib

try:
    import libvirt
except ImportError:
    HAS_LIBVIRT = False
    LIBVIRT_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_LIBVIRT = True
    LIBVIRT_IMPORT_ERROR = None

try:
    # Only proves that lxml is there: the parts that parse XML import it themselves.
    from lxml import etree  # noqa: F401 pylint: disable=unused-import
except ImportError:
    HAS_LXML = False
    LXML_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_LXML = True
    LXML_IMPORT_ERROR = None

_handler_installed = []


def _quiet_handler(_ctx, _err):
    """libvirt prints every error to stderr by default; the exceptions carry them anyway."""


def open_connection(uri):
    """Open a read-write connection to `uri`, with libvirt's stderr printing silenced."""
    if not _handler_installed:
        libvirt.registerErrorHandler(_quiet_handler, None)
        _handler_installed.append(True)
    return libvirt.open(uri)


def require_libraries(module, *others):
    """Fail `module` with missing_required_lib's message when libvirt-python, lxml or one of
    `others` (triples of present, package name, import traceback) is missing."""
    for present, name, error in ((HAS_LIBVIRT, 'libvirt-python', LIBVIRT_IMPORT_ERROR),
                                 (HAS_LXML, 'lxml', LXML_IMPORT_ERROR)) + others:
        if not present:
            module.fail_json(msg=missing_required_lib(name), exception=error)


@contextmanager
def libvirt_errors(module, where=None, also=(), **fail_kwargs):
    """Turn a libvirt error (or one of the exception classes `also`) raised in the block into
    the module's failure: '<where>: <error>' with the traceback and `fail_kwargs`.

    `where` defaults to 'libvirt (<uri>)', the connection the error came from."""
    try:
        yield
    except (libvirt.libvirtError,) + tuple(also) as exc:
        if where is None:
            where = 'libvirt (%s)' % module.params['uri']
        module.fail_json(msg='%s: %s' % (where, exc), exception=traceback.format_exc(),
                         **fail_kwargs)


def lookup_or_none(lookup, key, absent_code):
    """`lookup(key)`, or None when libvirt answers `absent_code` (there is no such object)."""
    try:
        return lookup(key)
    except libvirt.libvirtError as exc:
        if exc.get_error_code() == absent_code:
            return None
        raise


def host_identity(conn):
    """The hypervisor as it names itself, whatever the inventory calls it: {uuid: the libvirt
    host UUID (capabilities' host/uuid: libvirtd.conf's host_uuid, else the SMBIOS or
    machine-id one), hostname: libvirt's host name}."""
    from lxml import etree
    caps = etree.fromstring(conn.getCapabilities().encode('utf-8'))
    return {'uuid': caps.findtext('host/uuid'), 'hostname': conn.getHostname()}


def domain_by_uuid(conn, uuid):
    """The domain with `uuid`, or None when there is none."""
    return lookup_or_none(conn.lookupByUUIDString, uuid, libvirt.VIR_ERR_NO_DOMAIN)


def domain_by_name(conn, name):
    """The domain called `name`, or None when there is none."""
    return lookup_or_none(conn.lookupByName, name, libvirt.VIR_ERR_NO_DOMAIN)


# libvirt's reasons for a shut off domain (virDomainShutoffReason).
SHUTOFF_REASONS = ('unknown', 'shutdown', 'destroyed', 'crashed', 'migrated', 'saved', 'failed',
                   'from snapshot', 'daemon')


class DomainStopped(RuntimeError):
    """The domain stopped while a caller waited for another state it cannot reach by itself."""


def wait_for_state(dom, wanted_states, timeout, interval=0.5, stopped_states=()):
    """Poll until the domain is in one of `wanted_states`; returns that state.

    Raises TimeoutError naming the last state seen when `timeout` seconds pass first, and
    DomainStopped at once when the domain is in one of `stopped_states`."""
    wanted = set(wanted_states)
    deadline = time.monotonic() + timeout
    while True:
        state, reason = dom.state()
        if state in wanted:
            return state
        if state in stopped_states:
            why = SHUTOFF_REASONS[reason] if state == libvirt.VIR_DOMAIN_SHUTOFF and \
                reason < len(SHUTOFF_REASONS) else 'reason %d' % reason
            raise DomainStopped('domain %s stopped (state %d, %s) before reaching state %s'
                                % (dom.name(), state, why, sorted(wanted)))
        if time.monotonic() >= deadline:
            raise TimeoutError('domain %s did not reach state %s within %ss (state %s)'
                               % (dom.name(), sorted(wanted), timeout, state))
        time.sleep(interval)


def wait_until_running(dom, timeout):
    """After a start: poll until RUNNING, as Nova's _wait_for_boot does, but give up at once
    when the domain is shut off or crashed (its QEMU is gone: it will not run by itself)."""
    return wait_for_state(dom, [libvirt.VIR_DOMAIN_RUNNING], timeout,
                          stopped_states=(libvirt.VIR_DOMAIN_SHUTOFF, libvirt.VIR_DOMAIN_CRASHED))
