#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: server_request
short_description: Check a Nova create-server request and build its request spec
version_added: 1.0.0
description:
  - Does what nova-api does with C(POST /servers) before anything is scheduled. It checks the
    C(server) object with Nova's rules (Nova's JSON schema of microversion 2.74, checked with
    the jsonschema library, then the checks of the servers API and the compute API), runs the create policies, looks the flavor, image, networks, keypair,
    security groups and server group up in the catalog, and checks the per-request quotas
    (metadata items, injected files).
  - It returns Nova's request spec, a reservation id and the build data of each instance
    (C(max_count) of them, with generated uuids, display names and host names).
  - Policies checked, with Nova's names and defaults (overridable with I(policy)) are
    C(os_compute_api:servers:create) always;
    C(os_compute_api:servers:create:forced_host) when C(availability_zone) names a host or
    node; C(compute:servers:create:requested_destination) when C(host) or
    C(hypervisor_hostname) is given; C(os_compute_api:servers:create:attach_network) when
    C(networks) is a non-empty list or C(auto); C(os_compute_api:servers:create:attach_volume)
    when C(block_device_mapping_v2) is not empty;
    C(os_compute_api:servers:create:zero_disk_flavor) when the flavor has no disk and the
    server does not boot from a volume; C(network:attach_external_network) for an unshared
    network marked C(external).
  - Scheduler hints are Nova's C(os:scheduler_hints) sibling of C(server). Give them with
    I(scheduler_hints), or, for convenience, as a C(scheduler_hints) key inside I(server);
    both are merged and must not disagree.
  - C(networks) absent or empty picks the one network the project can use, or none when
    there is none; C(auto) also picks that one network and fails when there is none (no
    network can be made here); C(none) attaches none. A network is referred to by id or name.
    A fixed IP must be inside the network's cidr and allocation pools, not its network,
    broadcast or gateway address, and not held by a server in I(servers) or by a port of the
    catalog.
  - With C(block_device_mapping_v2) the request maps its own root (C(boot_index) 0), an
    image root too, as with Nova.
  - Every instance gets a config drive (there is no metadata service; Nova's
    C(force_config_drive)).
  - Nothing is created; the module only computes, in check mode too.
  - C(adminPass), C(user_data) and C(personality) never reach the module - its action checks
    them on the controller with Nova's schema (C(adminPass) a string, C(user_data) base64 of
    at most 65535 characters, each C(personality) item a C(path) and base64 C(contents)) and
    hands the module only the injected files' paths and content lengths (O(injected_files)).
    So nothing of them can be in the result or its invocation, and Ansible has no value of
    theirs to mask in it (a password equal to the project id cannot hide the project id).
    The instances carry C(injected_file_paths) only; give the secrets to
    M(novalite.compute.server_build) directly. An error names the field, never its value.
  - At most O(max_count_limit) instances, and no more than the quota headroom allows
    (Nova's C(_check_num_instances_quota) - C(max_count) is cut down to what fits, and the
    request fails when not even C(min_count) fits), are made, decided before any of them
    exists.
extends_documentation_fragment:
  - novalite.compute.attributes.computation
  - novalite.compute.request_context
