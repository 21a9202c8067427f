# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Server metadata on an existing server: Nova's compute API `update_instance_metadata` and
`delete_instance_metadata` (POST, PUT and DELETE /servers/{id}/metadata), the record in the
domain metadata playing Nova's database.

`change_metadata(conn, params, check_mode)` runs under the instance's host-local lock, as the
lifecycle actions do: Nova's lock check, then its state check (the server active, paused,
suspended or stopped, no task under way), then the new metadata, counted against the
`metadata_items` quota by the caller's `check_count`. As in Nova, no instance action is
recorded (Nova has none for metadata).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record
from ansible_collections.novalite.compute.plugins.module_utils.compute.lifecycle import (
    LifecycleError, canonical_uuid, check_instance_lock, check_instance_state, instance_lock,
    save_record,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import domain_by_uuid

# Nova's check_instance_state on update_instance_metadata and delete_instance_metadata.
ALLOWED_VM_STATES = ('active', 'paused', 'suspended', 'stopped')


def new_metadata(current, state, metadata=None, keys=(), replace=False):
    """The metadata after the change: `present` merges `metadata` into `current` (Nova's
    POST), or replaces it with `replace` (PUT); `absent` removes `keys` (DELETE of each key,
    a key not there is no error here, so the change can be stated)."""
    if state == 'absent':
        return dict((k, v) for k, v in current.items() if k not in keys)
    if replace:
        return dict(metadata or {})
    merged = dict(current)
    merged.update(metadata or {})
    return merged


def change_metadata(conn, params, check_mode=False):
    """`params`: server, state (present|absent), metadata, keys, replace, state_path,
    is_admin, check_count (called with the new number of items; raises when over quota).
    Returns {changed, server, diff}. Raises LifecycleError."""
    instance_uuid = canonical_uuid(params['server'])
    dom = domain_by_uuid(conn, instance_uuid)
    if dom is None:
        raise LifecycleError('Instance %s could not be found on this host.' % instance_uuid)
    if check_mode:
        return _change(dom, params, check_mode=True)
    with instance_lock(params['state_path'], instance_uuid):
        return _change(dom, params)


def _change(dom, params, check_mode=False):
    record = server_record.read_record(dom)
    if record is None:
        raise LifecycleError('server: domain %s has no server record' % dom.name())
    before = dict(record.get('metadata') or {})
    after = new_metadata(before, params['state'], params.get('metadata'),
                         params.get('keys') or (), params.get('replace', False))
    changed = after != before
    if changed:
        method = ('delete_instance_metadata' if params['state'] == 'absent'
                  else 'update_instance_metadata')
        check_instance_lock(record, params.get('is_admin', False))
        check_instance_state(record, method, ALLOWED_VM_STATES)
        if params['state'] == 'present':
            params['check_count'](len(after))
        record['metadata'] = after
        if not check_mode:
            save_record(dom, record)
    return {'changed': changed, 'server': record,
            'diff': {'before': {'metadata': before}, 'after': {'metadata': after}}}
