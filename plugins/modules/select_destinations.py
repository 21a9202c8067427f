#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: select_destinations
short_description: Choose hypervisors for the instances of a request, as Nova's FilterScheduler
version_added: 1.0.0
description:
  - Runs Nova's FilterScheduler over host states and a request spec. For each instance the
    hosts go through C(requested_destination), C(ignore_hosts), C(force_hosts) and
    C(force_nodes), then placement (C(ResourceFilter)) and the enabled filters; the survivors
    are weighed (each weigher normalised to 0..1, multiplied, summed) and one of the best
    C(host_subset_size) is picked and put first.
  - Placement, as in Nova, always runs and runs once per request - one instance's resources
    against the usage before the request, and never a host whose compute service is
    disabled, forced hosts included. Each instance then claims, walking its weighed list
    from the picked host, the first host whose usage (the earlier instances of the request
    included) still fits. A host whose claim fails stays in the list, in the weighers'
    normalisation and among the alternates. The claimed host consumes the flavor and a
    server group learns it, so the next instance sees both.
  - With several C(force_hosts) (or C(force_nodes)) only the first is asked for, as Nova
    asks placement for one host; an availability zone that no host aggregate carries adds no
    restriction (Nova's placement pre-filter).
  - A server group whose policy needs a filter or weigher that is not configured
    (C(ServerGroupAffinityFilter), C(ServerGroupAntiAffinityFilter),
    C(ServerGroupSoftAffinityWeigher), C(ServerGroupSoftAntiAffinityWeigher)) is refused
    with Nova's C(ServerGroup policy is not supported) message.
  - Either every instance gets a host or the module fails with Nova's
    C(No valid host was found.) and a reason naming the filter that removed the last
    candidates.
  - Each instance also gets up to C(max_attempts - 1) alternates, for a build that fails on
    the selected host.
  - Ties. Hosts of equal weight keep their incoming order, as Nova's stable sort keeps it.
    The first instance's incoming order is the hosts sorted by C(host), then C(nodename), so
    ties are broken the same way on every run whatever the order of O(hosts); each later
    instance receives the previous instance's weighed list with its selected host first, as
    in Nova.
  - Speed. The decisions are Nova's, not its per-instance work. Filters that cannot change
    within a request run once; after each pick only the host that took the instance is
    filtered again; and only a short list of the best hosts is weighed again while a bound on
    the other hosts' weights shows that none of them can overtake it. The selections,
    alternates and trace are identical to filtering and weighing every host for every
    instance (the project's tests and benchmark compare both).
  - Nothing changes anywhere; the module only computes.
extends_documentation_fragment:
  - novalite.compute.attributes.computation
options:
  hosts:
    description:
      - Host states, as M(novalite.compute.hypervisor_info) returns them (Nova's HostState
        names, such as C(host), C(vcpus_total), C(memory_mb_used), C(aggregates),
        C(instances)).
    type: list
    elements: dict
    required: true
  request_spec:
    description:
      - The request spec, as M(novalite.compute.server_request) returns it (Nova's
        RequestSpec names, such as C(flavor), C(image), C(instance_uuids),
        C(instance_group), C(scheduler_hints), C(force_hosts)).
    type: dict
    required: true
  scheduler:
    description:
      - Scheduler options by their nova.conf names, for example C(enabled_filters),
        C(weight_classes), C(ram_weight_multiplier), C(host_subset_size), C(max_attempts).
      - Omitted options take Nova's defaults; an unknown name fails the module.
      - C(enabled_filters) defaults to C(ResourceFilter) (the resource fit that placement does
        in Nova), C(AvailabilityZoneFilter), C(ComputeFilter), C(ComputeCapabilitiesFilter),
        C(ImagePropertiesFilter), C(ServerGroupAntiAffinityFilter),
        C(ServerGroupAffinityFilter). C(ResourceFilter) runs first whether it is listed or
        not, as placement is not optional in Nova.
      - C(random_seed) (not a nova.conf option) makes the random pick among
        C(host_subset_size) hosts repeatable.
      - C(trace_top) (not a nova.conf option, default 20) is how many weighed hosts each
        instance's RV(trace) lists with their weigher details; 0 lists none. The filter steps
        are always complete.
      - A multiplier, as option or as aggregate metadata, must be a finite number; an
        aggregate value that is not one is ignored.
    type: dict
    default: {}
author:
  - novalite.compute contributors (@novalite)
'''

EXAMPLES = r'''
- name: Choose hypervisors for the request
  novalite.compute.select_destinations:
    hosts: "{{ groups['hypervisors'] | map('extract', hostvars, 'hypervisor_facts_host_state') | list }}"
    request_spec: "{{ request.request_spec }}"
    scheduler:
      ram_weight_multiplier: -1.0     # stack instead of spread
      max_attempts: 3
      trace_top: 5                    # the five best hosts of each instance in the trace
  register: placement

- name: Show where the first instance goes
  ansible.builtin.debug:
    msg: "{{ placement.selections[0][0].host }}"
'''

RETURN = r'''
selections:
  description:
    - One list per instance, in the order of C(request_spec.instance_uuids); its first item
      is the selected host, the rest are alternates.
  returned: success
  type: list
  elements: list
  sample: [[{host: hv1, nodename: hv1, weight: 2.5}, {host: hv2, nodename: hv2, weight: 1.2}]]
trace:
  description:
    - Per instance, why the hosts were kept, removed and ordered.
    - C(filters) lists each step (C(requested_destination), C(ignore_hosts),
      C(force_hosts), C(force_nodes), then each filter) with C(hosts_in), C(hosts_out),
      C(removed) and C(reasons) (host to sentence). Filters that run once per request appear
      for the first instance only.
    - C(weighed) lists the first C(trace_top) hosts (default 20) in weighed order, the
      selected one first, with their C(weight) and, per weigher, the C(raw),
      C(normalized), C(multiplier) and C(weighted) values. Weighers whose multiplier is 0
      on every host add nothing and are left out.
    - C(selected) and C(alternates) name the outcome; C(filters_skipped) says why the filters
      did not run (forced hosts); C(claims_failed), present only when some claim failed,
      maps each host whose claim failed before the selected one (or every host, when none
      could claim) to the reason.
    - Its size grows with the hosts the filters remove, not with the hosts that pass.
  returned: always, also when no valid host was found
  type: list
  elements: dict
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.novalite.compute.plugins.module_utils.errors import (
    NoValidHost, UnsupportedPolicyException, ValidationError)
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.manager import select_destinations


def main():
    module = AnsibleModule(
        argument_spec=dict(
            hosts=dict(type='list', elements='dict', required=True),
            request_spec=dict(type='dict', required=True),
            scheduler=dict(type='dict', default={}),
        ),
        supports_check_mode=True,
    )
    try:
        selections, trace = select_destinations(module.params['hosts'],
                                                module.params['request_spec'],
                                                module.params['scheduler'])
    except NoValidHost as exc:
        module.fail_json(msg=exc.msg, trace=getattr(exc, 'trace', []))
    except (UnsupportedPolicyException, ValidationError) as exc:
        module.fail_json(msg=exc.msg, trace=[])
    module.exit_json(changed=False, selections=selections, trace=trace)


if __name__ == '__main__':
    main()
