# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: server_view
short_description: A server record as Nova's API shows the server
version_added: 1.0.0
description:
  - Turns a server record (from M(novalite.compute.server_info) or the C(server) result of
    the build) into the server object of Nova's C(GET /servers/{id}) response, with the
    admin extended attributes (C(OS-EXT-SRV-ATTR:*), C(OS-EXT-STS:*)).
  - C(status) comes from C(vm_state) and C(task_state) as Nova's C(status_from_state) maps
    them; C(hostId) is Nova's sha224 of project id and host.
  - C(locked) and C(locked_reason) come from the record's lock; an C(ERROR) (or C(DELETED))
    server shows its instance C(fault) - C(code), C(created), C(message) and, as in the admin
    view, C(details).
options:
  _input:
    description: The server record.
    type: dict
    required: true
  host:
    description: The compute host, when the record does not carry it.
    type: str
author:
  - novalite.compute contributors
'''

EXAMPLES = r'''
- name: Show servers as the API would
  ansible.builtin.debug:
    msg: "{{ found.servers | map('novalite.compute.server_view') | list }}"

- name: With the host the record lacks
  ansible.builtin.set_fact:
    api_server: "{{ record | novalite.compute.server_view(host=inventory_hostname) }}"
'''

RETURN = r'''
_value:
  description: The server as Nova's API shows it.
  type: dict
  sample:
    id: 0b1c7e8e-94b0-4d5d-8d65-2b0c2b9f8c11
    name: web-1
    status: ACTIVE
    tenant_id: demo
    user_id: demo-user
    hostId: 3f1c...
    OS-EXT-SRV-ATTR:host: hv1
    OS-EXT-SRV-ATTR:instance_name: instance-0b1c7e8e-94b0-4d5d-8d65-2b0c2b9f8c11
    OS-EXT-STS:vm_state: active
    OS-EXT-STS:power_state: 1
    flavor: {original_name: m1.nano, vcpus: 1, ram: 128, disk: 1, ephemeral: 0, swap: 0,
             extra_specs: {}}
    addresses: {private: [{version: 4, addr: 10.254.0.10, OS-EXT-IPS:type: fixed,
                           OS-EXT-IPS-MAC:mac_addr: "fa:16:3e:00:00:01"}]}
