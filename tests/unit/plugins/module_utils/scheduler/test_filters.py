# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each host filter at its accept and reject edge, and its bulk form against its rule."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import random

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.errors import ValidationError
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters import FILTERS, extra_specs_ops
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.host_state import HostState, HostStates
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.options import resolve

from scheduler_helpers import NOW, host_passes, random_cluster, random_request


def host(**fields):
    data = dict(host='hv1', vcpus_total=4, vcpus_used=0, memory_mb_total=8192, memory_mb_used=0,
                disk_gb_total=100, disk_gb_used=0, cpu_allocation_ratio=1.0,
                ram_allocation_ratio=1.0, disk_allocation_ratio=1.0)
    data.update(fields)
    return HostState(data)


def spec(**fields):
    data = dict(flavor=dict(vcpus=1, memory_mb=1024, root_gb=10, ephemeral_gb=0, swap=0,
                            extra_specs={}),
                image=dict(properties={}), instance_uuid='new-1')
    data.update(fields)
    return data


def run(name, host_state, request, **options):
    return FILTERS[name](resolve(options), NOW).rejection(host_state, request)


def flavor_specs(extra_specs):
    return dict(vcpus=1, memory_mb=1024, root_gb=10, extra_specs=extra_specs)


@pytest.mark.parametrize('fields, passes, words', [
    (dict(memory_mb_used=7168), True, None),                        # exactly full after
    (dict(memory_mb_used=7169), False, 'MEMORY_MB: requested 1024, used 7169 of capacity 8192'),
    (dict(vcpus_used=4), False, 'VCPU: requested 1, used 4 of capacity 4'),
    (dict(vcpus_used=4, cpu_allocation_ratio=2.0), True, None),
    (dict(disk_gb_used=90), True, None),
    (dict(disk_gb_used=91), False, 'DISK_GB'),
    (dict(reserved_host_memory_mb=512, memory_mb_used=6656), True, None),
    (dict(reserved_host_memory_mb=512, memory_mb_used=6657), False, 'capacity 7680'),
])
def test_resource_filter(fields, passes, words):
    why = run('ResourceFilter', host(**fields), spec())
    assert (why is None) == passes
    if words:
        assert words in why


def test_resource_filter_single_instance_never_exceeds_total():
    why = run('ResourceFilter', host(memory_mb_total=512, ram_allocation_ratio=16.0),
              spec(flavor=dict(vcpus=1, memory_mb=1024, root_gb=1)))
    assert why == 'MEMORY_MB: requested 1024 exceeds the host total 512'


def test_resource_filter_volume_backed_skips_root_disk():
    full = host(disk_gb_used=100)
    assert run('ResourceFilter', full, spec()) is not None
    assert run('ResourceFilter', full, spec(is_bfv=True)) is None


@pytest.mark.parametrize('fields, passes, words', [
    (dict(), True, None),
    (dict(service_disabled=True), False, 'compute service disabled'),
    (dict(service_disabled=True, service_disabled_reason='maintenance'), False, 'disabled: maintenance'),
    (dict(updated='2026-11-21T06:19:00Z'), True, None),              # 60 s: still up
    (dict(updated='2026-11-21T06:18:59Z'), False, 'not heard from for 61 s'),
    (dict(updated='2026-11-21T06:21:00+00:00'), True, None),          # clock skew, |60| s
    (dict(updated='yesterday'), False, 'not a time'),
    # A heartbeat (fleet database rows) decides liveness whatever the resource data's age.
    (dict(updated='2026-11-21T05:00:00Z', heartbeat='2026-11-21T06:19:30Z'), True, None),
    (dict(updated='2026-11-21T06:20:00Z', heartbeat='2026-11-21T06:18:00Z'), False,
     'not heard from for 120 s'),
    (dict(heartbeat='soon'), False, "heartbeat 'soon' is not a time"),
    (dict(forced_down=True), False, 'compute service forced down'),
])
def test_compute_filter(fields, passes, words):
    why = run('ComputeFilter', host(**fields), spec())
    assert (why is None) == passes
    if words:
        assert words in why


def test_compute_filter_service_down_time_option():
    stale = host(updated='2026-11-21T06:18:00Z')
    assert run('ComputeFilter', stale, spec()) is not None
    assert run('ComputeFilter', stale, spec(), service_down_time=180) is None


AZ1 = [{'name': 'az1_hosts', 'metadata': {'availability_zone': 'az1'}}]


