# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How long the nova-api layer takes per request: request.build_request for three kinds of
body, quota.check_request over many existing servers, and one policy decision.

Each case runs WARMUP calls, then ITERATIONS timed calls; the table gives the median and the
95th percentile per call, and the same for a floor measured in the same run: a JSON round
trip (json.loads(json.dumps(x))) of the case's input, the least any code that reads the whole
input must do. The ratio column is median / floor median.

Run: .venv/bin/python bench/bench_request.py  (a benchmark, not a test: nothing is asserted)
"""

import base64
import json
import statistics
import sys
import time

import source_tree  # noqa: E402,F401  first: makes the collection importable

from ansible_collections.novalite.compute.plugins.module_utils.api import quota  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.api import request  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.api.policy import Enforcer  # noqa: E402

WARMUP = 200
ITERATIONS = 2000

IMG, KERNEL, RAMDISK = ('6f1c0000-0000-4000-8000-00000000000%d' % i for i in (1, 2, 3))
NET_A, NET_B = '11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222'
GROUP = '77777777-7777-4777-8777-777777777777'
CONTEXT = {'project_id': 'demo', 'user_id': 'demo-user', 'roles': ['member']}


def image(image_id, name, **extra):
    return dict({'id': image_id, 'name': name, 'status': 'active', 'disk_format': 'qcow2',
                 'location': '/var/lib/novalite/images/%s.qcow2' % name,
                 'checksum': 'sha256:' + '0' * 64, 'container_format': 'bare',
                 'size': 196624, 'min_ram': 0, 'min_disk': 0, 'properties': {}}, **extra)


CATALOG = {
    'flavors': [{'id': str(i), 'name': 'm1.f%d' % i, 'vcpus': 1 + i % 4, 'ram': 128 * (1 + i),
                 'disk': 1 + i, 'ephemeral': 1, 'swap': 256} for i in range(20)],
    'images': [image(IMG, 'demo', properties={'kernel_id': KERNEL, 'ramdisk_id': RAMDISK}),
               image(KERNEL, 'kernel', disk_format='aki'),
               image(RAMDISK, 'ramdisk', disk_format='ari')]
    + [image('6f1c0000-0000-4000-8000-0000000001%02d' % i, 'other-%d' % i) for i in range(30)],
    'networks': [
        {'id': NET_A, 'name': 'private', 'cidr': '10.254.0.0/24', 'gateway': '10.254.0.1',
         'allocation_pools': [{'start': '10.254.0.10', 'end': '10.254.0.250'}],
         'libvirt_network': 'novalite-private', 'shared': True},
        {'id': NET_B, 'name': 'storage', 'cidr': 'fd00:1::/64', 'gateway': 'fd00:1::1',
         'bridge': 'br-storage', 'shared': True}],
    'keypairs': [{'name': 'demo', 'user_id': 'demo-user', 'public_key': 'ssh-ed25519 AAAA demo'}],
    'security_groups': [{'id': 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'name': 'web'}],
    'server_groups': [{'uuid': GROUP, 'name': 'web', 'policy': 'anti-affinity',
                       'project_id': 'demo'}],
    'ports': [],
}


def servers(count):
    """Existing servers as hypervisor_info reports them, over 10 projects and 40 users."""
    return [{'id': '99999999-9999-4999-8999-%012d' % i, 'name': 'srv-%d' % i,
             'project_id': 'demo' if i % 10 == 0 else 'p%d' % (i % 10),
             'user_id': 'demo-user' if i % 40 == 0 else 'u%d' % (i % 40), 'host': 'hv%d' % (i % 16),
             'vm_state': 'active', 'instance_group': GROUP if i % 50 == 0 else None,
             'flavor': {'name': 'm1.f1', 'vcpus': 1, 'memory_mb': 256, 'root_gb': 2},
             'addresses': {'private': [{'addr': '10.254.%d.%d' % (i // 250 % 250, 10 + i % 240),
                                        'mac': 'fa:16:3e:00:%02x:%02x' % (i // 256 % 256, i % 256)}]}}
            for i in range(count)]


FILE = base64.b64encode(b'#!/bin/sh\necho hello\n' * 20).decode()
SIMPLE = {'name': 'web', 'flavorRef': '1', 'imageRef': IMG, 'networks': [{'uuid': NET_A}]}
MULTI = {'name': 'web', 'flavorRef': 'm1.f2', 'imageRef': 'demo', 'min_count': 2,
         'max_count': 10, 'key_name': 'demo', 'security_groups': [{'name': 'web'}],
         'networks': [{'uuid': 'private'}, {'uuid': NET_B, 'tag': 'storage'}],
         'metadata': dict(('key-%d' % i, 'value-%d' % i) for i in range(20)),
         'personality': [{'path': '/etc/motd-%d' % i, 'contents': FILE} for i in range(3)],
         'user_data': FILE, 'tags': ['a', 'b'], 'availability_zone': 'nova'}
FIXED_IP = dict(MULTI, min_count=1, max_count=1, networks=[
    {'uuid': 'private', 'fixed_ip': '10.254.0.249'}, {'uuid': NET_B, 'fixed_ip': 'fd00:1::77'}])
BDM = {'name': 'db', 'flavorRef': '3', 'imageRef': IMG, 'networks': 'none',
       'block_device_mapping_v2': [
           {'source_type': 'image', 'uuid': IMG, 'destination_type': 'local', 'boot_index': 0},
           {'source_type': 'blank', 'destination_type': 'local', 'volume_size': 1,
            'boot_index': -1, 'disk_bus': 'virtio'},
           {'source_type': 'blank', 'destination_type': 'local', 'guest_format': 'swap',
            'volume_size': 256, 'boot_index': -1}]}
HINTS = {'group': 'web', 'different_host': ['99999999-9999-4999-8999-000000000001']}
# room for the request whatever the servers: every server is counted, none refused
QUOTAS = {'defaults': {'instances': 100000, 'cores': 1000000, 'ram': 10 ** 9,
                       'server_group_members': -1}}


def build(body, existing):
    def call():
        return request.build_request(body, CONTEXT, CATALOG, scheduler_hints=HINTS,
                                     quotas={}, availability_zones=['nova'],
                                     servers=existing)
    return call


def check_quota(existing):
    spec = build(MULTI, [])()['request_spec']

    def call():
        return quota.check_request(spec, existing, QUOTAS)
    return call


def enforce():
    enforcer = Enforcer({'os_compute_api:servers:create': 'rule:project_member_or_admin and '
                         'not role:suspended'})
    target = {'project_id': 'demo', 'user_id': 'demo-user'}

    def call():
        return enforcer.enforce('os_compute_api:servers:create', target, CONTEXT)
    return call


def floor(data):
    def call():
        return json.loads(json.dumps(data))
    return call


def timed(func):
    """Microseconds per call: (median, p95)."""
    for _i in range(WARMUP):
        func()
    samples = []
    clock = time.perf_counter_ns
    for _i in range(ITERATIONS):
        start = clock()
        func()
        samples.append((clock() - start) / 1000.0)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def cases():
    hundred, ten_thousand = servers(100), servers(10000)
    # (label, the call, the input its floor round-trips)
    return [
        ('build_request simple (100 servers)', build(SIMPLE, hundred), SIMPLE),
        ('build_request multi-create x10, 2 nets, 20 metadata, 3 files',
         build(MULTI, hundred), MULTI),
        ('build_request fixed IPs v4+v6, metadata, files', build(FIXED_IP, hundred), FIXED_IP),
        ('build_request bdm_v2 (image root, ephemeral, swap)', build(BDM, hundred), BDM),
        ('quota check_request, 100 servers', check_quota(hundred), hundred),
        ('quota check_request, 10,000 servers', check_quota(ten_thousand), ten_thousand),
        ('policy enforce servers:create', enforce(), CONTEXT),
    ]


def main():
    print('%d warm-up + %d timed calls per case, Python %s' % (
        WARMUP, ITERATIONS, sys.version.split()[0]))
    header = '%-62s %10s %10s %10s %10s %7s' % (
        'case (us per call)', 'median', 'p95', 'floor med', 'floor p95', 'ratio')
    print(header)
    print('-' * len(header))
    for label, func, data in cases():
        median, p95 = timed(func)
        floor_median, floor_p95 = timed(floor(data))
        print('%-62s %10.1f %10.1f %10.1f %10.1f %6.1fx' % (
            label, median, p95, floor_median, floor_p95, median / floor_median))


if __name__ == '__main__':
    main()
