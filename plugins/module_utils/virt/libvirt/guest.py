# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Powering a domain on and off, pausing it, saving its memory and removing its definition
(Nova's `nova/virt/libvirt/guest.py` `Guest.launch`, `shutdown`, `poweroff`, `pause`,
`resume`, `save_memory_state` and `delete_configuration`, with the driver's `_clean_shutdown`).

The one place that starts, stops, pauses, saves and undefines a domain: `server_delete` and a
failed build's rollback (compute/teardown.py), `server_action` (compute/lifecycle.py) and
`libvirt_domain` (domain_state.py) all go through it.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

try:
    import libvirt
except ImportError:
    pass  # modules check connection.HAS_LIBVIRT

from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import (
    wait_for_state, wait_until_running,
)

# Nova re-sends the ACPI power button this often while waiting for a clean shutdown: a guest
# still booting misses the first press.
SHUTDOWN_RETRY_INTERVAL = 10
# Undefine takes the managed save, snapshot/checkpoint metadata and NVRAM with the domain, as
# Nova does. A driver that knows fewer of these flags is asked again with the first two, then
# with none.
UNDEFINE_FLAG_NAMES = ('VIR_DOMAIN_UNDEFINE_MANAGED_SAVE', 'VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA',
                       'VIR_DOMAIN_UNDEFINE_NVRAM', 'VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA')
UNDEFINE_FLAG_FALLBACKS = (4, 2, 0)
# What a driver answers to undefine flags it does not know.
UNSUPPORTED_FLAG_ERRORS = ('VIR_ERR_INVALID_ARG', 'VIR_ERR_NO_SUPPORT', 'VIR_ERR_ARGUMENT_UNSUPPORTED')


def start_domain(dom, timeout):
    """Start a defined domain and wait until it runs (TimeoutError after `timeout` s,
    DomainStopped at once when it shuts off or crashes instead)."""
    dom.create()
    wait_until_running(dom, timeout)


def clean_shutdown(dom, timeout, retry_interval=SHUTDOWN_RETRY_INTERVAL):
    """Nova's `_clean_shutdown`: press the ACPI power button, again every `retry_interval`
    s, until the domain is shut off or `timeout` s have passed. True when it is off."""
    deadline = time.monotonic() + timeout
    while timeout > 0 and time.monotonic() < deadline:
        if not dom.isActive():
            return True
        try:
            dom.shutdown()
        except libvirt.libvirtError:
            # As Nova: a refused press (a guest still starting its ACPI handling) is not the
            # end; the next press or the destroy after the timeout deals with the guest.
            if not dom.isActive():
                return True
        try:
            wait_for_state(dom, [libvirt.VIR_DOMAIN_SHUTOFF],
                           min(retry_interval, max(0, deadline - time.monotonic())))
            return True
        except TimeoutError:
            continue
    return not dom.isActive()


def pause_domain(dom, timeout):
    """Nova's Guest.pause: suspend the vCPUs (virDomainSuspend) and wait for PAUSED."""
    dom.suspend()
    wait_for_state(dom, [libvirt.VIR_DOMAIN_PAUSED], timeout)


def unpause_domain(dom, timeout):
    """Nova's Guest.resume: let the paused vCPUs run again (virDomainResume)."""
    dom.resume()
    wait_until_running(dom, timeout)


def save_memory_state(dom):
    """Nova's Guest.save_memory_state (the libvirt driver's suspend): the guest's memory goes
    to libvirt's managed save image and the domain stops; the next start restores it."""
    dom.managedSave(0)


def discard_memory_state(dom):
    """Drop a managed save image, so the next start boots afresh (Nova's hard reboot
    undefines the domain, which takes the image with it)."""
    if dom.hasManagedSaveImage(0):
        dom.managedSaveRemove(0)


def destroy_domain(dom):
    """Stop the domain at once (virDomainDestroy); nothing to do when it is not running."""
    if not dom.isActive():
        return
    try:
        dom.destroy()
    except libvirt.libvirtError:
        # It may have stopped on its own between the check and the destroy.
        if dom.isActive():
            raise


def stop_domain(dom, shutdown_timeout=0):
    """Nova's `power_off`: a clean shutdown within `shutdown_timeout` s (none when 0), then
    destroy whatever still runs. True when the guest shut down by itself (or was not running)."""
    clean = clean_shutdown(dom, shutdown_timeout) if shutdown_timeout > 0 else not dom.isActive()
    destroy_domain(dom)
    return clean


def undefine_domain(dom):
    """Remove the domain's definition with UNDEFINE_FLAG_NAMES, fewer on a driver that refuses
    them (UNDEFINE_FLAG_FALLBACKS)."""
    flags = [getattr(libvirt, name, 0) for name in UNDEFINE_FLAG_NAMES]
    tolerated = [getattr(libvirt, name) for name in UNSUPPORTED_FLAG_ERRORS if hasattr(libvirt, name)]
    for count in UNDEFINE_FLAG_FALLBACKS:
        try:
            dom.undefineFlags(sum(flags[:count]))
            return
        except libvirt.libvirtError as exc:
            if count == 0 or exc.get_error_code() not in tolerated:
                raise