def run_loaded(name, host_state, request, others=(), **options):
    """The filter's verdict on `host_state` loaded together with the host states `others`
    (whose aggregates, like its own, say which zones exist)."""
    host_filter = FILTERS[name](resolve(options), NOW)
    host_filter.load(HostStates([host_state.data] + [dict(host_state.data, host='other%d' % n, **fields)
                                                     for n, fields in enumerate(others)]))
    return host_filter.rejection(host_state, request)


@pytest.mark.parametrize('fields, others, wanted, passes', [
    (dict(), [dict(aggregates=AZ1)], None, True),
    (dict(), [dict(aggregates=AZ1)], 'nova', True),           # no aggregate carries nova
    (dict(), [dict(aggregates=AZ1)], 'az1', False),
    (dict(), [], 'az1', True),                                 # no aggregate carries az1
    (dict(aggregates=AZ1), [], 'az1', True),
    (dict(aggregates=AZ1), [], 'nova', True),                  # the default zone: no restriction
    (dict(availability_zone='az2'), [], 'az2', True),
    (dict(availability_zone='az2'), [dict(aggregates=AZ1)], 'az1', False),
    (dict(availability_zone='az2', aggregates=AZ1), [], 'az2', True),
    (dict(availability_zone='az2'), [dict(aggregates=[{'name': 'z', 'metadata': {'availability_zone': 'az2'}}])],
     'az2', False),                                            # aggregates decide, not the field
    (dict(aggregates=[{'name': 'x', 'metadata': {'availability_zone': 'az1,az3'}}]), [], 'az3', True),
])
def test_availability_zone_filter(fields, others, wanted, passes):
    why = run_loaded('AvailabilityZoneFilter', host(**fields), spec(availability_zone=wanted), others)
    assert (why is None) == passes


def test_an_availability_zone_no_aggregate_carries_adds_no_restriction():
    """Nova's map_az_to_placement_aggregate: no aggregate with the zone, no member_of."""
    lone = host()
    assert run('AvailabilityZoneFilter', lone, spec(availability_zone='az1')) is None
    assert run_loaded('AvailabilityZoneFilter', lone, spec(availability_zone='az9'),
                      [dict(aggregates=AZ1)]) is None


def test_availability_zone_filter_reason_and_default_option():
    others = [dict(aggregates=AZ1)]
    why = run_loaded('AvailabilityZoneFilter', host(), spec(availability_zone='az1'), others)
    assert why == 'in availability zone nova, az1 requested'
    assert run_loaded('AvailabilityZoneFilter', host(), spec(availability_zone='az1'), others,
                      default_availability_zone='zz') == 'in availability zone zz, az1 requested'


@pytest.mark.parametrize('value, req, expected', [
    ('4', '4', True), ('4', '5', False),
    ('4', '= 3', True), ('4', '= 5', False),                   # '=' means at least
    ('4', '== 4', True), ('4', '== 4.0', True), ('4', '!= 4', False),
    ('4', '>= 4', True), ('3', '>= 4', False), ('4', '<= 4', True), ('5', '<= 4', False),
    ('abc', 's== abc', True), ('abc', 's!= abc', False), ('abc', 's< abd', True),
    ('abd', 's<= abc', False), ('b', 's> a', True), ('a', 's>= b', False),
    ('avx avx2 sse', '<in> avx2', True), ('avx sse', '<in> avx512', False),
    ('avx avx2 sse', '<all-in> avx sse', True), ('avx sse', '<all-in> avx avx2', False),
    ('kvm', '<or> qemu <or> kvm', True), ('xen', '<or> qemu <or> kvm', False),
    ('QEMU', '>= 4', False),                                     # not a number: no match
])
def test_extra_specs_ops(value, req, expected):
    assert extra_specs_ops.match(value, req) is expected


