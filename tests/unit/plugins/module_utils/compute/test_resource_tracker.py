# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

import json
import os

import pytest
from lxml import etree

from ansible_collections.novalite.compute.plugins.module_utils.compute import claims
from ansible_collections.novalite.compute.plugins.module_utils.compute import resource_tracker as hf
from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record as sr
from ansible_collections.novalite.compute.plugins.module_utils.compute.host_settings import (
    FIELDS as HOST_SETTING_FIELDS, HostSettings,
)
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.resources import (
    fit_failures, host_inventory)

from libvirt_fixtures import connect_test_driver
from libvirt_helpers import DefinedDomains

DESIGN_NAMES = (
    'host', 'nodename', 'availability_zone', 'aggregates', 'vcpus_total', 'vcpus_used',
    'memory_mb_total', 'memory_mb_used', 'disk_gb_total', 'disk_gb_used', 'free_ram_mb',
    'free_disk_mb', 'disk_available_least', 'cpu_allocation_ratio', 'ram_allocation_ratio',
    'disk_allocation_ratio', 'reserved_host_memory_mb', 'reserved_host_disk_mb',
    'reserved_host_cpus', 'hypervisor_type', 'hypervisor_version', 'cpu_info',
    'supported_instances', 'num_instances', 'num_io_ops', 'instances', 'service_disabled',
    'failed_builds', 'stats', 'metrics', 'updated')

CAPS = '''<capabilities><host><cpu><arch>x86_64</arch><model>kvm64</model><vendor>AMD</vendor>
<topology sockets='1' dies='1' cores='2' threads='1'/><feature name='vme'/><feature name='avx'/>
</cpu></host>
<guest><os_type>hvm</os_type><arch name='i686'><domain type='qemu'/><domain type='kvm'/></arch></guest>
<guest><os_type>hvm</os_type><arch name='x86_64'><domain type='qemu'/><domain type='kvm'/></arch></guest>
</capabilities>'''

FLAVOR = {'id': '2', 'name': 'm1.small', 'vcpus': 2, 'memory_mb': 512, 'root_gb': 1,
          'ephemeral_gb': 1, 'swap': 512, 'extra_specs': {}}


def options(tmp_path, **over):
    """gather_host_state's arguments after the connection: the settings, then the rest."""
    values = dict(host='hv1', nodename='node1', instances_path=str(tmp_path / 'instances'),
                  state_path=str(tmp_path), availability_zone='az1',
                  aggregates=[{'name': 'agg', 'metadata': {'availability_zone': 'az1'}}],
                  cpu_allocation_ratio=16.0, ram_allocation_ratio=1.5, disk_allocation_ratio=1.0,
                  reserved_host_memory_mb=512, reserved_host_disk_mb=1024, reserved_host_cpus=0,
                  service_disabled=False, service_disabled_reason=None, forced_down=False,
                  virt_type='qemu',
                  claims=[])
    values.update(over)
    settings = HostSettings(**dict((k, values.pop(k)) for k in list(values)
                                   if k in HOST_SETTING_FIELDS and k != 'virt_type'))
    return dict(values, settings=settings)


@pytest.fixture
def conn():
    return connect_test_driver()


@pytest.fixture
def servers(conn):
    """Two servers: one active in group g1 (project p1), one building (project p2)."""
    with DefinedDomains(conn) as domains:
        def make(**fields):
            dom = domains.define('hf')
            sr.write_record(dom, sr.new_record(uuid=dom.UUIDString(), flavor=dict(FLAVOR), **fields))
            return dom

        yield [make(vm_state='active', project_id='p1',
                    instance_group={'uuid': 'g1', 'name': 'web', 'policy': 'affinity'}),
               make(vm_state='building', task_state='spawning', project_id='p2'),
               make(vm_state='deleted', project_id='p2')]


def test_every_design_name_and_usage(conn, servers, tmp_path):
    claim = {'instance_uuid': 'c-1', 'vcpus': 1, 'memory_mb': 64, 'disk_gb': 1,
             'created': '2026-01-01T00:00:00Z'}
    stale = {'instance_uuid': servers[0].UUIDString(), 'vcpus': 2, 'memory_mb': 512,
             'disk_gb': 3, 'created': '2026-01-01T00:00:00Z'}
    (tmp_path / 'failed_builds').write_text('3\n')
    state, table = hf.gather_host_state(conn, **options(tmp_path, claims=[claim, stale]))
    for name in DESIGN_NAMES + ('virt_type', 'claims', 'service_disabled_reason', 'forced_down'):
        assert name in state, name
    info = conn.getInfo()
    assert state['vcpus_total'] == info[2] and state['memory_mb_total'] == info[1]
    # two live servers (the deleted one holds nothing) + the claim; the stale claim of a
    # defined server is not counted twice
    assert state['vcpus_used'] == 2 * 2 + 1
    assert state['memory_mb_used'] == 2 * 512 + 64
    assert state['disk_gb_used'] == 2 * 3 + 1
    assert state['free_ram_mb'] == info[1] - 512 - (2 * 512 + 64)
    assert state['free_disk_mb'] == state['disk_gb_total'] * 1024 - 1024 - 7 * 1024
    assert state['claims'] == [claim]
    assert state['num_instances'] == 3
    assert state['num_io_ops'] == 2  # the building server and the claim
    assert state['instances'] == {servers[0].UUIDString(): 'g1',
                                  servers[1].UUIDString(): None, 'c-1': None}
    assert state['failed_builds'] == 3 and state['stats']['failed_builds'] == 3
    assert state['stats']['num_proj_p2'] == 1 and state['stats']['num_vm_active'] == 1
    assert state['hypervisor_type'] == 'QEMU'
    assert state['hypervisor_version'] == conn.getVersion()
    assert state['metrics'] == [] and state['nodename'] == 'node1'
    assert len(table['rows']) == 2  # the claim has no row, the deleted server none either
    assert list(state['instances']) == sorted(state['instances'])
    # the shared fit rule reads it as is
    assert fit_failures(state, {'VCPU': 1, 'MEMORY_MB': 64, 'DISK_GB': 1}) == []
    assert state['local_ip'] is None   # no VXLAN address given: the host reports none


