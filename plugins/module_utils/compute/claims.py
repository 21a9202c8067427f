# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""In-flight resource claims on a hypervisor (Nova's resource tracker `instance_claim`).

A claim holds a flavor's resources from the moment the build checked that they fit until
the domain is defined; from then on the domain's server record counts the usage. Claims are
files `<state_path>/claims/<uuid>.json`, checked and written under the host-local lock
`<state_path>/compute.lock` (fcntl.flock), so two builds on one host never both take the
last free resources. A claim whose build process is gone (killed half-way) is stale and
no longer counts.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import json
import os
import time

from ansible_collections.novalite.compute.plugins.module_utils.compute import layout
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.resources import flavor_resources

# What a host state's `claims` list shows of a claim (internals.md).
PUBLIC_KEYS = ('instance_uuid', 'vcpus', 'memory_mb', 'disk_gb', 'created')
# How long the destination's claim of a resize to another host holds without its finish
# (Nova's migration allocations stay until the migration ends; here a run that died
# between the claim and the finish leaves nothing that could end it).
MIGRATION_CLAIM_EXPIRE = 3600


class ClaimError(Exception):
    """The flavor does not fit on this host any more (Nova's ComputeResourcesUnavailable)."""

    def __init__(self, instance_uuid, reasons):
        self.reasons = list(reasons)
        super(ClaimError, self).__init__(
            'Insufficient compute resources for instance %s: %s'
            % (instance_uuid, '; '.join(self.reasons)))


def _live(claim):
    """A claim counts while its build's process lives; a migration's claim (no process)
    until it expires, when its resize never finished."""
    if claim.get('pid') and not layout.pid_alive(claim['pid']):
        return False
    return not (claim.get('expires') and float(claim['expires']) < time.time())


def _read_claims(state_path):
    """All live claim files as full dicts (with `pid` and `ports`), oldest first."""
    found = [data for _uuid, data in layout.read_json_records(layout.claims_dir(state_path))
             if data is not None and _live(data)]
    found.sort(key=lambda c: c.get('created') or '')
    return found


def list_claims(state_path):
    """The host's live in-flight claims, `{instance_uuid, vcpus, memory_mb, disk_gb, created}`."""
    return [dict((k, c.get(k)) for k in PUBLIC_KEYS) for c in _read_claims(state_path)]


def claimed_ports(state_path, exclude=None):
    """Ports (MAC and fixed IP) allocated by in-flight builds, not yet in a domain record."""
    ports = []
    for data in _read_claims(state_path):
        if data.get('instance_uuid') != exclude:
            ports.extend(data.get('ports') or [])
    return ports


def _write_atomic(path, data):
    layout.write_atomic(path, json.dumps(data, sort_keys=True))


class Claim(object):
    """One in-flight claim; `save_ports` records the ports allocated under the same lock."""

    def __init__(self, state_path, data):
        self.state_path = state_path
        self.data = data

    @property
    def instance_uuid(self):
        return self.data['instance_uuid']

    def save_ports(self, ports):
        self.data['ports'] = [dict(p) for p in ports]
        _write_atomic(layout.claim_path(self.state_path, self.instance_uuid), self.data)


def _new_claim_data(instance_uuid, flavor):
    requested = flavor_resources(flavor)
    return {
        'instance_uuid': instance_uuid,
        'vcpus': requested['VCPU'],
        'memory_mb': requested['MEMORY_MB'],
        'disk_gb': requested['DISK_GB'],
        'created': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
        'pid': os.getpid(),
        'ports': [],
    }


def check_fit(state_path, instance_uuid, fits_check):
    """The reasons the instance would not fit now (empty when it fits); changes nothing.

    `fits_check(claims)` gets the other live claims (list_claims shape) and returns the
    fit failures of resources.fit_failures for a host state that counts them."""
    others = [c for c in list_claims(state_path) if c['instance_uuid'] != instance_uuid]
    return fits_check(others)


@contextlib.contextmanager
def claim(state_path, instance_uuid, flavor, fits_check, opening=None):
    """Claim the flavor's resources for the instance, as a transaction.

    Takes the compute lock, recomputes the fit with the other live claims (`fits_check`, see
    check_fit), raises ClaimError when it does not fit, else calls `opening()` (the build
    opens its journal there: under the lock, before the first thing it makes), writes the
    claim file and yields a Claim while still holding the lock (the caller allocates MACs
    and IPs there). An exception inside the block releases the claim; a normal exit keeps it
    until release()."""
    with layout.compute_lock(state_path):
        _check_claimable(state_path, instance_uuid, fits_check, 'a build')
        if opening is not None:
            opening()
        os.makedirs(layout.claims_dir(state_path), exist_ok=True)
        current = Claim(state_path, _new_claim_data(instance_uuid, flavor))
        _write_atomic(layout.claim_path(state_path, instance_uuid), current.data)
        try:
            yield current
        except BaseException:
            release(state_path, instance_uuid)
            raise


def _check_claimable(state_path, instance_uuid, fits_check, in_progress):
    """Under the compute lock: no claim of the instance is held already (ClaimError '<in_progress>
    of this instance is already in progress') and the flavor fits (check_fit's failures)."""
    if any(c['instance_uuid'] == instance_uuid for c in _read_claims(state_path)):
        raise ClaimError(instance_uuid, ['%s of this instance is already in progress' % in_progress])
    failures = check_fit(state_path, instance_uuid, fits_check)
    if failures:
        raise ClaimError(instance_uuid, failures)


def migration_claim(state_path, instance_uuid, flavor, fits_check, source_compute,
                    expire=MIGRATION_CLAIM_EXPIRE):
    """Nova's resize_claim on the destination of a resize to another host (prep_resize):
    under the compute lock, the new flavor must fit beside everything the host holds
    (`fits_check`, as for claim()); the claim is held by no process (the finish on this host
    releases it, or the revert of the resize), so it counts until then, at most `expire`
    seconds. Raises ClaimError."""
    with layout.compute_lock(state_path):
        _check_claimable(state_path, instance_uuid, fits_check, 'a build or resize')
        os.makedirs(layout.claims_dir(state_path), exist_ok=True)
        data = dict(_new_claim_data(instance_uuid, flavor), pid=None,
                    migration={'source_compute': source_compute}, expires=time.time() + expire)
        _write_atomic(layout.claim_path(state_path, instance_uuid), data)
    return dict((k, data.get(k)) for k in PUBLIC_KEYS)


def release(state_path, instance_uuid):
    """Drop the instance's claim; True when there was one."""
    try:
        os.unlink(layout.claim_path(state_path, instance_uuid))
    except FileNotFoundError:
        return False
    return True


def claim_dhcp_entries(state_path, instance_uuid):
    """[(libvirt network, mac)] of the DHCP host entries the instance's claim recorded."""
    try:
        with open(layout.claim_path(state_path, instance_uuid)) as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return []
    return [(p['dhcp_network'], p['mac']) for p in data.get('ports') or []
            if p.get('dhcp_network') and p.get('mac')]


def has_claim(state_path, instance_uuid):
    return os.path.exists(layout.claim_path(state_path, instance_uuid))