@pytest.mark.parametrize('extra_specs, passes', [
    ({}, True),
    ({'capabilities:hypervisor_type': 's== QEMU'}, True),
    ({'capabilities:hypervisor_type': 's== Xen'}, False),
    ({'hypervisor_type': 'QEMU'}, True),                        # unscoped, a host field
    ({'hypervisor_type': 'Xen'}, False),
    ({'no_such_field': 'x'}, True),                             # unscoped, unknown: ignored
    ({'hw:cpu_policy': 'dedicated'}, True),                     # other scope: ignored
    ({'capabilities:vcpus_total': '>= 4'}, True),
    ({'capabilities:vcpus_total': '>= 5'}, False),
    ({'capabilities:cpu_info:arch': 'x86_64'}, True),           # walks into JSON cpu_info
    ({'capabilities:cpu_info:vendor': 'AMD'}, False),
    ({'capabilities:cpu_info:features': '<in> avx2'}, True),
    ({'capabilities:ssd': 'true'}, True),                       # from stats
    ({'capabilities:missing': 'x'}, False),
])
def test_compute_capabilities_filter(extra_specs, passes):
    state = host(hypervisor_type='QEMU', stats={'ssd': 'true'},
                 cpu_info=json.dumps({'arch': 'x86_64', 'vendor': 'Intel', 'features': ['avx', 'avx2']}))
    why = run('ComputeCapabilitiesFilter', state, spec(flavor=flavor_specs(extra_specs)))
    assert (why is None) == passes


def test_compute_capabilities_filter_reason():
    why = run('ComputeCapabilitiesFilter', host(hypervisor_type='QEMU'),
              spec(flavor=flavor_specs({'capabilities:hypervisor_type': 's== Xen'})))
    assert why == "extra spec capabilities:hypervisor_type='s== Xen' does not match the host value 'QEMU'"


SUPPORTED = [['x86_64', 'qemu', 'hvm'], ['i686', 'qemu', 'hvm']]


@pytest.mark.parametrize('props, fields, passes', [
    ({}, dict(), True),                                          # nothing asked
    ({'architecture': 'x86_64'}, dict(), False),                 # host advertises nothing
    ({'architecture': 'x86_64'}, dict(supported_instances=SUPPORTED), True),
    ({'hw_architecture': 'amd64'}, dict(supported_instances=SUPPORTED), True),    # alias
    ({'architecture': 'i386', 'hypervisor_type': 'QEMU'}, dict(supported_instances=SUPPORTED), True),
    ({'architecture': 'aarch64'}, dict(supported_instances=SUPPORTED), False),
    ({'img_hv_type': 'xen'}, dict(supported_instances=SUPPORTED), False),
    ({'vm_mode': 'hvm'}, dict(supported_instances=SUPPORTED), True),
    ({'vm_mode': 'pv'}, dict(supported_instances=SUPPORTED), False),            # pv = xen
    ({'hypervisor_type': 'qemu', 'img_hv_requested_version': '>=7.2'},
     dict(supported_instances=SUPPORTED, hypervisor_version=7002000), True),
    ({'hypervisor_type': 'qemu', 'img_hv_requested_version': '>=7.2, <8'},
     dict(supported_instances=SUPPORTED, hypervisor_version=8000000), False),
    ({'hypervisor_type': 'qemu', 'hypervisor_version_requires': '>7.2'},
     dict(supported_instances=SUPPORTED, hypervisor_version=7002000), False),
    ({'img_hv_requested_version': '>=9.0'}, dict(supported_instances=SUPPORTED), True),  # no arch etc.
])
def test_image_properties_filter(props, fields, passes):
    why = run('ImagePropertiesFilter', host(**fields), spec(image={'properties': props}))
    assert (why is None) == passes


def test_image_properties_filter_default_architecture_and_reason():
    state = host(supported_instances=[['aarch64', 'qemu', 'hvm']])
    assert run('ImagePropertiesFilter', state, spec()) is None
    why = run('ImagePropertiesFilter', state, spec(), image_properties_default_architecture='x86_64')
    assert why == 'image asks for architecture=x86_64; the host supports aarch64/qemu/hvm'


def test_image_properties_filter_bad_version_requirement():
    state = host(supported_instances=SUPPORTED, hypervisor_version=7002000)
    with pytest.raises(ValidationError, match='img_hv_requested_version'):
        run('ImagePropertiesFilter', state,
            spec(image={'properties': {'architecture': 'x86_64', 'img_hv_requested_version': 'new'}}))


def group(policy, members=(), hosts=(), rules=None):
    return dict(uuid='g-1', name='web-ag', policy=policy, members=list(members), hosts=list(hosts),
                rules=rules or {})


