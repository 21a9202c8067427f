#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: server_metadata
short_description: Set or delete metadata on an existing server (Nova's server metadata API)
version_added: 3.0.0
description:
  - Changes a server's metadata on the hypervisor it lives on, as Nova's
    C(POST /servers/{id}/metadata) (O(state=present), merged), C(PUT /servers/{id}/metadata)
    (O(state=present) with O(replace=true)) and C(DELETE /servers/{id}/metadata/{key})
    (O(state=absent)) do, under the instance's host-local lock.
  - Keys and values are checked against Nova's schema (keys of 1 to 255 of
    C([a-zA-Z0-9-_:. ]), string values of at most 255 characters); the number of items
    after the change against the C(metadata_items) quota of the caller's project and user
    (C(Maximum number of metadata items exceeds <limit>)).
  - Nova's checks apply with Nova's messages - a locked server refuses a caller who is not an
    admin (C(Instance <uuid> is locked)); the server must be active, paused, suspended or
    stopped with no task under way (C(Cannot 'update_instance_metadata' instance <uuid>
    while it is in vm_state error)).
  - Before anything, Nova's policy C(os_compute_api:server-metadata:create),
    C(:update_all) or C(:delete) is checked with O(context) against the server's record - by
    default a member or admin of the server's project may change it, a reader may not.
  - As in Nova, no instance action is recorded; the config drive keeps the metadata the server
    was built with (Nova's metadata service would show the new one).
extends_documentation_fragment:
  - novalite.compute.libvirt
  - novalite.compute.server_policy
options:
  server:
    description: The server's UUID.
    type: str
    required: true
  state:
    description:
      - V(present) sets O(metadata); V(absent) deletes O(keys).
    type: str
    choices: [present, absent]
    default: present
  metadata:
    description: The items to set (for V(present)).
    type: dict
    default: {}
  replace:
    description:
      - For V(present), the server's metadata becomes O(metadata) alone (Nova's PUT); by
        default O(metadata) is merged into it (Nova's POST).
    type: bool
    default: false
  keys:
    description: The keys to delete (for V(absent)); a key the server does not have is ignored.
    type: list
    elements: str
    default: []
  quotas:
    description:
      - The quota limits (the C(novalite_quotas) shape - C(defaults), C(projects),
        C(users)); C(metadata_items) applies, Nova's default 128.
    type: dict
    default: {}
  state_path:
    description:
      - The host's state directory; the instance lock is
        C(<state_path>/locks/instance-<uuid>.lock) while the change is made.
    type: path
    default: /var/lib/novalite
attributes:
  check_mode:
    support: full
    description: Runs the same checks and reports the metadata it would set, changing nothing.
  diff_mode:
    support: full
    description: The diff shows the metadata before and after.
  idempotent:
    support: full
    description: Once the metadata holds the items (or lacks the keys), another run reports no change.
  platform:
    support: full
    platforms: posix
    description: Runs on the hypervisor the server lives on.
author:
  - novalite.compute contributors (@novalite)
'''

EXAMPLES = r'''
- name: Tag a server with its role
  novalite.compute.server_metadata:
    server: 0b1c7e8e-94b0-4d5d-8d65-2b0c2b9f8c11
    metadata: {role: web, tier: front}
    context: {project_id: demo, user_id: demo-user, roles: [member]}
  delegate_to: hv1

- name: Remove the tier
  novalite.compute.server_metadata:
    server: 0b1c7e8e-94b0-4d5d-8d65-2b0c2b9f8c11
    state: absent
    keys: [tier]
    context: {project_id: demo, user_id: demo-user, roles: [member]}
  delegate_to: hv1
'''

RETURN = r'''
server:
  description: The server record after the change (in check mode, as it would be).
  returned: success
  type: dict
  sample:
    uuid: 0b1c7e8e-94b0-4d5d-8d65-2b0c2b9f8c11
    metadata: {role: web}
metadata:
  description: The server's metadata after the change (Nova's answer to the request).
  returned: success
  type: dict
  sample: {role: web}
'''

import functools

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.novalite.compute.plugins.module_utils.api.quota import (
    check_metadata_items, resolve_limits, tighter_limits,
)
from ansible_collections.novalite.compute.plugins.module_utils.api.schema import validate_metadata
from ansible_collections.novalite.compute.plugins.module_utils.args_common import (
    COMPUTE_HOST_PATHS_ARG_SPEC, LIBVIRT_ARG_SPEC, SERVER_POLICY_ARG_SPEC,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute.metadata import change_metadata
from ansible_collections.novalite.compute.plugins.module_utils.compute.server_access import (
    authorized_server, diff_as_asked, server_module_errors,
)
from ansible_collections.novalite.compute.plugins.module_utils.errors import (
    QuotaExceeded, ValidationError,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import (
    require_libraries,
)


def argument_spec():
    spec = dict(
        server=dict(type='str', required=True),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        metadata=dict(type='dict', default={}),
        replace=dict(type='bool', default=False),
        keys=dict(type='list', elements='str', default=[], no_log=False),
        quotas=dict(type='dict', default={}),
        state_path=COMPUTE_HOST_PATHS_ARG_SPEC['state_path'],
    )
    spec.update(LIBVIRT_ARG_SPEC)
    spec.update(SERVER_POLICY_ARG_SPEC)
    return spec


def policy_action(params):
    """The server-metadata policy the request needs (Nova's create, update_all, delete)."""
    if params['state'] == 'absent':
        return 'os_compute_api:server-metadata:delete'
    return 'os_compute_api:server-metadata:%s' % ('update_all' if params['replace'] else 'create')


def count_checker(params):
    """Nova's metadata quota check, with the caller's project and user limits."""
    context = params['context']
    limits = tighter_limits(*resolve_limits(params['quotas'], context['project_id'],
                                            context['user_id']))
    return functools.partial(check_metadata_items, limits)


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    require_libraries(module)
    p = module.params
    try:
        validate_metadata(p['metadata'])
        with server_module_errors(module, 'Metadata of instance %s' % p['server']):
            access = authorized_server(p, policy_action(p))
            params = dict(p, check_count=count_checker(p), **access.caller)
            result = change_metadata(access.conn, params, check_mode=module.check_mode)
    except (ValidationError, QuotaExceeded) as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(metadata=result['server']['metadata'], **diff_as_asked(module, result))


if __name__ == '__main__':
    main()
