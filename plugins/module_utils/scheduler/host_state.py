# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The scheduler's view of the hypervisors: Nova's HostState over a host-state dict, and the
loaded set of them (HostStates) that a request is scheduled against.

The dict is what `hypervisor_info` returns (DESIGN.md's host state names). Scheduling never
changes a loaded host state: consuming resources for one instance of a multi-create request
(Nova's `HostState.consume_from_request`) makes a changed copy of that one host, so the same
HostStates serve request after request, as Nova's HostManager caches its host states.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.novalite.compute.plugins.module_utils.errors import ValidationError
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.resources import (
    flavor_resources, free_disk_consumed_mb)

# Without these the resource fit cannot be computed.
REQUIRED_FIELDS = ('host', 'vcpus_total', 'vcpus_used', 'memory_mb_total', 'memory_mb_used',
                   'disk_gb_total', 'disk_gb_used', 'cpu_allocation_ratio',
                   'ram_allocation_ratio', 'disk_allocation_ratio')

# Defaults are shared between host states: nothing may change them in place.
_DEFAULTS = {
    'availability_zone': None, 'aggregates': [], 'reserved_host_memory_mb': 0,
    'reserved_host_disk_mb': 0, 'reserved_host_cpus': 0, 'hypervisor_type': None,
    'hypervisor_version': None, 'cpu_info': None, 'supported_instances': [],
    'num_instances': 0, 'num_io_ops': 0, 'instances': {}, 'service_disabled': False,
    'forced_down': False,
    'failed_builds': 0, 'stats': {}, 'metrics': {}, 'updated': None,
    'disk_available_least': None,
}


class HostState(object):
    """Scheduling state of one compute node.

    Attribute reads fall through to the host-state dict (`host_state.free_ram_mb`), which is
    what Nova's filters and JsonFilter's `$variable` lookups expect. `index` is the node's
    position in its HostStates (None outside one)."""

    def __init__(self, data, field='hosts'):
        missing = [name for name in REQUIRED_FIELDS if data.get(name) is None]
        if missing:
            raise ValidationError(field, 'a host state needs %s' % ', '.join(missing))
        # A shallow copy: nested values are shared with the caller and only ever replaced.
        state = dict(data)
        for name, default in _DEFAULTS.items():
            if state.get(name) is None:
                state[name] = default
        state['nodename'] = state.get('nodename') or state['host']
        self._fill_free_space(state)
        self.__dict__['data'] = state
        self.__dict__['index'] = None

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

        Usage grows by the amounts placement claims (resources.flavor_resources), so the
        next claim of a multi-create request sees the host fuller; free_ram_mb and
        free_disk_mb go down as Nova's HostState counts them (free_disk_mb by root and
        ephemeral disk, not swap). Every scheduled
        instance is an I/O operation (a build), as in Nova. With `instance_uuid` the host also
        records the new instance and its server group, which the anti-affinity filter and the
        soft (anti-)affinity weighers count (Nova's `_consume_selected_host`)."""
        asked = flavor_resources(spec['flavor'], spec.get('is_bfv'))
        self.data['vcpus_used'] += asked['VCPU']
        self.data['memory_mb_used'] += asked['MEMORY_MB']
        self.data['disk_gb_used'] += asked['DISK_GB']
        self.data['free_ram_mb'] -= asked['MEMORY_MB']
        self.data['free_disk_mb'] -= free_disk_consumed_mb(spec['flavor'])
        self.data['num_instances'] += 1
        self.data['num_io_ops'] += 1
        if instance_uuid:
            group = spec.get('instance_group') or {}
            instances = dict(self.data['instances'])
            instances[instance_uuid] = group.get('uuid')
            self.data['instances'] = instances

    def consumed(self, spec, instance_uuid=None):
        """A copy of this host state that has consumed one instance; this one is unchanged."""
        copy = HostState.__new__(HostState)
        copy.__dict__['data'] = dict(self.data)
        copy.__dict__['index'] = self.index
        copy.consume_from_request(spec, instance_uuid)
        return copy


def _name_key(state):
    return (str(state.host), str(state.nodename))


class HostStates(object):
    """The host states of one scheduling run, sorted by (host, nodename).

    The sort makes ties deterministic: among hosts of equal weight Nova keeps the incoming
    order, and the first incoming order is this one. `positions[i]` is where `states[i]` was
    in the caller's list.

    Values the scheduler would otherwise derive from every dict on every request (weigher
    raw values, resource room, zones, heartbeats, an index of the instances) are computed
    once per load, on first use, by the filters and weighers that need them (`cached`)."""

    def __init__(self, hosts, field='hosts'):
        if not isinstance(hosts, list):
            raise ValidationError(field, 'must be a list of host states')
        states = []
        for position, host in enumerate(hosts):
            if not isinstance(host, dict):
                raise ValidationError('%s[%d]' % (field, position), 'must be a host state dict')
            states.append(HostState(host, field='%s[%d]' % (field, position)))
        order = sorted(range(len(states)), key=lambda position: _name_key(states[position]))
        self.states = [states[position] for position in order]
        self.positions = order
        for index, state in enumerate(self.states):
            state.__dict__['index'] = index
        self.labels = [state.label for state in self.states]
        self._cache = {}

    def __len__(self):
        return len(self.states)

    def cached(self, key, build):
        """`build(self)` once per load; its result must never be changed by the caller."""
        try:
            return self._cache[key]
        except KeyError:
            value = self._cache[key] = build(self)
            return value