@pytest.mark.parametrize('instances, grp, passes', [
    ({}, group('anti-affinity'), True),
    ({'a': None}, group('anti-affinity', members=['a']), False),          # a member is there
    ({'a': 'g-1'}, group('anti-affinity'), False),                         # the host's record says so
    ({'a': 'other'}, group('anti-affinity'), True),
    ({'a': None}, group('anti-affinity', members=['a'], rules={'max_server_per_host': 2}), True),
    ({'a': None, 'b': None}, group('anti-affinity', members=['a', 'b'],
                                   rules={'max_server_per_host': 2}), False),
    ({'a': None}, group('affinity', members=['a']), True),                 # other policy
    ({'new-1': 'g-1', 'a': 'g-1'}, group('anti-affinity'), True),          # the instance itself
])
def test_server_group_anti_affinity_filter(instances, grp, passes):
    why = run('ServerGroupAntiAffinityFilter', host(instances=instances), spec(instance_group=grp))
    assert (why is None) == passes


def test_server_group_anti_affinity_reasons():
    grp = group('anti-affinity', members=['a', 'b'], rules={'max_server_per_host': 2})
    assert run('ServerGroupAntiAffinityFilter', host(instances={'a': None}),
               spec(instance_group=group('anti-affinity', members=['a']))) == \
        'group web-ag already has a server there'
    assert run('ServerGroupAntiAffinityFilter', host(instances={'a': None, 'b': None}),
               spec(instance_group=grp)) == \
        'group web-ag already has 2 servers there (max_server_per_host 2)'


@pytest.mark.parametrize('grp, passes', [
    (None, True),
    (group('affinity'), True),                       # no hosts yet: anywhere
    (group('affinity', hosts=['hv1']), True),
    (group('affinity', hosts=['hv2']), False),
    (group('anti-affinity', hosts=['hv2']), True),
    (dict(uuid='g', policies=['affinity'], hosts=['hv2']), False),   # older spec shape
])
def test_server_group_affinity_filter(grp, passes):
    why = run('ServerGroupAffinityFilter', host(), spec(instance_group=grp))
    assert (why is None) == passes


@pytest.mark.parametrize('name, hint, passes', [
    ('SameHostFilter', None, True),
    ('SameHostFilter', ['a'], True),
    ('SameHostFilter', 'a', True),
    ('SameHostFilter', ['x', 'y'], False),
    ('DifferentHostFilter', None, True),
    ('DifferentHostFilter', ['a'], False),
    ('DifferentHostFilter', ['x', 'b'], False),
    ('DifferentHostFilter', ['x'], True),
])
def test_same_and_different_host_filters(name, hint, passes):
    key = 'same_host' if name == 'SameHostFilter' else 'different_host'
    hints = {key: hint} if hint is not None else {}
    why = run(name, host(instances={'a': None, 'b': None}), spec(scheduler_hints=hints))
    assert (why is None) == passes


@pytest.mark.parametrize('extra_specs, metadata, passes', [
    ({}, {}, True),
    ({'ssd': 'true'}, {'ssd': 'true'}, True),
    ({'ssd': 'true'}, {}, False),
    ({'aggregate_instance_extra_specs:ssd': 'true'}, {'ssd': 'true'}, True),
    ({'aggregate_instance_extra_specs:ssd': 'true'}, {'ssd': 'false'}, False),
    ({'capabilities:ssd': 'true'}, {}, True),                       # other scope: ignored
    ({'gpu': '<or> a100 <or> h100'}, {'gpu': 'v100,h100'}, True),
])
def test_aggregate_instance_extra_specs_filter(extra_specs, metadata, passes):
    state = host(aggregates=[{'name': 'fast', 'metadata': metadata}])
    why = run('AggregateInstanceExtraSpecsFilter', state, spec(flavor=flavor_specs(extra_specs)))
    assert (why is None) == passes


@pytest.mark.parametrize('metadata, props, options, passes', [
    ({}, {'os_distro': 'debian'}, {}, True),
    ({'os_distro': 'debian'}, {'os_distro': 'debian'}, {}, True),
    ({'os_distro': 'debian'}, {'os_distro': 'ubuntu'}, {}, False),
    ({'os_distro': 'debian'}, {}, {}, True),
    ({'os_distro': 'debian'}, {'os_distro': 'ubuntu'},
     {'aggregate_image_properties_isolation_namespace': 'iso'}, True),
    ({'iso.os_distro': 'debian'}, {'iso.os_distro': 'ubuntu'},
     {'aggregate_image_properties_isolation_namespace': 'iso'}, False),
])
def test_aggregate_image_properties_isolation(metadata, props, options, passes):
    state = host(aggregates=[{'name': 'a', 'metadata': metadata}])
    why = run('AggregateImagePropertiesIsolation', state, spec(image={'properties': props}), **options)
    assert (why is None) == passes


