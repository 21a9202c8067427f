# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

import hashlib

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.novalite.compute.plugins.filter.server_view import (
    FilterModule, server_view, status_from_state,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute.server_record import new_record


def record(**over):
    values = dict(
        uuid='0b1c7e8e-94b0-4d5d-8d65-2b0c2b9f8c11', name='web-1', hostname='web-1',
        project_id='demo', user_id='demo-user', vm_state='active', power_state=1,
        flavor={'id': '1', 'name': 'm1.nano', 'vcpus': 1, 'memory_mb': 128, 'root_gb': 1,
                'ephemeral_gb': 0, 'swap': 0, 'extra_specs': {'hw:x': 'y'}},
        image={'id': 'img-1', 'name': 'demo'}, key_name='demo', availability_zone='az1',
        security_groups=['default'], metadata={'role': 'web'}, tags=['t'], config_drive=True,
        ports=[{'id': 'p', 'network_id': 'n', 'network_name': 'private',
                'mac': 'fa:16:3e:00:00:01', 'fixed_ip': '10.254.0.10'},
               {'id': 'p6', 'network_id': 'n6', 'network_name': 'v6',
                'mac': 'fa:16:3e:00:00:02', 'fixed_ip': 'fd00::10'}],
        host='hv1', node='hv1.example', created='2026-11-21T06:20:00Z',
        launched_at='2026-11-21T06:20:05Z', updated='2026-11-21T06:20:05Z')
    values.update(over)
    return new_record(**values)


def test_server_as_the_api_shows_it():
    view = server_view(record())
    assert view['id'] == '0b1c7e8e-94b0-4d5d-8d65-2b0c2b9f8c11'
    assert view['status'] == 'ACTIVE' and view['progress'] == 0
    assert view['tenant_id'] == 'demo'
    assert view['hostId'] == hashlib.sha224(b'demohv1').hexdigest()
    assert view['OS-EXT-SRV-ATTR:host'] == 'hv1'
    assert view['OS-EXT-SRV-ATTR:hypervisor_hostname'] == 'hv1.example'
    assert view['OS-EXT-SRV-ATTR:instance_name'] == 'instance-' + view['id']
    assert view['OS-EXT-AZ:availability_zone'] == 'az1'
    assert view['OS-EXT-STS:power_state'] == 1 and view['OS-EXT-STS:task_state'] is None
    assert view['flavor'] == {'original_name': 'm1.nano', 'vcpus': 1, 'ram': 128, 'disk': 1,
                              'ephemeral': 0, 'swap': 0, 'extra_specs': {'hw:x': 'y'}}
    assert view['image'] == {'id': 'img-1'}
    assert view['addresses'] == {
        'private': [{'version': 4, 'addr': '10.254.0.10', 'OS-EXT-IPS:type': 'fixed',
                     'OS-EXT-IPS-MAC:mac_addr': 'fa:16:3e:00:00:01'}],
        'v6': [{'version': 6, 'addr': 'fd00::10', 'OS-EXT-IPS:type': 'fixed',
                'OS-EXT-IPS-MAC:mac_addr': 'fa:16:3e:00:00:02'}]}
    assert view['security_groups'] == [{'name': 'default'}]
    assert view['config_drive'] == 'True' and view['locked'] is False
    assert view['OS-SRV-USG:launched_at'] == '2026-11-21T06:20:05Z'


@pytest.mark.parametrize('vm_state, task_state, status', [
    ('active', None, 'ACTIVE'), ('active', 'rebooting', 'REBOOT'),
    ('active', 'rebooting_hard', 'HARD_REBOOT'), ('building', 'spawning', 'BUILD'),
    ('stopped', None, 'SHUTOFF'), ('stopped', 'powering-on', 'SHUTOFF'),
    ('error', None, 'ERROR'), ('deleted', None, 'DELETED'), ('bogus', None, 'UNKNOWN'),
])
def test_status_from_state(vm_state, task_state, status):
    assert status_from_state(vm_state, task_state) == status


def test_host_argument_and_no_host():
    assert server_view(record(host=None), host='hv2')['OS-EXT-SRV-ATTR:host'] == 'hv2'
    view = server_view(record(host=None, node=None, vm_state='building'))
    assert view['hostId'] == '' and view['status'] == 'BUILD'


def test_bad_input_is_an_error():
    with pytest.raises(AnsibleFilterError, match='server record'):
        server_view(['not', 'a', 'record'])
    with pytest.raises(AnsibleFilterError, match='host must be a string'):
        server_view(record(), host=3)


def test_registered_name():
    assert FilterModule().filters()['server_view'] is server_view


def test_error_server_shows_its_fault_and_a_locked_one_its_reason():
    fault = {'message': 'libvirtError', 'code': 500, 'created': '2026-12-04T21:00:00Z',
             'details': 'guest failed to start'}
    errored = record(vm_state='error', fault=fault, locked=True, locked_reason='why')
    view = server_view(errored)
    assert view['status'] == 'ERROR' and view['fault'] == fault
    assert view['locked'] is True and view['locked_reason'] == 'why'
    # an active server's old fault is not shown, as in Nova
    assert 'fault' not in server_view(dict(errored, vm_state='active'))
