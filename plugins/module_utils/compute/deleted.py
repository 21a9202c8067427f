# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deletes asked for while the host's libvirtd was down (Nova's `deleted` instance and
`_cleanup_running_deleted_instances`).

Nova's API deletes an instance whose compute service is down in its database ("local
delete"), and the compute host, once back, destroys what still runs. Here the server's record
lives in its domain, out of reach while libvirtd is down, so `server_delete` writes
`<state_path>/deleted/<uuid>.json` (who asked: the context and the policy) and says the
server is not deleted yet. The next `server_delete` of it, or the reconciler once libvirtd
answers, checks that caller against the record (Nova's delete policy and instance lock:
server_access.authorize_delete) and removes the server, or drops a request the caller was not
allowed.

Only the recorded requests live here: teardown.py drops one with every removal, so a failed
build's rollback (in every server_build) imports this module, and the policy and the lock
check stay out of its payload.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import time

from ansible_collections.novalite.compute.plugins.module_utils.compute import layout


def request(state_path, instance_uuid, context, policy):
    """Record a delete of the server by `context` under `policy`; its path."""
    os.makedirs(layout.deleted_dir(state_path), exist_ok=True)
    path = layout.deleted_path(state_path, instance_uuid)
    layout.write_atomic(path, json.dumps({
        'instance_uuid': instance_uuid, 'context': context, 'policy': policy or {},
        'requested': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}, sort_keys=True))
    return path


def requests(state_path):
    """The recorded deletes of the host, oldest first; an unreadable one keeps its uuid and
    no caller (only a caller the policy allows without one could have asked)."""
    found = [data if data is not None
             else {'instance_uuid': uuid, 'context': None, 'policy': {}}
             for uuid, data in layout.read_json_records(layout.deleted_dir(state_path))]
    return sorted(found, key=lambda item: item.get('requested') or '')


def drop(state_path, instance_uuid):
    """Forget the recorded delete of the server; True when there was one."""
    try:
        os.unlink(layout.deleted_path(state_path, instance_uuid))
    except FileNotFoundError:
        return False
    return True