@pytest.mark.parametrize('name, fields, options, passes', [
    ('NumInstancesFilter', dict(num_instances=49), {}, True),
    ('NumInstancesFilter', dict(num_instances=50), {}, False),
    ('NumInstancesFilter', dict(num_instances=2), {'max_instances_per_host': 2}, False),
    ('AggregateNumInstancesFilter', dict(num_instances=3, aggregates=[
        {'name': 'a', 'metadata': {'max_instances_per_host': '3'}}]), {}, False),
    ('AggregateNumInstancesFilter', dict(num_instances=3, aggregates=[
        {'name': 'a', 'metadata': {'max_instances_per_host': 'many'}}]), {}, True),
    ('IoOpsFilter', dict(num_io_ops=7), {}, True),
    ('IoOpsFilter', dict(num_io_ops=8), {}, False),
    ('IoOpsFilter', dict(num_io_ops=0), {'max_io_ops_per_host': 0}, False),
    ('AggregateIoOpsFilter', dict(num_io_ops=2, aggregates=[
        {'name': 'a', 'metadata': {'max_io_ops_per_host': '2'}},
        {'name': 'b', 'metadata': {'max_io_ops_per_host': '5'}}]), {}, False),   # smallest wins
])
def test_count_filters(name, fields, options, passes):
    why = run(name, host(**fields), spec(), **options)
    assert (why is None) == passes


@pytest.mark.parametrize('query, passes', [
    (None, True),
    ('[">=", "$free_ram_mb", 8192]', True),
    ('[">=", "$free_ram_mb", 8193]', False),
    (['and', ['=', '$hypervisor_type', 'QEMU'], ['<', '$num_instances', 3]], True),
    (['or', ['=', '$hypervisor_type', 'Xen'], ['in', '$host', 'hv2', 'hv3']], False),
    (['not', ['=', '$host', 'hv1']], False),
    (['=', '$stats.ssd', 'true'], True),
    (['=', '$missing', 1], False),                       # missing values drop out: < 2 args
])
def test_json_filter(query, passes):
    state = host(hypervisor_type='QEMU', stats={'ssd': 'true'})
    hints = {} if query is None else {'query': query}
    why = run('JsonFilter', state, spec(scheduler_hints=hints))
    assert (why is None) == passes


@pytest.mark.parametrize('query, words', [
    ('not json', 'must be JSON'),
    ('["~", 1, 2]', "unknown operator '~'"),
])
def test_json_filter_bad_query(query, words):
    with pytest.raises(ValidationError, match=words):
        run('JsonFilter', host(), spec(scheduler_hints={'query': query}))


@pytest.mark.parametrize('query, passes', [
    (None, True),
    ('free_ram_mb >= `4096`', True),
    ('free_ram_mb >= `10000`', False),
    ("aggregates[?metadata.ssd == 'true'] | length(@) > `0`", True),
    ('missing_field', False),
])
def test_jmespath_filter(query, passes):
    state = host(aggregates=[{'name': 'a', 'metadata': {'ssd': 'true'}}])
    hints = {} if query is None else {'jmespath_query': query}
    why = run('JmesPathFilter', state, spec(scheduler_hints=hints))
    assert (why is None) == passes


def test_jmespath_filter_bad_expression():
    with pytest.raises(ValidationError, match='jmespath_query'):
        run('JmesPathFilter', host(), spec(scheduler_hints={'jmespath_query': 'a[?'}))


def test_all_hosts_filter():
    assert run('AllHostsFilter', host(service_disabled=True), spec()) is None


@pytest.mark.parametrize('name, once', [
    ('ResourceFilter', True), ('ServerGroupAntiAffinityFilter', False),
    ('ServerGroupAffinityFilter', False), ('NumInstancesFilter', False), ('IoOpsFilter', False),
    ('JsonFilter', False), ('JmesPathFilter', False),
    ('ComputeFilter', True), ('AvailabilityZoneFilter', True), ('ComputeCapabilitiesFilter', True),
    ('ImagePropertiesFilter', True), ('SameHostFilter', True), ('DifferentHostFilter', True),
    ('AggregateInstanceExtraSpecsFilter', True), ('AllHostsFilter', True),
])
def test_run_filter_for_index(name, once):
    host_filter = FILTERS[name](resolve(), NOW)
    assert host_filter.run_filter_for_index(0)
    assert host_filter.run_filter_for_index(1) is not once
    assert host_passes(host_filter, host(), spec()) is True


