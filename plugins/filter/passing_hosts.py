# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: passing_hosts
short_description: The host states that pass the scheduler's filters for a request
version_added: 1.0.0
description:
  - Runs the first step of M(novalite.compute.select_destinations) for the first instance of
    the request (C(requested_destination), C(ignore_hosts), C(force_hosts), C(force_nodes),
    then placement's C(ResourceFilter), which always runs and never passes a disabled compute
    service, and the enabled filters) and returns the host states that pass, unchanged and in their
    input order.
  - Useful in templates and C(assert) tasks, for example to list where a flavor could go.
  - The input is a list of host states, for example the hypervisors' cached facts taken
    out of C(hostvars) with C(map('extract', ...)); an iterator is taken as its list.
extends_documentation_fragment:
  - novalite.compute.scheduler_filter
options:
  scheduler_options:
    description:
      - Scheduler options by their nova.conf names, such as C(enabled_filters); omitted
        ones take Nova's defaults.
    type: dict
    default: {}
author:
  - novalite.compute contributors
'''

EXAMPLES = r'''
- name: Hypervisors where an m1.small would fit, from the facts the hypervisor_facts role cached
  ansible.builtin.debug:
    msg: >-
      {{ groups['hypervisors'] | map('extract', hostvars, 'hypervisor_facts_host_state')
         | novalite.compute.passing_hosts({'flavor': {'vcpus': 1, 'memory_mb': 2048, 'root_gb': 20}})
         | map(attribute='host') | list }}

- name: The same, leaving out hypervisors that did not report
  ansible.builtin.debug:
    msg: >-
      {{ groups['hypervisors'] | map('extract', hostvars)
         | selectattr('hypervisor_facts_host_state', 'defined')
         | map(attribute='hypervisor_facts_host_state')
         | novalite.compute.passing_hosts(request_spec) | map(attribute='host') | list }}

- name: Hypervisors where an m1.small would fit
  ansible.builtin.debug:
    msg: >-
      {{ host_states | novalite.compute.passing_hosts({'flavor': flavor})
         | map(attribute='host') | list }}

- name: Only the resource fit and the compute service state
  ansible.builtin.set_fact:
    candidates: >-
      {{ host_states | novalite.compute.passing_hosts(request_spec,
         {'enabled_filters': ['ResourceFilter', 'ComputeFilter']}) }}
'''

RETURN = r'''
_value:
  description: The input host states that pass every filter.
  type: list
  elements: dict
'''

from ansible.errors import AnsibleFilterError
from ansible_collections.novalite.compute.plugins.module_utils.errors import NovaliteError
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.manager import passing_hosts


def _passing_hosts(hosts, request_spec, scheduler_options=None):
    try:
        passing, _steps = passing_hosts(hosts, request_spec, scheduler_options or {})
    except NovaliteError as exc:
        raise AnsibleFilterError('passing_hosts: %s' % exc.msg)
    return passing


class FilterModule(object):
    def filters(self):
        return {'passing_hosts': _passing_hosts}
