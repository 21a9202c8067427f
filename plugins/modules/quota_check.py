#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: quota_check
short_description: Check a request against the quotas, counting the servers that exist
version_added: 1.0.0
description:
  - Nova's quota check since Pike, without reservations. Usage (instances, cores, ram) is
    counted from I(servers), the servers every hypervisor reports, for the project and for
    the user; limits are Nova's defaults overridden by I(quotas) per project and per user,
    C(-1) being unlimited. Both the project's and the user's limits must hold.
  - A multi-create request (C(min_num_instances) to C(num_instances)) is reduced to the
    largest count that fits; when not even C(min_num_instances) fit the module fails with
    Nova's message, for example
    C(Quota exceeded for cores - Requested 8, but already used 18 of 20 cores) (with a colon
    after C(cores)).
  - A request with a server group also checks C(server_group_members) (the user's members of
    the group plus the new ones).
  - With I(recheck=true), run after the build, the request's own servers are in I(servers)
    and the check fails when they broke a limit because another request won a race. The caller
    then removes what it built. C(num_instances) is then the number of servers it built.
  - Nothing changes anywhere; the module only computes, in check mode too.
extends_documentation_fragment:
  - novalite.compute.attributes.computation
  - novalite.compute.request_context
options:
  request_spec:
    description:
      - The request spec from M(novalite.compute.server_request).
    type: dict
    required: true
  instances:
    description:
      - The build data from M(novalite.compute.server_request); returned trimmed to the
        allowed count (a request reduced to one instance loses the C(-1) name suffix, as Nova
        names it after the quota check).
    type: list
    elements: dict
    default: []
  catalog:
    description:
      - The catalog (C(keypairs), C(server_groups)), to report the C(key_pairs) and
        C(server_groups) usage.
    type: dict
    default: {}
  recheck:
    description:
      - Check after the build, with the request's servers counted.
    type: bool
    default: false
author:
  - novalite.compute contributors (@novalite)
'''

EXAMPLES = r'''
- name: How many of the requested servers fit in the quota
  novalite.compute.quota_check:
    request_spec: "{{ request.request_spec }}"
    instances: "{{ request.instances }}"
    context: "{{ novalite_context }}"
    quotas: "{{ novalite_quotas }}"
    servers: >-
      {{ groups['hypervisors'] | map('extract', hostvars, 'hypervisor_facts_host_state')
         | novalite.compute.hypervisor_servers(groups['hypervisors'] | map('extract', hostvars, 'hypervisor_facts_servers')) }}
  register: quota

- name: After the build, make sure no concurrent request pushed us over
  novalite.compute.quota_check:
    request_spec: "{{ quota.request_spec }}"
    context: "{{ novalite_context }}"
    quotas: "{{ novalite_quotas }}"
    servers: "{{ servers_after_build }}"
    recheck: true
'''

RETURN = r'''
num_instances:
  description: How many instances may be built.
  returned: success
  type: int
  sample: 2
instance_uuids:
  description: The request's instance uuids, trimmed to I(num_instances).
  returned: success
  type: list
  elements: str
instances:
  description: I(instances) trimmed to I(num_instances).
  returned: success
  type: list
  elements: dict
request_spec:
  description: I(request_spec) with C(instance_uuids) and C(num_instances) trimmed.
  returned: success
  type: dict
limits:
  description: The limits that apply, C(project) and C(user).
  returned: success
  type: dict
  sample: {project: {instances: 10, cores: 20, ram: 51200}, user: {instances: 5, cores: 20, ram: 51200}}
usage:
  description:
    - The usage before this request, C(project) and C(user) (C(instances), C(cores),
      C(ram)), and C(key_pairs) and C(server_groups) from the catalog.
  returned: success
  type: dict
overs:
  description: The resources over their limit.
  returned: failure
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.novalite.compute.plugins.module_utils.args_common import (
    REQUEST_CONTEXT_ARG_SPEC,
)
from ansible_collections.novalite.compute.plugins.module_utils.api import quota
from ansible_collections.novalite.compute.plugins.module_utils.errors import QuotaExceeded
from ansible_collections.novalite.compute.plugins.module_utils.api.naming import instance_names


def trim_instances(instances, num):
    """The first `num` instances; a lone survivor of a multi-create is named as a single one."""
    kept = [dict(i) for i in instances[:num]]
    if num == 1 and len(instances) > 1 and kept[0].get('name', '').endswith('-1'):
        base = kept[0]['name'][:-2]
        kept[0]['name'], kept[0]['hostname'] = instance_names(base, kept[0]['uuid'], 1, 0)
    return kept


def main():
    spec = dict(
        request_spec=dict(type='dict', required=True),
        instances=dict(type='list', elements='dict', default=[]),
        catalog=dict(type='dict', default={}),
        recheck=dict(type='bool', default=False),
    )
    spec.update(REQUEST_CONTEXT_ARG_SPEC)
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    params = module.params
    request_spec = dict(params['request_spec'],
                        project_id=params['context']['project_id'],
                        user_id=params['context']['user_id'])
    try:
        result = quota.check_request(request_spec, params['servers'], params['quotas'],
                                     params['catalog'], recheck_after_build=params['recheck'])
    except QuotaExceeded as exc:
        module.fail_json(msg=exc.msg, overs=exc.overs)
    except KeyError as exc:
        module.fail_json(msg='request_spec.%s: is required' % exc.args[0])
    num = result['num_instances']
    request_spec.update(instance_uuids=result['instance_uuids'], num_instances=num)
    module.exit_json(changed=False, request_spec=request_spec,
                     instances=trim_instances(params['instances'], num), **result)


if __name__ == '__main__':
    main()
