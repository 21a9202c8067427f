# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters import extra_specs_ops
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters.base import (
    BaseHostFilter, filter_by_key)

_MISSING = object()
_SKIPPED = object()


class ComputeCapabilitiesFilter(BaseHostFilter):
    """Flavor extra specs against host state values (Nova's ComputeCapabilitiesFilter).

    Keys scoped `capabilities:` (`capabilities:cpu_info:arch` walks into cpu_info, JSON
    strings are parsed on the way) and unscoped keys that name a host state field or a
    `stats` entry are checked; other scopes are left to their own filters."""

    run_filter_once_per_request = True

    @staticmethod
    def _lookup(host_state, path):
        cap = host_state.get(path[0])
        if cap is None:
            cap = (host_state.stats or {}).get(path[0])
        for name in path[1:]:
            if cap is None:
                return _MISSING
            if isinstance(cap, str):
                try:
                    cap = json.loads(cap)
                except ValueError:
                    return _MISSING
            if not isinstance(cap, dict):
                return _MISSING
            cap = cap.get(name)
        return _MISSING if cap is None else cap

    @staticmethod
    def _checked(key):
        return ':' not in key or key.split(':')[0] == 'capabilities'

    def applies(self, spec):
        extra_specs = (spec.get('flavor') or {}).get('extra_specs') or {}
        return any(self._checked(key) for key in extra_specs)

    @classmethod
    def _value(cls, host_state, key):
        """What the verdict on extra spec `key` reads from the host: skipped, missing, or
        the value as the operators compare it (a string)."""
        scope = key.split(':')
        if len(scope) == 1:
            if key not in host_state.data and key not in (host_state.stats or {}):
                return _SKIPPED
        else:
            scope = scope[1:]
        cap = cls._lookup(host_state, scope)
        return cap if cap is _MISSING else str(cap)

    def filter_all(self, host_states, candidates, spec, alive):
        """Judged once per distinct tuple of the values the checked extra specs read."""
        extra_specs = (spec.get('flavor') or {}).get('extra_specs') or {}
        keys = tuple(key for key in extra_specs if self._checked(key))
        return filter_by_key(self, host_states, candidates, spec,
                             ('ComputeCapabilitiesFilter',) + keys,
                             lambda state: tuple(self._value(state, key) for key in keys))

    def rejection(self, host_state, spec):
        extra_specs = (spec.get('flavor') or {}).get('extra_specs') or {}
        for key, req in extra_specs.items():
            scope = key.split(':')
            if len(scope) == 1:
                if key not in host_state.data and key not in (host_state.stats or {}):
                    continue
            elif scope[0] != 'capabilities':
                continue
            else:
                scope = scope[1:]
            cap = self._lookup(host_state, scope)
            if cap is _MISSING:
                return 'extra spec %s=%r: the host has no %s' % (key, req, ':'.join(scope))
            if not extra_specs_ops.match(str(cap), req):
                return 'extra spec %s=%r does not match the host value %r' % (key, req, str(cap))
        return None