def test_the_hosts_vxlan_address_is_reported_with_its_state(conn, tmp_path):
    state, _table = hf.gather_host_state(conn, **options(tmp_path, local_ip='10.81.0.11'))
    assert state['local_ip'] == '10.81.0.11'
    # an empty address is none, as the option left out
    assert hf.gather_host_state(conn, **options(tmp_path, local_ip=''))[0]['local_ip'] is None


def test_the_report_after_builds_counts_the_live_claims_and_resolves_the_virt_type(conn, tmp_path):
    """What server_build returns with report_host_state (and a Builder after its build): the
    claims read from the host's state path, the virt type resolved when none is given, no
    aggregates (the controller's), the zone and VXLAN address as given."""
    settings = HostSettings(state_path=str(tmp_path / 'state'), instances_path=str(tmp_path / 'instances'),
                            virt_type='qemu', reserved_host_cpus=1)
    with claims.claim(settings.state_path, 'c-1', FLAVOR, lambda current: []):
        pass  # a normal exit keeps the claim until it is released
    state, table = hf.report_host_state(conn, settings, host='hv1', availability_zone='az1',
                                        local_ip='10.81.0.11')
    assert [c['instance_uuid'] for c in state['claims']] == ['c-1']
    assert state['instances'] == {'c-1': None}
    assert state['vcpus_used'] == FLAVOR['vcpus'] + 1
    assert (state['host'], state['availability_zone'], state['aggregates']) == ('hv1', 'az1', [])
    assert (state['virt_type'], state['local_ip']) == ('qemu', '10.81.0.11')
    assert table['rows'] == []
    # The virt type the build resolved is taken as it is; without a zone there is none.
    state = hf.report_host_state(conn, settings, host='hv1', virt_type='kvm')[0]
    assert (state['virt_type'], state['availability_zone'], state['local_ip']) == ('kvm', None, None)
    claims.release(settings.state_path, 'c-1')
    assert hf.report_host_state(conn, settings, host='hv1')[0]['claims'] == []


def test_vcpus_used_counts_the_reserved_host_cpus_and_forced_down_is_reported(conn, servers, tmp_path):
    """Nova's resource tracker starts vcpus_used at reserved_host_cpus; placement's fit
    takes them off the capacity once, not twice."""
    state, _table = hf.gather_host_state(conn, **options(tmp_path, reserved_host_cpus=3,
                                                         forced_down=True))
    assert state['vcpus_used'] == 2 * 2 + 3
    assert state['forced_down'] is True
    vcpu = host_inventory(state)['VCPU']
    assert (vcpu['used'], vcpu['capacity']) == (2 * 2, (state['vcpus_total'] - 3) * 16)


def test_overcommit_is_virtual_minus_allocated(tmp_path):
    record = sr.new_record(uuid='u-1', flavor=dict(FLAVOR))
    disk_dir = tmp_path / 'u-1'
    disk_dir.mkdir()
    with open(str(disk_dir / 'disk'), 'wb') as handle:
        handle.write(b'x' * 65536)
    with open(str(disk_dir / 'disk.swap'), 'wb') as handle:
        handle.truncate(512 * 1024 * 1024)  # sparse: nothing allocated yet
    allocated = os.stat(str(disk_dir / 'disk')).st_blocks * 512
    # no disk.eph0 file: nothing to grow there
    assert hf._overcommit_bytes(str(tmp_path), record) == \
        (hf.GIB - allocated) + 512 * 1024 * 1024


def test_disk_available_least_counts_sparse_growth(conn, servers, tmp_path):
    before = hf.gather_host_state(conn, **options(tmp_path))[0]
    disk_dir = tmp_path / 'instances' / servers[0].UUIDString()
    disk_dir.mkdir(parents=True)
    for name in ('disk', 'disk.eph0'):
        with open(str(disk_dir / name), 'wb') as handle:
            handle.truncate(1)
    after = hf.gather_host_state(conn, **options(tmp_path))[0]
    # 2 GiB may still be written; floor rounding makes the drop 1 to 3 GB
    assert 1 <= before['disk_available_least'] - after['disk_available_least'] <= 3