'''

import hashlib

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.collections import is_string
from ansible_collections.novalite.compute.plugins.module_utils.compute.server_list import addresses

# nova/api/openstack/common.py _STATE_MAP: vm_state -> {task_state: status, 'default': ...}
_REBOOT = {'rebooting': 'REBOOT', 'reboot_pending': 'REBOOT', 'reboot_started': 'REBOOT',
           'rebooting_hard': 'HARD_REBOOT', 'reboot_pending_hard': 'HARD_REBOOT',
           'reboot_started_hard': 'HARD_REBOOT'}
_REBUILD = {'rebuilding': 'REBUILD', 'rebuild_block_device_mapping': 'REBUILD',
            'rebuild_spawning': 'REBUILD'}
_RESIZE = {'resize_prep': 'RESIZE', 'resize_migrating': 'RESIZE',
           'resize_migrated': 'RESIZE', 'resize_finish': 'RESIZE'}
_STATE_MAP = {
    'active': dict(default='ACTIVE', updating_password='PASSWORD', migrating='MIGRATING',
                   **dict(_REBOOT, **dict(_REBUILD, **_RESIZE))),
    'building': {'default': 'BUILD'},
    'stopped': dict(default='SHUTOFF', **dict(_REBUILD, **_RESIZE)),
    'resized': {'default': 'VERIFY_RESIZE', 'resize_reverting': 'REVERT_RESIZE'},
    'paused': {'default': 'PAUSED', 'migrating': 'MIGRATING'},
    'suspended': {'default': 'SUSPENDED'},
    'rescued': {'default': 'RESCUE'},
    'error': dict(default='ERROR', **_REBUILD),
    'deleted': {'default': 'DELETED'},
    'soft-delete': {'default': 'SOFT_DELETED'},
    'shelved': {'default': 'SHELVED'},
    'shelved_offloaded': {'default': 'SHELVED_OFFLOADED'},
}
# Nova shows `progress` only in these statuses.
_PROGRESS_STATUSES = ('ACTIVE', 'BUILD', 'REBUILD', 'RESIZE', 'VERIFY_RESIZE', 'MIGRATING')
# ... and the instance fault only in these (the admin view: with its details).
_FAULT_STATUSES = ('ERROR', 'DELETED')


def status_from_state(vm_state, task_state=None):
    """The API status for a vm_state and task_state (Nova's common.status_from_state)."""
    task_map = _STATE_MAP.get(vm_state, {'default': 'UNKNOWN'})
    return task_map.get(task_state, task_map['default'])


def host_id(project_id, host):
    """Nova's hostId: sha224 of project id + host, empty without a host."""
    if not host:
        return ''
    return hashlib.sha224((str(project_id) + host).encode('utf-8')).hexdigest()


def _address(port):
    """A port's entry in the API's `addresses`; a port without a fixed IP shows none."""
    if not port.get('fixed_ip'):
        return None
    return {'version': 6 if ':' in port['fixed_ip'] else 4, 'addr': port['fixed_ip'],
            'OS-EXT-IPS:type': 'fixed', 'OS-EXT-IPS-MAC:mac_addr': port.get('mac')}


def _flavor(flavor):
    flavor = flavor or {}
    return {'original_name': flavor.get('name'), 'vcpus': flavor.get('vcpus'),
            'ram': flavor.get('memory_mb'), 'disk': flavor.get('root_gb'),
            'ephemeral': flavor.get('ephemeral_gb'), 'swap': flavor.get('swap'),
            'extra_specs': flavor.get('extra_specs') or {}}


def server_view(record, host=None):
    """The server as Nova's API `GET /servers/{id}` shows it (admin view)."""
    if not isinstance(record, dict) or not record.get('uuid'):
        raise AnsibleFilterError('server_view: the input must be a server record (a dict '
                                 'with a uuid), got %s' % type(record).__name__)
    if host is not None and not is_string(host):
        raise AnsibleFilterError('server_view: host must be a string')
    host = record.get('host') or host
    status = status_from_state(record.get('vm_state'), record.get('task_state'))
    view = {
        'id': record['uuid'],
        'name': record.get('name'),
        'status': status,
        'tenant_id': record.get('project_id'),
        'user_id': record.get('user_id'),
        'hostId': host_id(record.get('project_id'), host),
        'image': {'id': (record.get('image') or {}).get('id')} if record.get('image') else '',
        'flavor': _flavor(record.get('flavor')),
        'addresses': addresses(record.get('ports'), _address),
        'key_name': record.get('key_name'),
        'metadata': record.get('metadata') or {},
        'security_groups': [{'name': name} for name in record.get('security_groups') or []],
        'created': record.get('created'),
        'updated': record.get('updated'),
        'config_drive': 'True' if record.get('config_drive') else '',
        'accessIPv4': record.get('access_ip_v4') or '',
        'accessIPv6': record.get('access_ip_v6') or '',
        'description': record.get('description'),
        'tags': record.get('tags') or [],
        'locked': bool(record.get('locked')),
        'locked_reason': record.get('locked_reason'),
        'OS-DCF:diskConfig': 'MANUAL',
        'OS-EXT-AZ:availability_zone': record.get('availability_zone') or '',
        'OS-EXT-SRV-ATTR:host': host,
        'OS-EXT-SRV-ATTR:hypervisor_hostname': record.get('node') or host,
        'OS-EXT-SRV-ATTR:instance_name': 'instance-%s' % record['uuid'],
        'OS-EXT-SRV-ATTR:hostname': record.get('hostname'),
        'OS-EXT-SRV-ATTR:reservation_id': record.get('reservation_id'),
        'OS-EXT-SRV-ATTR:launch_index': record.get('launch_index'),
        'OS-EXT-STS:vm_state': record.get('vm_state'),
        'OS-EXT-STS:task_state': record.get('task_state'),
        'OS-EXT-STS:power_state': record.get('power_state', 0),
        'OS-SRV-USG:launched_at': record.get('launched_at'),
        'OS-SRV-USG:terminated_at': None,
        'os-extended-volumes:volumes_attached': [],
    }
    if status in _PROGRESS_STATUSES:
        view['progress'] = 0
    if status in _FAULT_STATUSES and record.get('fault'):
        view['fault'] = dict((key, record['fault'].get(key)) for key in
                             ('code', 'created', 'message', 'details')
                             if record['fault'].get(key) is not None)
    return view


class FilterModule(object):
    """novalite.compute.server_view"""

    def filters(self):
        return {'server_view': server_view}
