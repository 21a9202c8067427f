# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The per-hypervisor settings (nova.conf of a compute host) as one object.

The modules accept them as options (args_common: LIBVIRT_ARG_SPEC, COMPUTE_HOST_ARG_SPEC,
COMPUTE_HOST_PATHS_ARG_SPEC, and hypervisor_info's service state) and hand them on as one
HostSettings; on the YAML side they are the inventory variables `novalite_<option>`
(`novalite_libvirt_uri` for `uri`), which the `host_settings` filter turns into the options a
module takes.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.novalite.compute.plugins.module_utils.args_common import (
    COMPUTE_HOST_ARG_SPEC, COMPUTE_HOST_BUILDS_ARG_SPEC, COMPUTE_HOST_PATHS_ARG_SPEC,
    LIBVIRT_ARG_SPEC,
)

# The compute service's state (Nova's `openstack compute service set --disable`), which only
# the host state reports.
SERVICE_ARG_SPEC = dict(
    service_disabled=dict(type='bool', default=False),
    service_disabled_reason=dict(type='str'),
    forced_down=dict(type='bool', default=False),
)
_SPECS = (LIBVIRT_ARG_SPEC, COMPUTE_HOST_ARG_SPEC, COMPUTE_HOST_PATHS_ARG_SPEC,
          COMPUTE_HOST_BUILDS_ARG_SPEC, SERVICE_ARG_SPEC)
FIELDS = tuple(name for spec in _SPECS for name in spec)
DEFAULTS = dict((name, option.get('default')) for spec in _SPECS for name, option in spec.items())
# The inventory variable of each setting.
VARIABLES = dict((name, 'novalite_libvirt_uri' if name == 'uri' else 'novalite_%s' % name)
                 for name in FIELDS)
# The settings of the host's node and its accounting, which most compute modules take.
_NODE_FIELDS = tuple(name for name in FIELDS
                     if name not in SERVICE_ARG_SPEC and name not in COMPUTE_HOST_BUILDS_ARG_SPEC)
# The settings each module takes.
MODULE_FIELDS = {
    'hypervisor_info': tuple(name for name in FIELDS if name not in COMPUTE_HOST_BUILDS_ARG_SPEC),
    'server_build': _NODE_FIELDS + tuple(COMPUTE_HOST_BUILDS_ARG_SPEC),
    'server_delete': tuple(LIBVIRT_ARG_SPEC) + tuple(COMPUTE_HOST_PATHS_ARG_SPEC),
    'server_action': tuple(LIBVIRT_ARG_SPEC) + ('state_path',),
    'server_metadata': tuple(LIBVIRT_ARG_SPEC) + ('state_path',),
    'server_console_output': tuple(LIBVIRT_ARG_SPEC),
    'reconcile': tuple(LIBVIRT_ARG_SPEC) + tuple(COMPUTE_HOST_PATHS_ARG_SPEC),
    'server_info': tuple(LIBVIRT_ARG_SPEC) + ('state_path',),
    'server_rebuild': tuple(LIBVIRT_ARG_SPEC) + tuple(COMPUTE_HOST_PATHS_ARG_SPEC) + ('virt_type',),
    'server_resize': _NODE_FIELDS,
    'server_migrate': _NODE_FIELDS,
}


class HostSettings(object):
    """One hypervisor's settings: uri, nodename, virt_type, the cpu/ram/disk allocation
    ratios, the reserved host memory/disk/cpus, instances_path, state_path,
    max_concurrent_builds, service_disabled, service_disabled_reason and forced_down. A setting left out (or None) takes the module's default."""

    __slots__ = FIELDS

    def __init__(self, **values):
        unknown = sorted(set(values) - set(FIELDS))
        if unknown:
            raise TypeError('host settings: unknown %s (known: %s)'
                            % (', '.join(unknown), ', '.join(FIELDS)))
        for name in FIELDS:
            value = values.get(name)
            setattr(self, name, DEFAULTS[name] if value is None else value)

    @classmethod
    def from_params(cls, params):
        """The settings among a module's parameters (the others are not settings)."""
        return cls(**dict((name, params[name]) for name in FIELDS if name in params))


def module_options(variables, module):
    """The options of `module` that the host's inventory `variables` set (novalite_<option>),
    for the module's `module_defaults`; raises KeyError for a module that takes none."""
    return dict((name, variables[VARIABLES[name]]) for name in MODULE_FIELDS[module]
                if variables.get(VARIABLES[name]) is not None)
