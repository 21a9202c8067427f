# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The scheduler's view of one hypervisor: Nova's HostState over a host-state dict.

The dict is what `hypervisor_info` returns (DESIGN.md's host state names). The scheduler works
on a private copy so that consuming resources for one instance of a multi-create request (as
Nova's `HostState.consume_from_request` does) never changes the caller's data.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

from ansible_collections.novalite.compute.plugins.module_utils.errors import ValidationError
from ansible_collections.novalite.compute.plugins.module_utils.resources import flavor_resources

# Without these the resource fit cannot be computed.
REQUIRED_FIELDS = ('host', 'vcpus_total', 'vcpus_used', 'memory_mb_total', 'memory_mb_used',
                   'disk_gb_total', 'disk_gb_used', 'cpu_allocation_ratio',
                   'ram_allocation_ratio', 'disk_allocation_ratio')

_DEFAULTS = {
    'availability_zone': None, 'aggregates': [], 'reserved_host_memory_mb': 0,
    'reserved_host_disk_mb': 0, 'reserved_host_cpus': 0, 'hypervisor_type': None,
    'hypervisor_version': None, 'cpu_info': None, 'supported_instances': [],
    'num_instances': 0, 'num_io_ops': 0, 'instances': {}, 'service_disabled': False,
    'failed_builds': 0, 'stats': {}, 'metrics': {}, 'updated': None,
    'disk_available_least': None,
}


class HostState(object):
    """Mutable scheduling state of one compute node.

    Attribute reads fall through to the host-state dict (`host_state.free_ram_mb`), which is
    what Nova's filters and JsonFilter's `$variable` lookups expect."""

    def __init__(self, data, field='hosts'):
        missing = [name for name in REQUIRED_FIELDS if data.get(name) is None]
        if missing:
            raise ValidationError(field, 'a host state needs %s' % ', '.join(missing))
        state = copy.deepcopy(data)
        for name, default in _DEFAULTS.items():
            if state.get(name) is None:
                state[name] = copy.deepcopy(default)
        state['nodename'] = state.get('nodename') or state['host']
        self._fill_free_space(state)
        self.__dict__['data'] = state

    @staticmethod
    def _fill_free_space(state):
        """free_ram_mb / free_disk_mb as Nova's `_update_from_compute_node` derives them."""
        if state.get('free_ram_mb') is None:
            state['free_ram_mb'] = (state['memory_mb_total'] - state['reserved_host_memory_mb']
                                    - state['memory_mb_used'])
        if state.get('free_disk_mb') is None:
            state['free_disk_mb'] = ((state['disk_gb_total'] - state['disk_gb_used']) * 1024
                                     - state['reserved_host_disk_mb'])
        least = state.get('disk_available_least')
        if least is not None:
            # Nova assumes qcow2 overlays grow to their virtual size: the smaller value wins.
            state['free_disk_mb'] = min(state['free_disk_mb'], least * 1024)

    def __getattr__(self, name):
        try:
            return self.__dict__['data'][name]
        except KeyError:
            raise AttributeError(name)

    def __setattr__(self, name, value):
        self.data[name] = value

    def __repr__(self):
        return '(%s, %s) ram: %sMB disk: %sMB io_ops: %s instances: %s' % (
            self.host, self.nodename, self.free_ram_mb, self.free_disk_mb,
            self.num_io_ops, self.num_instances)

    @property
    def label(self):
        """How traces and messages name this node."""
        if self.nodename == self.host:
            return self.host
        return '%s:%s' % (self.host, self.nodename)

    def get(self, name, default=None):
        return self.data.get(name, default)

    def consume_from_request(self, spec, instance_uuid=None):
        """Nova's `HostState.consume_from_request`: count one more instance of the flavor.

        Usage grows by the same amounts the resource fit checks (resources.flavor_resources),
        so the next pick of a multi-create request sees the host fuller. Every scheduled
        instance is an I/O operation (a build), as in Nova. With `instance_uuid` the host also
        records the new instance and its server group, which the anti-affinity filter and the
        soft (anti-)affinity weighers count (Nova's `_consume_selected_host`)."""
        asked = flavor_resources(spec['flavor'], spec.get('is_bfv'))
        self.data['vcpus_used'] += asked['VCPU']
        self.data['memory_mb_used'] += asked['MEMORY_MB']
        self.data['disk_gb_used'] += asked['DISK_GB']
        self.data['free_ram_mb'] -= asked['MEMORY_MB']
        self.data['free_disk_mb'] -= asked['DISK_GB'] * 1024
        self.data['num_instances'] += 1
        self.data['num_io_ops'] += 1
        if instance_uuid:
            group = spec.get('instance_group') or {}
            self.data['instances'][instance_uuid] = group.get('uuid')