def test_missing_instances_path_uses_the_nearest_parent(conn, tmp_path):
    state = hf.gather_host_state(conn, **options(tmp_path, instances_path=str(tmp_path / 'not' / 'there')))[0]
    st = os.statvfs(str(tmp_path))
    assert state['disk_gb_total'] == st.f_blocks * st.f_frsize // hf.GIB


def test_supported_instances_offer_kvm_only_with_kvm():
    caps = etree.fromstring(CAPS)
    assert hf.supported_instances(caps, 'qemu') == [['i686', 'qemu', 'hvm'],
                                                    ['x86_64', 'qemu', 'hvm']]
    assert ['x86_64', 'kvm', 'hvm'] in hf.supported_instances(caps, 'kvm')


def test_cpu_info_is_compact():
    assert hf.cpu_info(etree.fromstring(CAPS)) == {
        'arch': 'x86_64', 'model': 'kvm64', 'vendor': 'AMD',
        'topology': {'sockets': 1, 'cores': 2, 'threads': 1}, 'features': ['avx', 'vme']}


def test_host_state_and_servers_stay_small_at_50_servers(conn, tmp_path):
    """Nova-like ids (32 hex project and user ids, uuid groups), 5 projects, half the servers in
    3 groups, one address each, and a cpu_info with this machine's number of CPU features."""
    projects = ['%032x' % (0x5eed0000 + index) for index in range(5)]
    with DefinedDomains(conn) as domains:
        for index in range(50):
            dom = domains.define('size')
            sr.write_record(dom, sr.new_record(
                uuid=dom.UUIDString(), name='web-server-%02d' % index, flavor=dict(FLAVOR),
                vm_state='active', project_id=projects[index % 5],
                user_id=projects[index % 5][::-1],
                instance_group={'uuid': '6f1c0000-0000-4000-8000-%012d' % (index % 3)}
                if index % 2 else None,
                ports=[{'network_name': 'private', 'fixed_ip': '10.0.%d.%d' % (index // 200, index % 200),
                        'mac': 'fa:16:3e:00:00:%02x' % index}]))
        state, table = hf.gather_host_state(conn, **options(tmp_path))
        state['cpu_info']['features'] = ['feature-%02d' % n for n in range(75)]
        assert state['num_instances'] == 50
        size = len(json.dumps({'host_state': state, 'servers': table}))
        assert size <= 10 * 1024, size
        assert len(table['rows']) == 50


NANO = {'id': '1', 'name': 'm1.nano', 'vcpus': 1, 'memory_mb': 128, 'root_gb': 1,
        'ephemeral_gb': 0, 'swap': 0, 'extra_specs': {}}


def _migration(source, dest, status='finished'):
    return {'migration_type': 'resize', 'status': status, 'source_compute': source,
            'dest_compute': dest, 'source_node': None, 'dest_node': None,
            'old_vm_state': 'active', 'created_at': '2026-01-01T00:00:00Z'}


def test_a_resize_to_another_host_counts_the_old_flavor_on_the_source_only(conn, tmp_path):
    """The source's shut-off copy counts its old flavor there and is no server of the source;
    the destination counts the new flavor only; a same-host resize counts both."""
    with DefinedDomains(conn) as domains:
        copy, moved, same = domains.define('hf'), domains.define('hf'), domains.define('hf')
        # the source copy (this host is hv1, the server went to hv2)
        sr.write_record(copy, sr.new_record(uuid=copy.UUIDString(), host='hv1', flavor=dict(NANO),
                                            vm_state='resized', migration=_migration('hv1', 'hv2')))
        # a server resized from hv3 to this host
        sr.write_record(moved, sr.new_record(uuid=moved.UUIDString(), host='hv1', flavor=dict(FLAVOR),
                                             old_flavor=dict(NANO), vm_state='resized',
                                             migration=_migration('hv3', 'hv1')))
        # a resize on this host
        sr.write_record(same, sr.new_record(uuid=same.UUIDString(), host='hv1', flavor=dict(FLAVOR),
                                            old_flavor=dict(NANO), vm_state='resized',
                                            migration=_migration('hv1', 'hv1')))
        state, table = hf.gather_host_state(conn, **options(tmp_path))
        assert state['vcpus_used'] == 1 + 2 + (2 + 1)
        assert state['memory_mb_used'] == 128 + 512 + (512 + 128)
        assert sorted(state['instances']) == sorted([moved.UUIDString(), same.UUIDString()])
        assert state['num_instances'] == 2 and len(table['rows']) == 2
        assert [sr.is_source_copy(sr.read_record(dom)) for dom in (copy, moved, same)] == [True, False, False]
        # while the migration runs (no finished status, a task state) the source still shows it
        sr.write_record(copy, dict(sr.read_record(copy), task_state='resize_migrated',
                                   migration=_migration('hv1', 'hv2', 'migrating')))
        assert sr.is_source_copy(sr.read_record(copy)) is False
        assert len(sr.list_servers(conn, source_copies=False)) == 3
