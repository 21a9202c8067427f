# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""novalite.compute.server_request in the controller's process: the request is checked where
the playbook runs, without shipping the module to a Python of its own (a forked module costs
about half a second of the controller's CPU per create). The module's own code does the work
(`build`); options are validated against its argument spec, and every no_log value is masked
in the result as the module would mask it."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.action import ActionBase

from ansible_collections.novalite.compute.plugins.modules import server_request as module


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        validation, params = self.validate_argument_spec(argument_spec=module.argument_spec())
        if not module.HAS_NETADDR:
            result.update(failed=True, msg='netaddr is required on the controller: %s'
                          % to_native(module.NETADDR_IMPORT_ERROR))
            return result
        try:
            result.update(changed=False, **module.build(params))
        except module.FAILURES as exc:
            result.update(failed=True, **module.failure(exc))
        return remove_values(result, validation._no_log_values)
