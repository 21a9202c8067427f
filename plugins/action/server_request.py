# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller's half of server_request: the body's secrets stop here.

adminPass, user_data and personality are checked on the controller (Nova's schema) and the
module gets only the injected files' paths and content lengths. A secret among a module's
options is a no_log value, and Ansible masks such a value wherever its text appears in the
result: an adminPass equal to the project id would mask the project id in the request spec.
The module never holding a secret is what keeps its result whole, its invocation clean and
its AnsiballZ payload free of them.

The module's own code then builds the request in the controller's process (`build`), without
shipping the module to a Python of its own (a forked module costs about half a second of the
controller's CPU per create); the options are validated against the module's argument spec.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.action import ActionBase

from ansible_collections.novalite.compute.plugins.module_utils.api import request
from ansible_collections.novalite.compute.plugins.module_utils.api import schema
from ansible_collections.novalite.compute.plugins.module_utils.errors import ValidationError
from ansible_collections.novalite.compute.plugins.modules import server_request as module


def module_args(args):
    """The module's options for the task's `args`: the secrets checked and left out, the
    personality replaced by its paths and content lengths. Raises ValidationError."""
    server, secrets = request.split_secrets(args.get('server'), args)
    files = request.check_secrets(secrets)
    passed = dict((k, v) for k, v in args.items()
                  if k not in ('admin_pass', 'user_data', 'personality'))
    passed['server'] = server
    if 'personality' in secrets:
        passed['injected_files'] = files
    return passed


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        try:
            args = module_args(dict(self._task.args))
        except ValidationError as exc:
            result.update(failed=True, msg=exc.msg, field=exc.field, rule=exc.rule)
            return result
        validation = ArgumentSpecValidator(module.argument_spec()).validate(args)
        if validation.error_messages:
            result.update(failed=True, msg='; '.join(validation.error_messages))
            return remove_values(result, validation._no_log_values)
        missing = self._missing_library()
        if missing:
            result.update(failed=True, msg=missing)
            return result
        try:
            result.update(changed=False, **module.build(validation.validated_parameters))
        except module.FAILURES as exc:
            result.update(failed=True, **module.failure(exc))
        return remove_values(result, validation._no_log_values)

    @staticmethod
    def _missing_library():
        if not module.HAS_NETADDR:
            return 'netaddr is required on the controller: %s' % to_native(module.NETADDR_IMPORT_ERROR)
        if not schema.HAS_JSONSCHEMA:
            return 'jsonschema is required on the controller: %s' % to_native(schema.JSONSCHEMA_IMPORT_ERROR)
        return None
