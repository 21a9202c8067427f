# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A catalog, a context and existing servers shared by the nova-api layer's tests."""

import copy

IMG_DEMO = '6f1c0000-0000-4000-8000-000000000001'
IMG_KERNEL = '6f1c0000-0000-4000-8000-000000000002'
IMG_RAMDISK = '6f1c0000-0000-4000-8000-000000000003'
IMG_QUEUED = '6f1c0000-0000-4000-8000-000000000004'
IMG_BIG = '6f1c0000-0000-4000-8000-000000000005'
IMG_NOKERNEL = '6f1c0000-0000-4000-8000-000000000006'
IMG_LOST_KERNEL = '6f1c0000-0000-4000-8000-000000000007'
IMG_LOST_RAMDISK = '6f1c0000-0000-4000-8000-000000000008'
IMG_NO_RESIZE = '6f1c0000-0000-4000-8000-000000000009'
IMG_BAD_CD = '6f1c0000-0000-4000-8000-00000000000a'
IMG_AUTO = '6f1c0000-0000-4000-8000-00000000000b'
NET_PRIVATE = '11111111-1111-4111-8111-111111111111'
NET_V6 = '22222222-2222-4222-8222-222222222222'
NET_THEIRS = '33333333-3333-4333-8333-333333333333'
NET_MINE = '44444444-4444-4444-8444-444444444444'
PORT_1 = '55555555-5555-4555-8555-555555555555'
PORT_2 = '66666666-6666-4666-8666-666666666666'
GROUP_WEB = '77777777-7777-4777-8777-777777777777'
GROUP_THEIRS = '88888888-8888-4888-8888-888888888888'
SERVER_1 = '99999999-9999-4999-8999-999999999991'
SERVER_2 = '99999999-9999-4999-8999-999999999992'
SG_WEB = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'
GIB = 1024 ** 3


def _image(image_id, name, **extra):
    image = {'id': image_id, 'name': name, 'status': 'active',
             'location': '/var/lib/novalite/images/%s.qcow2' % name,
             'checksum': 'sha256:' + '0' * 64, 'disk_format': 'qcow2',
             'container_format': 'bare', 'size': 196624, 'min_ram': 0, 'min_disk': 0,
             'properties': {}}
    image.update(extra)
    return image


