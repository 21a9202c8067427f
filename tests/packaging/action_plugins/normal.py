# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `normal` action for the AWX configuration test (ANSIBLE_ACTION_PLUGINS): every awx.awx
module runs for real, with its own argument spec, against a controller that does not answer;
its result is appended to $NOVALITE_AWX_RECORD and the play goes on."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import importlib.util
import json
import os

import ansible.plugins.action

# This file is loaded under the name of ansible-core's own `normal`: load that one by its path.
_SPEC = importlib.util.spec_from_file_location(
    'novalite_test_builtin_normal', os.path.join(os.path.dirname(ansible.plugins.action.__file__),
                                                 'normal.py'))
_BUILTIN = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(_BUILTIN)
NormalAction = _BUILTIN.ActionModule


class ActionModule(NormalAction):

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        if not self._task.resolved_action.startswith('awx.awx.'):
            return result
        record = {'task': self._task.get_name(), 'action': self._task.resolved_action,
                  'args': self._task.args, 'failed': bool(result.get('failed')),
                  'msg': str(result.get('msg', ''))}
        with open(os.environ['NOVALITE_AWX_RECORD'], 'a') as out:
            out.write(json.dumps(record, default=str) + '\n')
        return {'changed': False, 'module_result': record}
