# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: build_collect
short_description: The build state after a build round
version_added: 1.0.0
description:
  - Reads what the hypervisors' M(novalite.compute.server_build) tasks registered in a round and
    returns the next build state, as Nova's conductor does after a build. A built server is
    kept; a failure that another host could fix (C(reschedule)) moves the instance to its next
    alternate; otherwise, or when the alternates or the rounds run out, the instance fails
    with every attempt's message.
  - "The state: C(pending) (instance uuid to the index of the host to try in its selection),
    C(built) (server records), C(errors) (messages per instance), C(failures) (one message per
    instance no host could build)."
extends_documentation_fragment:
  - novalite.compute.build_round
options:
  _input:
    description: The build state before the round.
    type: dict
    required: true
  host_results:
    description:
      - Each hypervisor of the round to what its M(novalite.compute.server_build) task (with
        C(servers)) registered there, one entry of C(builds) a server; a failure of the whole
        task (unreachable, an image that could not be transferred) fails each of its servers.
        An instance whose host is missing failed in a way another host may fix.
    type: dict
    required: true
  last_round:
    description: No further round follows, so nothing is rescheduled.
    type: bool
    default: false
author:
  - novalite.compute contributors (@novalite)
'''

EXAMPLES = r'''
- name: Read the round's results
  ansible.builtin.set_fact:
    state: >-
      {{ state | novalite.compute.build_collect(instances, selection.selections,
                                                dict(assignments | list | zip(assignments | list
                                                                              | map('extract', hostvars, 'build_round_host')))) }}
'''

RETURN = r'''
_value:
  description: The build state after the round.
  type: dict
'''

from ansible.errors import AnsibleFilterError
from ansible_collections.novalite.compute.plugins.module_utils.conductor import manager as conductor


def build_collect(state, instances, selections, host_results, last_round=False):
    try:
        return conductor.collect(state, instances, selections, host_results, last_round=last_round)
    except (KeyError, IndexError, ValueError, TypeError) as exc:
        raise AnsibleFilterError('build_collect: %s' % exc)


class FilterModule(object):
    def filters(self):
        return {'build_collect': build_collect}
