# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host states for the tests of the scheduler, and random clusters and requests (the same
generator feeds bench/bench_scheduler.py); host states loaded once for many requests."""

import datetime
import random

from ansible_collections.novalite.compute.plugins.module_utils.scheduler.driver import Scheduler
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.host_state import HostStates
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.options import resolve

NOW = datetime.datetime(2026, 11, 21, 6, 20, 0, tzinfo=datetime.timezone.utc)
ZONES = ('az1', 'az2', 'az3')


def load_host_states(hosts, options=None):
    """HostStates, with what the filters and weighers of `options` read computed now
    rather than on the first request."""
    scheduler = Scheduler(resolve(options))
    host_states = HostStates(hosts)
    for rule in scheduler.filters + scheduler.weighers:
        rule.prepare(host_states)
    return host_states


def host_passes(host_filter, host_state, spec):
    """Nova's interface of a filter, on top of `rejection`."""
    return host_filter.rejection(host_state, spec) is None


def host(name, ram_used=0, **fields):
    """A host state with 4 vCPUs, 4 GiB and 50 GB, no overcommit; `fields` override."""
    data = dict(host=name, vcpus_total=4, vcpus_used=0, memory_mb_total=4096, memory_mb_used=ram_used,
                disk_gb_total=50, disk_gb_used=0, cpu_allocation_ratio=1.0,
                ram_allocation_ratio=1.0, disk_allocation_ratio=1.0)
    data.update(fields)
    return data


# (vcpus, memory_mb, disk_gb): hardware generations of a real cluster, and, coarse, small
# hosts whose few distinct values make ties frequent.
_CLASSES = ((32, 131072, 960), (48, 262144, 1920), (64, 393216, 1920), (128, 786432, 3840))
_COARSE_CLASSES = ((4, 8192, 100), (8, 16384, 200))
_VERSIONS = (6002000, 7002000, 8002000)
_AGGREGATES = (
    {'name': 'ssd', 'metadata': {'ssd': 'true'}},
    {'name': 'bigmem', 'metadata': {'ram_weight_multiplier': '2.0'}},
    {'name': 'packed', 'metadata': {'ram_weight_multiplier': '-1.0', 'cpu_weight_multiplier': '0'}},
    {'name': 'quiet', 'metadata': {'io_ops_weight_multiplier': '-3.0'}},
)


def _uuid(rng):
    return '%032x' % rng.getrandbits(128)


def _usage(rng, total, coarse, step):
    if coarse:
        return rng.randrange(0, total + 1, step)
    return int(total * rng.random() ** 1.5 * 0.95)


def _instances(rng, count, groups):
    return dict((_uuid(rng), rng.choice(groups) if rng.random() < 0.05 else None)
                for _n in range(count))


def random_host(rng, number, groups, coarse=False):
    """One host state: varied capacity and usage, a zone, aggregates, servers in groups,
    now and then disabled, silent, failing or busy."""
    vcpus, ram, disk = rng.choice(_COARSE_CLASSES if coarse else _CLASSES)
    zone = ZONES[number % len(ZONES)] if coarse else rng.choice(ZONES)
    aggregates = [{'name': '%s-hosts' % zone, 'metadata': {'availability_zone': zone}}]
    aggregates += [agg for agg in _AGGREGATES if rng.random() < 0.15]
    ratio = rng.choice((1.0, 4.0, 16.0))
    vcpus_used = _usage(rng, int(vcpus * ratio), coarse, 2)
    instances = _instances(rng, rng.randrange(0, 4 if coarse else 30), groups)
    ages = rng.choice((10,) * 199 + (600,)) if not coarse else rng.choice((10, 10, 10, 300))
    return {
        'host': 'hv%05d' % number, 'vcpus_total': vcpus, 'vcpus_used': vcpus_used,
        'memory_mb_total': ram, 'memory_mb_used': _usage(rng, ram - 4096, coarse, 2048),
        'disk_gb_total': disk, 'disk_gb_used': _usage(rng, disk, coarse, 20),
        'cpu_allocation_ratio': ratio, 'ram_allocation_ratio': rng.choice((1.0, 1.5)),
        'disk_allocation_ratio': 1.0, 'reserved_host_memory_mb': 4096 if not coarse else 0,
        'aggregates': aggregates, 'hypervisor_type': 'QEMU',
        'hypervisor_version': rng.choice(_VERSIONS),
        'supported_instances': [['x86_64', 'qemu', 'hvm']] + (
            [['aarch64', 'qemu', 'hvm']] if rng.random() < 0.1 else []),
        'num_instances': len(instances), 'num_io_ops': rng.choice((0, 0, 0, 1, 2, 5)),
        'instances': instances, 'service_disabled': rng.random() < 0.02,
        'failed_builds': rng.choice((0,) * 40 + (1, 3)),
        'updated': (NOW - datetime.timedelta(seconds=ages)).isoformat(),
        'stats': {}, 'metrics': {}, 'cpu_info': None,
    }


