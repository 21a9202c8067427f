# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The survey's answers become the request as data, on the controller.

Ansible trusts extra variables as templates (the command line's and an `-e @file`'s alike):
any variable or template that refers to an answer renders what the answer holds, so a name
of `x-{{ lookup('pipe', 'id -un') }}` would run a command. This action reads the answers as
they arrived, from the task's variables without templating them, and returns the request; a
value an action returns is data to Ansible, never a template. The play registers it (kept in
memory, unlike facts, which the fact cache writes to disk), and the result is no_log: it
holds the user_data answer.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.plugins.action import ActionBase

from ansible_collections.novalite.compute.plugins.module_utils.api.survey import (
    SURVEY_VARIABLES, SurveyError, request_from_answers,
)


def as_data(value):
    """The value as plain data: strings lose Ansible's trust (str() of a tagged string is
    a plain str), containers are copied through."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return dict((as_data(k), as_data(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [as_data(v) for v in value]
    return value


class ActionModule(ActionBase):

    _supports_check_mode = True
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        task_vars = task_vars or {}
        answers = dict((name, as_data(task_vars[name])) for name in SURVEY_VARIABLES
                       if name in task_vars)
        result['changed'] = False
        if 'server_name' not in answers:
            result.update(server=None, scheduler_hints={})
            return result
        try:
            server, hints = request_from_answers(answers)
        except SurveyError as exc:
            result.update(failed=True, msg=str(exc))
            return result
        # the server carries the user_data answer: the job's events and output must not
        result.update(server=server, scheduler_hints=hints, _ansible_no_log=True)
        return result
