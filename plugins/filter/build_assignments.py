# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: build_assignments
short_description: Which hypervisor builds which instance in a build round
version_added: 1.0.0
description:
  - Takes the build state of a create-server run (see P(novalite.compute.build_collect#filter))
    and returns, for each hypervisor, the instances it builds in this round (the selected host
    for a first attempt, the next alternate after a failed one).
  - With V(null) as input it starts a run, every instance at its selected host, and returns
    the initial state instead when O(initial=true).
extends_documentation_fragment:
  - novalite.compute.build_round
options:
  _input:
    description: The build state, or V(null) to start.
    type: dict
    required: true
  initial:
    description: Return the initial build state instead of the assignments.
    type: bool
    default: false
  host_zones:
    description:
      - Host name to its availability zone. An instance that asked for no zone gets the zone of
        the host it is assigned to, as Nova's conductor sets it from the selected host.
    type: dict
    version_added: 3.0.0
author:
  - novalite.compute contributors (@novalite)
'''

EXAMPLES = r'''
- name: Start the build rounds
  ansible.builtin.set_fact:
    state: "{{ none | novalite.compute.build_assignments(instances, selection.selections, initial=true) }}"

- name: Who builds what in this round
  ansible.builtin.set_fact:
    assignments: "{{ state | novalite.compute.build_assignments(instances, selection.selections, host_zones=zones) }}"
'''

RETURN = r'''
_value:
  description: Host name to the list of instance build data it builds, or the initial state.
  type: dict
'''

from ansible.errors import AnsibleFilterError
from ansible_collections.novalite.compute.plugins.module_utils.conductor import manager as conductor


def build_assignments(state, instances, selections, initial=False, host_zones=None):
    if state is None:
        state = conductor.initial_state(instances)
        if initial:
            return state
    try:
        return conductor.assignments(state, instances, selections, host_zones)
    except (KeyError, IndexError, ValueError, TypeError) as exc:
        raise AnsibleFilterError('build_assignments: %s' % exc)


class FilterModule(object):
    def filters(self):
        return {'build_assignments': build_assignments}