CATALOG = {
    'flavors': [
        {'id': '1', 'name': 'm1.nano', 'vcpus': 1, 'ram': 128, 'disk': 1, 'ephemeral': 0,
         'swap': 0, 'extra_specs': {}, 'is_public': True},
        {'id': '2', 'name': 'm1.small', 'vcpus': 2, 'ram': 2048, 'disk': 10, 'ephemeral': 2,
         'swap': 512, 'extra_specs': {'hw:cpu_policy': 'shared'}},
        {'id': '3', 'name': 'm1.zero', 'vcpus': 1, 'ram': 256, 'disk': 0, 'ephemeral': 0,
         'swap': 0},
        {'id': '4', 'name': 'twin', 'vcpus': 1, 'ram': 64, 'disk': 1},
        {'id': '5', 'name': 'twin', 'vcpus': 1, 'ram': 64, 'disk': 1},
        {'id': '6', 'name': 'private', 'vcpus': 1, 'ram': 64, 'disk': 1, 'is_public': False,
         'projects': ['other']},
        {'id': '7', 'name': 'retired', 'vcpus': 1, 'ram': 64, 'disk': 1, 'disabled': True},
        {'id': '8', 'name': 'ours', 'vcpus': 1, 'ram': 64, 'disk': 1, 'is_public': False,
         'projects': ['demo']},
    ],
    'images': [
        _image(IMG_DEMO, 'novalite-demo', properties={
            'kernel_id': IMG_KERNEL, 'ramdisk_id': IMG_RAMDISK,
            'os_command_line': 'console=ttyS0 panic=-1', 'hw_machine_type': 'pc'}),
        _image(IMG_KERNEL, 'demo-kernel', disk_format='aki', container_format='aki'),
        _image(IMG_RAMDISK, 'demo-ramdisk', disk_format='ari', container_format='ari'),
        _image(IMG_QUEUED, 'queued', status='queued'),
        _image(IMG_BIG, 'big', size=2 * GIB, min_disk=5, min_ram=512),
        _image(IMG_NOKERNEL, 'plain', properties={'kernel_id': 'nokernel',
                                                  'ramdisk_id': IMG_RAMDISK}),
        _image(IMG_LOST_KERNEL, 'lost-kernel', properties={'kernel_id': 'gone'}),
        _image(IMG_LOST_RAMDISK, 'lost-ramdisk', properties={'ramdisk_id': 'gone'}),
        _image(IMG_NO_RESIZE, 'no-resize', properties={'auto_disk_config': 'disabled'}),
        _image(IMG_BAD_CD, 'bad-cd', properties={'img_config_drive': 'sometimes'}),
        _image(IMG_AUTO, 'auto-resize', properties={'auto_disk_config': 'True'}),
        _image('6f1c0000-0000-4000-8000-0000000000c1', 'twin'),
        _image('6f1c0000-0000-4000-8000-0000000000c2', 'twin'),
    ],
    'networks': [
        {'id': NET_PRIVATE, 'name': 'private', 'cidr': '10.254.0.0/24',
         'gateway': '10.254.0.1', 'dns_nameservers': ['10.254.0.1'],
         'allocation_pools': [{'start': '10.254.0.10', 'end': '10.254.0.250'}],
         'libvirt_network': 'novalite-private', 'dhcp': True, 'mtu': 1500, 'shared': True},
        {'id': NET_V6, 'name': 'v6', 'cidr': 'fd00:1::/64', 'gateway': 'fd00:1::1',
         'bridge': 'br6', 'dhcp': False, 'mtu': 1500, 'shared': True},
        {'id': NET_THEIRS, 'name': 'theirs', 'cidr': '10.9.0.0/24', 'shared': False,
         'project_id': 'other'},
        {'id': NET_MINE, 'name': 'mine', 'cidr': '10.8.0.0/24', 'gateway': '10.8.0.1',
         'shared': False, 'project_id': 'demo'},
    ],
    'ports': [
        {'id': PORT_1, 'network_id': NET_PRIVATE, 'fixed_ip': '10.254.0.40',
         'mac': 'fa:16:3e:00:00:01'},
        {'id': PORT_2, 'network_id': NET_THEIRS, 'fixed_ip': '10.9.0.40'},
    ],
    'keypairs': [
        {'name': 'demo', 'public_key': 'ssh-ed25519 AAAAC3Nz demo', 'user_id': 'demo-user',
         'type': 'ssh'},
        {'name': 'alien', 'public_key': 'ssh-ed25519 AAAAC3Nz alien', 'user_id': 'someone'},
    ],
    'security_groups': [
        {'id': SG_WEB, 'name': 'web', 'description': 'Web', 'rules': []},
        {'id': 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'name': 'default', 'rules': []},
    ],
    'server_groups': [
        {'uuid': GROUP_WEB, 'name': 'web', 'policy': 'anti-affinity',
         'rules': {'max_server_per_host': 1}, 'project_id': 'demo', 'user_id': 'demo-user'},
        {'uuid': GROUP_THEIRS, 'name': 'theirs', 'policy': 'affinity', 'rules': {},
         'project_id': 'other', 'user_id': 'someone'},
    ],
}

CONTEXT = {'project_id': 'demo', 'user_id': 'demo-user', 'roles': ['member']}
ADMIN = {'project_id': 'demo', 'user_id': 'demo-user', 'roles': ['admin']}

SERVERS = [
    {'id': SERVER_1, 'name': 'web-a', 'project_id': 'demo', 'user_id': 'demo-user',
     'host': 'hv1', 'instance_group': GROUP_WEB, 'vm_state': 'active',
     'flavor': {'name': 'm1.nano', 'vcpus': 1, 'memory_mb': 128, 'root_gb': 1},
     'addresses': {'private': [{'addr': '10.254.0.30', 'mac': 'fa:16:3e:00:00:30'}]}},
    {'id': SERVER_2, 'name': 'web-b', 'project_id': 'demo', 'user_id': 'demo-user',
     'host': 'hv2', 'instance_group': {'uuid': GROUP_WEB, 'name': 'web'},
     'vm_state': 'active', 'flavor': {'name': 'm1.nano', 'vcpus': 1, 'memory_mb': 128}},
]

SERVER = {'name': 'web', 'flavorRef': '1', 'imageRef': IMG_DEMO,
          'networks': [{'uuid': NET_PRIVATE}]}


def catalog(**changes):
    data = copy.deepcopy(CATALOG)
    data.update(changes)
    return data
