# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: awx_context
short_description: The request context of an AWX job, from the user who launched it
version_added: 1.0.0
description:
  - Looks the job's user (AWX's C(awx_user_name), or C(tower_user_name)) up in the
    inventory's mapping of AWX users to their project and roles, and returns the request
    context (C(project_id), C(user_id), C(roles)) the policies and quotas see.
  - A job template chooses it by setting C(novalite_context) to this filter in its own
    extra variables, with C(ask_variables_on_launch) off (see C(awx/configure.yml)); the
    launcher then cannot set C(novalite_context), and a survey only sets its own questions.
  - Fails when the job has no user or the user is not in the mapping; there is no default.
options:
  _input:
    description:
      - The mapping, AWX user name to C(project_id), C(roles) and optionally C(user_id)
        (default the AWX user name); the inventory's C(novalite_awx_users).
    type: dict
    required: true
  awx_user_name:
    description: AWX's C(awx_user_name).
    type: str
  tower_user_name:
    description: AWX's older C(tower_user_name), used when C(awx_user_name) is not set.
    type: str
author:
  - novalite.compute contributors (@novalite)
'''

EXAMPLES = r'''
# job template extra_vars
novalite_context: >-
  {{ novalite_awx_users | novalite.compute.awx_context(awx_user_name | default(none),
                                                      tower_user_name | default(none)) }}
'''

RETURN = r'''
_value:
  description: The request context, C(project_id), C(user_id) and C(roles).
  type: dict
'''

from ansible.errors import AnsibleFilterError
from ansible_collections.novalite.compute.plugins.module_utils.api.job_context import (
    JobContextError, awx_context as _awx_context,
)


def awx_context(users, awx_user_name=None, tower_user_name=None):
    try:
        return _awx_context(users, awx_user_name, tower_user_name)
    except JobContextError as exc:
        raise AnsibleFilterError('awx_context: %s' % exc)


class FilterModule(object):
    def filters(self):
        return {'awx_context': awx_context}
