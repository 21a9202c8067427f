# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import traceback

from ansible_collections.novalite.compute.plugins.module_utils.errors import ValidationError
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters.base import (
    BaseHostFilter, get_scheduler_hint)

try:
    import jmespath
    HAS_JMESPATH = True
    JMESPATH_IMPORT_ERROR = None
except ImportError:
    HAS_JMESPATH = False
    JMESPATH_IMPORT_ERROR = traceback.format_exc()

_FIELD = 'scheduler_hints.jmespath_query'


class JmesPathFilter(BaseHostFilter):
    """Hint `jmespath_query`: a JMESPath expression evaluated on each host state dict; a
    truthy result passes (e.g. free_ram_mb >= `4096` && hypervisor_type == 'QEMU').
    Needs the python jmespath library only when the hint is given."""

    def __init__(self, options, now=None):
        super(JmesPathFilter, self).__init__(options, now)
        self._compiled = {}

    def _expression(self, text):
        if text not in self._compiled:
            if not HAS_JMESPATH:
                raise ValidationError(_FIELD, 'needs the python jmespath library, which is not installed')
            try:
                self._compiled[text] = jmespath.compile(text)
            except jmespath.exceptions.JMESPathError as exc:
                raise ValidationError(_FIELD, 'is not a JMESPath expression: %s' % exc)
        return self._compiled[text]

    def applies(self, spec):
        return bool(get_scheduler_hint(spec, 'jmespath_query'))

    def rejection(self, host_state, spec):
        text = get_scheduler_hint(spec, 'jmespath_query')
        if not text:
            return None
        expression = self._expression(text)
        try:
            result = expression.search(host_state.data)
        except jmespath.exceptions.JMESPathError as exc:
            raise ValidationError(_FIELD, 'failed on host %s: %s' % (host_state.host, exc))
        return None if result else 'jmespath_query %r is %r here' % (text, result)