def random_cluster(seed, count, coarse=False):
    """(`count` host states, server group uuids), the same for the same arguments."""
    rng = random.Random(seed)
    # Server groups of a few servers each, as HA pairs and triplets are.
    groups = [_uuid(rng) for _n in range(max(3, count // 4))]
    return [random_host(rng, number, groups, coarse) for number in range(count)], groups


_FLAVORS = (
    {'name': 'm1.small', 'vcpus': 1, 'memory_mb': 2048, 'root_gb': 20},
    {'name': 'm1.medium', 'vcpus': 2, 'memory_mb': 4096, 'root_gb': 40},
    {'name': 'm1.large', 'vcpus': 4, 'memory_mb': 8192, 'root_gb': 80, 'ephemeral_gb': 20},
    {'name': 'm1.xlarge', 'vcpus': 16, 'memory_mb': 65536, 'root_gb': 160, 'swap': 2048},
)
_COARSE_FLAVORS = (
    {'name': 'c1', 'vcpus': 1, 'memory_mb': 1024, 'root_gb': 10},
    {'name': 'c2', 'vcpus': 2, 'memory_mb': 2048, 'root_gb': 20},
)
_POLICIES = (None, None, 'anti-affinity', 'affinity', 'soft-anti-affinity', 'soft-affinity')


def random_request(rng, hosts, groups, count, coarse=False):
    """A request spec for `count` instances: a flavor, maybe a zone, a server group, hints,
    forced or ignored hosts, image properties."""
    flavor = rng.choice(_COARSE_FLAVORS if coarse else _FLAVORS)
    spec = {'flavor': dict(flavor), 'num_instances': count,
            'instance_uuids': [_uuid(rng) for _n in range(count)], 'scheduler_hints': {}}
    if rng.random() < 0.4:
        spec['availability_zone'] = rng.choice(ZONES)
    policy = rng.choice(_POLICIES)
    if policy:
        group = rng.choice(groups)
        members = [uuid for data in hosts for uuid, owner in data['instances'].items() if owner == group]
        spec['instance_group'] = {'uuid': group, 'name': 'g-%s' % group[:6], 'policy': policy,
                                  'rules': {'max_server_per_host': rng.choice((1, 2))}
                                  if policy == 'anti-affinity' else {},
                                  'members': members, 'hosts': []}
    if rng.random() < 0.1 and hosts:
        spec['ignore_hosts'] = [rng.choice(hosts)['host'] for _n in range(2)]
    if rng.random() < 0.05 and hosts:
        spec['force_hosts'] = [rng.choice(hosts)['host'].upper()]
    if rng.random() < 0.1:
        spec['image'] = {'properties': {'architecture': rng.choice(('x86_64', 'aarch64'))}}
    if rng.random() < 0.1:
        spec['flavor']['extra_specs'] = {'capabilities:hypervisor_version': '>= 7002000'}
    if rng.random() < 0.1:
        spec['scheduler_hints']['query'] = ['>=', '$free_ram_mb', rng.choice((8192, 65536))]
    return spec


def random_options(rng):
    """Scheduler options around Nova's defaults: multipliers that spread or stack, subsets,
    shuffling, alternates, trace sizes, a few more filters."""
    options = {'random_seed': rng.randrange(1000), 'max_attempts': rng.choice((1, 2, 3, 4)),
               'host_subset_size': rng.choice((1, 1, 1, 2, 3)),
               'shuffle_best_same_weighed_hosts': rng.random() < 0.3,
               'trace_top': rng.choice((0, 1, 3, 20))}
    for name in ('ram', 'cpu', 'disk', 'io_ops', 'num_instances', 'hypervisor_version'):
        if rng.random() < 0.3:
            options['%s_weight_multiplier' % name] = rng.choice((-2.0, -1.0, 0.0, 0.5, 1.0, 3.0))
    if rng.random() < 0.3:
        options['weight_classes'] = rng.choice((['RAMWeigher'], ['RAMWeigher', 'CPUWeigher'],
                                                ['IoOpsWeigher', 'RAMWeigher', 'BuildFailureWeigher'],
                                                ['ServerGroupSoftAntiAffinityWeigher']))
    if rng.random() < 0.3:
        options['enabled_filters'] = ['ResourceFilter', 'AvailabilityZoneFilter', 'ComputeFilter',
                                      'ServerGroupAntiAffinityFilter', 'ServerGroupAffinityFilter',
                                      'NumInstancesFilter', 'IoOpsFilter', 'JsonFilter',
                                      'DifferentHostFilter', 'ImagePropertiesFilter']
        options['max_io_ops_per_host'] = rng.choice((2, 8))
    return options
