# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every module acting on one existing server does before the action: connect to the
hypervisor's libvirt, find the server's record by its uuid, and check Nova's policy for the
action against that record (Nova's API `_get_server` then `context.can(...)`), turning each
refusal into the module's failure; and after it, the diff shown only when asked for.

The owner the policy checks is the record's, read on this host: nothing the caller says
decides it.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib

from ansible_collections.novalite.compute.plugins.module_utils.api.policy import (
    Enforcer, authorize_server, authorize_server_action, caller_facts,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute.lifecycle import (
    LifecycleError, canonical_uuid, check_instance_lock,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute.server_record import (
    record_by_uuid,
)
from ansible_collections.novalite.compute.plugins.module_utils.errors import (
    PolicyError, PolicyNotAuthorized,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import (
    libvirt_errors, open_connection,
)


class ServerAccess(object):
    """The server found and the caller allowed: `conn`, `uuid`, `record` (None when no
    server of that uuid is on this host), `enforcer`, and the caller's `is_admin` and
    `is_owner` (api/policy.py caller_facts) as `caller`."""

    def __init__(self, conn, instance_uuid, record, enforcer, caller):
        self.conn, self.uuid, self.record = conn, instance_uuid, record
        self.enforcer, self.caller = enforcer, caller


@contextlib.contextmanager
def server_module_errors(module, where=None):
    """The failures of a module acting on a server, as fail_json: a libvirt or OS error as
    '<where>: <error>' (connection.libvirt_errors), a policy refusal with its `rule`, a refused or failed action with the
    record as it is now (`server`)."""
    try:
        with libvirt_errors(module, where, also=(OSError,)):
            yield
    except (PolicyNotAuthorized, PolicyError) as exc:
        module.fail_json(msg=exc.msg, rule=exc.rule)
    except LifecycleError as exc:
        module.fail_json(msg=str(exc), server=exc.server)


def authorized_server(params, action, must_exist=False, conn=None, without_record=False,
                      on_this_host=False):
    """Connect to `params['uri']` (unless given `conn`), find the record of
    `params['server']` and check the policy of `action` (api/policy.py
    authorize_server_action: an action name or a full rule name) for `params['context']`
    under `params['policy']`.

    A server not on this host is left to the action (its own 'not found on this host'),
    unless `must_exist` (Nova's 404 text, before the policy) or `on_this_host` (the action
    needs the record: 'not found on this host', after the policy). `without_record`: what
    is found has no record (a partial build), and the policy is still checked, against no
    owner, so only a rule that needs no project (an admin's) passes.

    Returns a ServerAccess; raises LifecycleError, PolicyNotAuthorized, PolicyError."""
    instance_uuid = canonical_uuid(params['server'])
    conn = conn or open_connection(params['uri'])
    record = record_by_uuid(conn, instance_uuid)
    if record is None and must_exist:
        raise LifecycleError('Instance %s could not be found.' % instance_uuid)
    enforcer = Enforcer(params['policy'])
    if record is None and without_record:
        authorize_server(enforcer, action, None, params['context'])
    caller = authorize_server_action(enforcer, action, record, params['context'])
    if record is None and on_this_host:
        raise LifecycleError('Instance %s could not be found on this host.' % instance_uuid)
    return ServerAccess(conn, instance_uuid, record, enforcer, caller)


def authorize_delete(record, context, policy):
    """Nova's checks before a delete (`server_delete`, and the reconciler's recorded deletes,
    deleted.py): `os_compute_api:servers:delete` with `context` against the record (None: a
    server without an owner, for callers the rule allows without one) and
    `check_instance_lock`. Raises PolicyNotAuthorized, PolicyError or LifecycleError."""
    enforcer = Enforcer(policy)
    authorize_server(enforcer, 'delete', record, context)
    check_instance_lock(record or {}, caller_facts(enforcer, record, context)['is_admin'])


def diff_as_asked(module, result):
    """`result` without its `diff`, unless the run shows diffs (--diff)."""
    diff = result.pop('diff')
    if module._diff:
        result['diff'] = diff
    return result