@pytest.mark.parametrize('seed', range(10))
def test_compute_filter_bulk_form_reads_the_heartbeat_as_the_rule_does(seed):
    """Host states from the fleet database carry `heartbeat` and `forced_down`: the bulk form
    removes exactly the hosts the per-host rule turns away."""
    import datetime
    rng = random.Random(seed)
    hosts, _groups = random_cluster(seed, 40, True)
    for data in hosts:
        data['heartbeat'] = (NOW - datetime.timedelta(seconds=rng.choice((5, 30, 90, 400)))).isoformat()
        data['forced_down'] = rng.random() < 0.1
    host_states = HostStates(hosts)
    alive = bytearray([1] * len(hosts))
    candidates = list(range(len(hosts)))
    host_filter = FILTERS['ComputeFilter'](resolve({'service_down_time': 60}), NOW)
    expected = [(index, host_filter.rejection(host_states.states[index], {})) for index in candidates]
    expected = [(index, why) for index, why in expected if why is not None]
    assert expected and host_filter.filter_all(host_states, candidates, {}, alive) == expected


# -- filter_all, the bulk form the scheduler engine uses for the first instance -------------

@pytest.mark.parametrize('seed', range(40))
def test_filter_all_equals_the_rule_host_by_host(seed):
    """Every filter's filter_all (fast paths from values computed per load) removes exactly
    the hosts `rejection` turns away, with the same reasons, on random clusters."""
    rng = random.Random(seed)
    coarse = seed % 2 == 0
    hosts, groups = random_cluster(seed, rng.randrange(1, 60), coarse)
    host_states = HostStates(hosts)
    for _request in range(3):
        request = random_request(rng, hosts, groups, rng.choice((1, 3)), coarse)
        request['instance_uuid'] = request['instance_uuids'][0]
        group = request.get('instance_group')
        if group and rng.random() < 0.5:
            group['hosts'] = [rng.choice(hosts)['host']]
        if rng.random() < 0.3:
            request['scheduler_hints']['same_host'] = [rng.choice(list(hosts[0]['instances']) or ['x'])]
            request['scheduler_hints']['different_host'] = list(hosts[-1]['instances'])[:2]
        alive = bytearray(rng.choice((0, 1, 1, 1)) for _host in host_states.states)
        candidates = [index for index, flag in enumerate(alive) if flag]
        for name in sorted(FILTERS):
            host_filter = FILTERS[name](resolve({'service_down_time': rng.choice((60, 300))}), NOW)
            host_filter.load(host_states)
            expected = [(index, host_filter.rejection(host_states.states[index], request))
                        for index in candidates]
            expected = [(index, why) for index, why in expected if why is not None]
            removed = host_filter.filter_all(host_states, candidates, request, alive) \
                if host_filter.applies(request) else []
            assert removed == expected, name


@pytest.mark.parametrize('name, request_fields, applies', [
    ('AllHostsFilter', {}, False),
    ('AvailabilityZoneFilter', {}, False),
    ('AvailabilityZoneFilter', {'availability_zone': 'az1'}, True),
    ('ComputeCapabilitiesFilter', {'flavor': flavor_specs({'hw:cpu_policy': 'dedicated'})}, False),
    ('ComputeCapabilitiesFilter', {'flavor': flavor_specs({'capabilities:ssd': 'true'})}, True),
    ('ImagePropertiesFilter', {}, False),
    ('ImagePropertiesFilter', {'image': {'properties': {'vm_mode': 'hvm'}}}, True),
    ('ServerGroupAntiAffinityFilter', {'instance_group': group('affinity')}, False),
    ('ServerGroupAntiAffinityFilter', {'instance_group': group('anti-affinity')}, True),
    ('ServerGroupAffinityFilter', {'instance_group': group('affinity')}, False),
    ('ServerGroupAffinityFilter', {'instance_group': group('affinity', hosts=['hv2'])}, True),
    ('JsonFilter', {'scheduler_hints': {'query': ['=', 1, 1]}}, True),
    ('JmesPathFilter', {}, False),
    ('ResourceFilter', {}, True),
])
def test_applies_is_false_only_when_every_host_passes(name, request_fields, applies):
    assert FILTERS[name](resolve(), NOW).applies(spec(**request_fields)) is applies