options:
  server:
    description:
      - The C(server) object of Nova's C(POST /servers) body, as is (C(name), C(flavorRef),
        C(imageRef), C(networks), C(block_device_mapping_v2), C(min_count), C(max_count),
        C(availability_zone), C(key_name), C(security_groups), C(metadata), C(user_data),
        C(personality), C(config_drive), C(accessIPv4), C(accessIPv6), C(adminPass),
        C(OS-DCF:diskConfig), C(description), C(tags), C(return_reservation_id), C(host),
        C(hypervisor_hostname)).
      - C(flavorRef) and C(imageRef) may be ids or names; an ambiguous name is an error.
      - Its secrets (C(adminPass), C(user_data), C(personality)) are better given in
        O(admin_pass), O(user_data) and O(personality), which are never logged; Ansible logs a
        module's options on the host before the module runs.
    type: dict
    required: true
  admin_pass:
    description:
      - The body's C(adminPass), kept out of every log. Overrides C(server.adminPass).
      - Must be a string; a number, list or object is refused, not converted.
    type: raw
  user_data:
    description:
      - The body's C(user_data) (base64), kept out of every log. Overrides C(server.user_data).
    type: raw
  personality:
    description:
      - The body's C(personality) (injected files), their contents kept out of every log.
        Overrides C(server.personality).
      - Each item is C(path), where the file goes in the guest, and C(contents), the file's
        contents as base64. Only C(contents) is secret; the paths are returned in
        C(injected_file_paths).
    type: raw
  injected_files:
    description:
      - The checked personality as its paths and content lengths (C(path), C(contents_length),
        the length of the base64 text); the action sets it from O(personality).
    type: list
    elements: dict
    suboptions:
      path:
        description: Where the file goes in the guest.
        type: str
        required: true
      contents_length:
        description: The length of the file's base64 contents.
        type: int
        required: true
  max_count_limit:
    description:
      - The most instances one request may ask for (C(max_count)), whatever the quotas say;
        the operator's bound (inventory C(novalite_max_count_limit)).
    type: int
    default: 1000
  scheduler_hints:
    description:
      - Nova's scheduler hints (C(group) as a server group uuid or name, C(same_host),
        C(different_host), C(query), C(build_near_host_ip), C(cidr), and any other key).
    type: dict
  catalog:
    description:
      - The catalog, the inventory's C(novalite_flavors), C(novalite_images) and so on.
    type: dict
    default: {}
    suboptions:
      flavors:
        description: Nova flavors.
        type: list
        elements: dict
        default: []
      images:
        description: Glance images, kernels and ramdisks included.
        type: list
        elements: dict
        default: []
      networks:
        description: Networks.
        type: list
        elements: dict
        default: []
      keypairs:
        description:
          - Keypairs; each belongs to one C(user_id).
          - Public keys only (C(name), C(user_id), C(public_key), C(type)); never a private key.
        type: list
        elements: dict
        default: []
      security_groups:
        description: Security groups; C(default) always exists.
        type: list
        elements: dict
        default: []
      server_groups:
        description: Server groups.
        type: list
        elements: dict
        default: []
      ports:
        description: Pre-made ports (C(id), C(network_id), C(fixed_ip), C(mac)) for C(networks[].port).
        type: list
        elements: dict
        default: []
  policy:
    description:
      - Policy rules by name, in oslo.policy's language; they override Nova's defaults.
    type: dict
    default: {}
  availability_zones:
    description:
      - The availability zones that exist. Defaults to I(default_availability_zone) only.
    type: list
    elements: str
  default_availability_zone:
    description:
      - The zone of hosts outside any zone aggregate (Nova's C(default_availability_zone)).
    type: str
    default: nova
requirements:
  - netaddr
  - jsonschema
author:
  - novalite.compute contributors (@novalite)
'''

EXAMPLES = r'''
- name: Check the request and build the request spec
  novalite.compute.server_request:
    server: "{{ novalite_server }}"
    context: "{{ novalite_context }}"
    catalog:
      flavors: "{{ novalite_flavors }}"
      images: "{{ novalite_images }}"
      networks: "{{ novalite_networks }}"
      keypairs: "{{ novalite_keypairs }}"
      security_groups: "{{ novalite_security_groups }}"
      server_groups: "{{ novalite_server_groups }}"
    policy: "{{ novalite_policy }}"
    quotas: "{{ novalite_quotas }}"
    availability_zones: [nova, az1]
    servers: "{{ existing_servers }}"
    scheduler_hints:
      group: web
  register: request

- name: Two servers named web-1 and web-2
  novalite.compute.server_request:
    server:
      name: web
      flavorRef: m1.nano
      imageRef: novalite-demo
      networks: [{uuid: private}]
      min_count: 1
      max_count: 2
    context: {project_id: demo, user_id: demo-user, roles: [member]}
    catalog: "{{ catalog }}"
'''

RETURN = r'''
request_spec:
  description:
    - Nova's RequestSpec names (C(instance_uuids), C(num_instances), C(min_num_instances),
      C(flavor), C(image), C(availability_zone), C(force_hosts), C(force_nodes),
      C(ignore_hosts), C(requested_destination), C(scheduler_hints), C(instance_group) with
      its C(members) and C(hosts), C(project_id), C(user_id), C(security_groups),
      C(requested_networks), C(is_bfv)).
  returned: success
  type: dict
reservation_id:
  description: Nova's reservation id of the request.
  returned: success
  type: str
  sample: r-3fq8ah2k
instances:
  description:
    - The build data of each instance, the C(server) option of
      M(novalite.compute.server_build) (C(uuid), C(name), C(hostname), C(launch_index),
      C(reservation_id), C(project_id), C(user_id), C(description), C(tags),
      C(availability_zone), C(key_name), C(public_keys), C(metadata), C(security_groups),
      C(config_drive), C(access_ip_v4), C(access_ip_v6), C(auto_disk_config), C(flavor),
      C(image), C(kernel), C(ramdisk), C(networks), C(instance_group), C(injected_file_paths),
      C(request_spec)).
    - C(request_spec) is what the server record keeps for a later resize (Nova's stored
      RequestSpec) - C(availability_zone), the zone asked for (null when none was), which the
      conductor does not change when it gives the instance its host's zone.
  returned: success
  type: list
  elements: dict
