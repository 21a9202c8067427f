# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import operator

from ansible_collections.novalite.compute.plugins.module_utils.errors import ValidationError
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters.base import (
    BaseHostFilter, get_scheduler_hint)

_FIELD = 'scheduler_hints.query'


def _op_compare(args, op):
    """The first argument against all the rest; False with fewer than two."""
    if len(args) < 2:
        return False
    if op is operator.contains:
        return args[0] in args[1:]
    return all(op(args[0], arg) for arg in args[1:])


_COMMANDS = {
    '=': lambda args: _op_compare(args, operator.eq),
    '<': lambda args: _op_compare(args, operator.lt),
    '>': lambda args: _op_compare(args, operator.gt),
    'in': lambda args: _op_compare(args, operator.contains),
    '<=': lambda args: _op_compare(args, operator.le),
    '>=': lambda args: _op_compare(args, operator.ge),
    'not': lambda args: [not arg for arg in args],
    'or': any,
    'and': all,
}


class JsonFilter(BaseHostFilter):
    """Nova's JSON query language, hint `query`: e.g.
    `["and", [">=", "$free_ram_mb", 1024], ["=", "$hypervisor_type", "QEMU"]]`.
    `$name` (and `$name.key` into dicts) reads the host state."""

    @staticmethod
    def _parse_string(text, host_state):
        if not text:
            return None
        if not text.startswith('$'):
            return text
        path = text[1:].split('.')
        obj = host_state.get(path[0])
        for item in path[1:]:
            if not isinstance(obj, dict):
                return None
            obj = obj.get(item)
        return obj

    def _process(self, query, host_state):
        if not query:
            return True
        if not isinstance(query, list) or query[0] not in _COMMANDS:
            raise ValidationError(_FIELD, 'unknown operator %r (known: %s)'
                                  % (query[0] if isinstance(query, list) else query,
                                     ', '.join(sorted(_COMMANDS))))
        args = []
        for arg in query[1:]:
            if isinstance(arg, list):
                arg = self._process(arg, host_state)
            elif isinstance(arg, str):
                arg = self._parse_string(arg, host_state)
            if arg is not None:
                args.append(arg)
        try:
            return _COMMANDS[query[0]](args)
        except TypeError as exc:
            raise ValidationError(_FIELD, 'cannot compare %r: %s' % (args, exc))

    def applies(self, spec):
        return bool(get_scheduler_hint(spec, 'query'))

    def rejection(self, host_state, spec):
        query = get_scheduler_hint(spec, 'query')
        if not query:
            return None
        if isinstance(query, str):
            try:
                query = json.loads(query)
            except ValueError as exc:
                raise ValidationError(_FIELD, 'must be JSON: %s' % exc)
        result = self._process(query, host_state)
        if isinstance(result, list):
            result = any(result)
        return None if result else 'does not satisfy the query hint'
