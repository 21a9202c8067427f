#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: fleet_resize
short_description: Check a resize and select its destination against the fleet database
version_added: 3.0.0
description:
  - The controller's half of Nova's resize before the cast to a compute host (compute API
    C(resize), conductor C(MigrationTask)), in the controller's process as an action plugin.
  - Checks, on the server's record as the find step read it from its hypervisor, Nova's
    policy C(os_compute_api:servers:resize), the lock and the state, the body and the new
    flavor (as M(novalite.compute.server_resize) does), then the upsize quota
    (C(_check_quota_for_upsize) - the cores and ram the new flavor adds against the project's
    and user's limits, with Nova's C(Quota exceeded for cores - Requested ..., but already
    used ... of ... cores)).
  - Then selects a destination with the FilterScheduler over the hosts' rows (the engine of
    M(novalite.compute.fleet_schedule)), for a request spec with the new flavor whose
    C(ignore_hosts) holds the server's own host unless O(allow_resize_to_same_host). The
    alternates follow the selected host, for the caller to try when a destination's claim
    fails.
  - The request spec's C(availability_zone) is the zone the server's create asked for, which
    its record keeps in C(request_spec) (Nova's stored RequestSpec), so C(AvailabilityZoneFilter)
    keeps a server that asked for a zone in it; a server that asked for none, and one whose
    record predates C(request_spec), may move to any zone. The record's own
    C(availability_zone) (the zone of its host) is not what the resize filters on; each
    destination carries its host's zone (Nova's C(Selection.availability_zone)), which the
    record takes when the server is finished there (M(novalite.compute.server_migrate) V(finish)).
  - Writes nothing; the hosts' claims and the records do the rest.
author:
  - novalite.compute contributors (@novalite)
extends_documentation_fragment:
  - novalite.compute.fleet
  - novalite.compute.fleet.schedule
  - novalite.compute.server_policy
options:
  server:
    description: The server's record as M(novalite.compute.server_info) returns it (C(uuid), C(host), C(flavor),
      C(project_id), C(user_id), C(vm_state), C(task_state), C(locked), C(image), C(ports), C(instance_group),
      C(request_spec)).
    type: dict
    required: true
  resize:
    description: The C(resize) object of Nova's action body (C(flavorRef)).
    type: dict
    required: true
  catalog:
    description: The catalog's C(flavors) and C(images).
    type: dict
    default: {}
  allow_resize_to_same_host:
    description: Nova's C(allow_resize_to_same_host) - whether the server's own host may be selected.
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Check the resize and select its destination
  novalite.compute.fleet_resize:
    server: "{{ find_server_matches | first }}"
    resize: {flavorRef: m1.small}
    catalog:
      flavors: "{{ novalite_flavors }}"
      images: "{{ novalite_images }}"
    context: "{{ novalite_context }}"
    quotas: "{{ novalite_quotas | default({}) }}"
    hosts: "{{ groups['hypervisors'] }}"
  register: resize_selection
'''

RETURN = r'''
new_flavor:
  description: The new flavor as the server record keeps flavors.
  returned: success
  type: dict
  sample: {id: "3", name: m1.small, vcpus: 2, memory_mb: 256, root_gb: 2, ephemeral_gb: 0, swap: 0, extra_specs: {}}
destinations:
  description:
    - The selected host first, then its alternates (C(host), C(nodename), C(weight),
      C(availability_zone)).
    - C(availability_zone) is the host's zone (its row's, else the scheduler's
      C(default_availability_zone)).
  returned: success
  type: list
  elements: dict
  sample: [{host: hv2, nodename: hv2, weight: 1.0, availability_zone: az2}]
same_host:
  description: Whether the selected host is the server's own (the same-host resize).
  returned: success
  type: bool
request_spec:
  description: The request spec the scheduler placed (the new flavor, C(ignore_hosts), the
    C(availability_zone) the create asked for or null).
  returned: success
  type: dict
limits:
  description: The quota limits that apply, C(project) and C(user).
  returned: success
  type: dict
usage:
  description: The project's and user's usage, the server at its old flavor.
  returned: success
  type: dict
deltas:
  description: What the new flavor adds to the quota (C(cores), C(ram); only what grows).
  returned: success
  type: dict
security_group_members:
  description: Each security group's fixed IPs across the fleet, for the destination's ruleset.
  returned: success
  type: dict
trace:
  description: The filter steps and the weighed hosts, as M(novalite.compute.select_destinations).
  returned: always
  type: list
  elements: dict
overs:
  description: The resources over their quota.
  returned: failure
  type: list
  elements: str
field:
  description: The field of the body that broke a rule.
  returned: failure
  type: str
rule:
  description: The rule it broke, or the policy rule that refused the caller.
  returned: failure
  type: str
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.novalite.compute.plugins.module_utils.args_common import (
    FLEET_ARG_SPEC, FLEET_SCHEDULE_ARG_SPEC, SERVER_POLICY_ARG_SPEC)

ARGUMENT_SPEC = dict(
    server=dict(type='dict', required=True),
    resize=dict(type='dict', required=True),
    catalog=dict(type='dict', default={}),
    allow_resize_to_same_host=dict(type='bool', default=False),
)
ARGUMENT_SPEC.update(FLEET_ARG_SPEC)
ARGUMENT_SPEC.update(FLEET_SCHEDULE_ARG_SPEC)
ARGUMENT_SPEC.update(SERVER_POLICY_ARG_SPEC)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.fail_json(msg='novalite.compute.fleet_resize runs as an action plugin on the controller')


if __name__ == '__main__':
    main()
