# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""novalite.compute.server_build_result: one server's result out of a server_build task with
`servers`, in the controller's process. See the module's documentation."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.plugins.action import ActionBase

from ansible_collections.novalite.compute.plugins.module_utils.compute.build_batch import instance_result
from ansible_collections.novalite.compute.plugins.modules.server_build_result import ARGUMENT_SPEC


class ActionModule(ActionBase):

    _supports_check_mode = True
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        args = self.validate_argument_spec(ARGUMENT_SPEC)[1]
        result.update(instance_result(args['build'], args['instance_uuid']))
        return result
