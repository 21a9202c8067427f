# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: weighed_hosts
short_description: Order host states as the scheduler's weighers would
version_added: 1.0.0
description:
  - Weighs the given host states for a request as M(novalite.compute.select_destinations)
    does (each weigher's values normalised to 0..1 across the hosts, multiplied by its
    multiplier, summed) without filtering, and returns them best first with the details.
  - A single host is not weighed (weight 0.0), as in Nova. Hosts of equal weight come in
    host name order, the order the scheduler starts from.
  - The input is a list of host states, for example the hypervisors' cached facts taken
    out of C(hostvars) with C(map('extract', ...)); an iterator is taken as its list.
extends_documentation_fragment:
  - novalite.compute.scheduler_filter
options:
  scheduler_options:
    description:
      - Scheduler options by their nova.conf names, such as C(weight_classes) and the
        C(*_weight_multiplier) options; omitted ones take Nova's defaults.
    type: dict
    default: {}
author:
  - novalite.compute contributors
'''

EXAMPLES = r'''
- name: Hypervisors ranked for an m1.small, from the facts the hypervisor_facts role cached
  ansible.builtin.debug:
    msg: >-
      {% for row in groups['hypervisors'] | map('extract', hostvars, 'hypervisor_facts_host_state')
                    | novalite.compute.weighed_hosts({'flavor': {'vcpus': 1, 'memory_mb': 2048}}) %}
      {{ row.host }}: {{ '%.3f' | format(row.weight) }}
      {% endfor %}

- name: Which hypervisor would a stacking scheduler fill first?
  ansible.builtin.debug:
    msg: >-
      {{ (host_states | novalite.compute.weighed_hosts(request_spec,
          {'ram_weight_multiplier': -1.0}))[0].host }}
'''

RETURN = r'''
_value:
  description:
    - One item per host, best first, with C(host), C(nodename), C(weight) and C(weighers)
      (per weigher C(raw), C(normalized), C(multiplier), C(weighted)).
  type: list
  elements: dict
'''

from ansible.errors import AnsibleFilterError
from ansible_collections.novalite.compute.plugins.module_utils.errors import NovaliteError
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.manager import weighed_hosts


def _weighed_hosts(hosts, request_spec, scheduler_options=None):
    try:
        return weighed_hosts(hosts, request_spec, scheduler_options or {})
    except NovaliteError as exc:
        raise AnsibleFilterError('weighed_hosts: %s' % exc.msg)


class FilterModule(object):
    def filters(self):
        return {'weighed_hosts': _weighed_hosts}