field:
  description: The request field that broke a rule, such as C(server.networks[1].fixed_ip).
  returned: failure on a request error
  type: str
rule:
  description: The rule that failed, or the policy rule that denied the request.
  returned: failure
  type: str
'''

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.novalite.compute.plugins.module_utils.args_common import (
    REQUEST_CONTEXT_ARG_SPEC,
)
from ansible_collections.novalite.compute.plugins.module_utils.api import request
from ansible_collections.novalite.compute.plugins.module_utils.api import schema
from ansible_collections.novalite.compute.plugins.module_utils.errors import (
    PolicyError, PolicyNotAuthorized, ValidationError)
from ansible_collections.novalite.compute.plugins.module_utils.compute.network import (
    HAS_NETADDR, NETADDR_IMPORT_ERROR)
from ansible_collections.novalite.compute.plugins.module_utils.api.policy import Enforcer

CATALOG_KINDS = ('flavors', 'images', 'networks', 'keypairs', 'security_groups',
                 'server_groups', 'ports')
SECRET_OPTIONS = ('admin_pass', 'user_data', 'personality')


def argument_spec():
    spec = dict(
        server=dict(type='dict', required=True),
        # the action takes these three and never passes them on (see main)
        admin_pass=dict(type='raw', no_log=True),
        user_data=dict(type='raw', no_log=True),
        personality=dict(type='raw', no_log=True),
        injected_files=dict(type='list', elements='dict', options=dict(
            path=dict(type='str', required=True),
            contents_length=dict(type='int', required=True))),
        max_count_limit=dict(type='int', default=request.DEFAULT_MAX_COUNT_LIMIT),
        scheduler_hints=dict(type='dict'),
        # no_log=False: keypairs hold public keys only, nothing secret.
        catalog=dict(type='dict', default={}, options=dict(
            (kind, dict(type='list', elements='dict', default=[], no_log=False)) for kind in CATALOG_KINDS)),
        policy=dict(type='dict', default={}),
        availability_zones=dict(type='list', elements='str'),
        default_availability_zone=dict(type='str', default='nova'),
    )
    spec.update(REQUEST_CONTEXT_ARG_SPEC)
    return spec


def build(params):
    """What the module returns for its validated `params` (the body without its secrets: the
    action checked them); raises ValidationError, PolicyNotAuthorized or PolicyError. The
    action plugin of the same name calls it in the controller's process."""
    return request.build_request(
        params['server'], params['context'], params['catalog'],
        scheduler_hints=params['scheduler_hints'], enforcer=Enforcer(params['policy']),
        quotas=params['quotas'], availability_zones=params['availability_zones'],
        default_availability_zone=params['default_availability_zone'],
        servers=params['servers'], injected_files=params['injected_files'] or [],
        max_count_limit=params['max_count_limit'])


def failure(exc):
    """The failure's fields: `msg`, and the `field` and `rule`, or the policy `rule`."""
    if isinstance(exc, ValidationError):
        return dict(msg=exc.msg, field=exc.field, rule=exc.rule)
    return dict(msg=exc.msg, rule=exc.rule)


FAILURES = (ValidationError, PolicyNotAuthorized, PolicyError)


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    given = [name for name in SECRET_OPTIONS if params[name] is not None]
    given += [key for key in request.SECRET_FIELDS if key in (params['server'] or {})]
    if given:
        # Only reachable without the action (which strips them): a secret in a module's
        # options would be masked wherever its text shows up in the result.
        shown = dict(params, server=request.split_secrets(params['server'])[0])
        module.fail_json(msg='%s: the server_request action checks the secrets on the '
                         'controller; the module does not take them' % given[0],
                         invocation={'module_args': shown})
    if not HAS_NETADDR:
        module.fail_json(msg=missing_required_lib('netaddr'), exception=NETADDR_IMPORT_ERROR)
    if not schema.HAS_JSONSCHEMA:
        module.fail_json(msg=missing_required_lib('jsonschema'),
                         exception=schema.JSONSCHEMA_IMPORT_ERROR)
    try:
        result = build(params)
    except FAILURES as exc:
        module.fail_json(**failure(exc))
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
