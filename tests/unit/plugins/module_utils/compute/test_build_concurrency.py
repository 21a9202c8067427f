# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Concurrent builds on one host (Nova's max_concurrent_builds) against libvirt's test driver,
with the real qemu-img, image cache, claims and compute lock."""

import shutil
import threading

import pytest

libvirt = pytest.importorskip('libvirt')

from ansible_collections.novalite.compute.plugins.module_utils.compute import build  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import claims  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import image_cache  # noqa: E402

from build_fixtures import image_catalog, open_test_host, params, runner, server  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which('qemu-img') is None, reason='needs qemu-img')
UUIDS = ['0b9c6a55-5a0c-4c6e-9a5e-3b2a7f9d1c1%d' % i for i in range(4)]


@pytest.fixture
def host(tmp_path):
    conn = open_test_host(tmp_path)
    yield conn
    conn.close()


@pytest.fixture
def catalog(tmp_path):
    return image_catalog(tmp_path)


def servers(catalog, count, **over):
    return [server(catalog, uuid=UUIDS[i], name='web %d' % i, hostname='web-%d' % i, **over)
            for i in range(count)]


def domains(conn):
    return sorted(d.UUIDString() for d in conn.listAllDomains())


def test_two_builds_overlap_in_time(host, tmp_path, catalog):
    # Each build waits at the creation of its root disk (in its own instance directory, out
    # of every lock) until the other gets there too: builds run one after another would break
    # the barrier and fail their image step.
    barrier = threading.Barrier(2, timeout=10)
    instances = str(tmp_path / 'instances')

    def meeting_runner(args):
        if any(arg.startswith(instances) and arg.endswith('/disk') for arg in args):
            barrier.wait()
        return runner(args)

    results = build.build_instances(host, params(tmp_path, None), meeting_runner,
                                    servers(catalog, 2), max_concurrent_builds=2)
    assert [r.get('failed') for r in results] == [None, None], results
    assert [r['instance_uuid'] for r in results] == UUIDS[:2]
    assert [r['server']['vm_state'] for r in results] == ['active', 'active']
    assert domains(host) == sorted(UUIDS[:2])
    # Each got ports of its own though both allocated at once.
    ips = [r['server']['ports'][0]['fixed_ip'] for r in results]
    assert len(set(ips)) == 2


def test_the_bound_holds(host, tmp_path, catalog):
    lock = threading.Lock()
    running = {'now': 0, 'most': 0}

    def counting_runner(args):
        with lock:
            running['now'] += 1
            running['most'] = max(running['most'], running['now'])
        try:
            return runner(args)
        finally:
            with lock:
                running['now'] -= 1

    results = build.build_instances(host, params(tmp_path, None), counting_runner,
                                    servers(catalog, 3, ephemeral_gb=0), max_concurrent_builds=1)
    assert all(not r.get('failed') for r in results), results
    assert running['most'] == 1


def test_a_failed_build_leaves_the_others_alone(host, tmp_path, catalog):
    batch = servers(catalog, 2)
    batch[1]['image'] = dict(catalog['image'], id='img-bad', checksum='sha256:' + '0' * 64)
    results = build.build_instances(host, params(tmp_path, None), runner, batch)
    assert not results[0].get('failed') and results[0]['server']['vm_state'] == 'active'
    failed = results[1]
    assert failed['failed'] is True and failed['failed_step'] == 'image'
    assert failed['reschedule'] is True and failed['instance_uuid'] == UUIDS[1]
    assert UUIDS[1] in failed['msg'] and 'hv1' in failed['msg']
    # Rolled back: only the failed build, which left nothing; the other runs on.
    assert domains(host) == [UUIDS[0]]
    assert host.lookupByUUIDString(UUIDS[0]).isActive()
    assert not (tmp_path / 'instances' / UUIDS[1]).exists()
    assert (tmp_path / 'instances' / UUIDS[0]).exists()
    assert claims.list_claims(str(tmp_path / 'state')) == []


def test_racing_claims_never_exceed_capacity(host, tmp_path, catalog):
    # 5376 MiB fit on the test host: two servers of 2048 MiB, not three.
    flavor = {'name': 'm1.big', 'flavorid': '2', 'vcpus': 1, 'memory_mb': 2048, 'root_gb': 1,
              'ephemeral_gb': 0, 'swap': 0, 'extra_specs': {}}
    results = build.build_instances(host, params(tmp_path, None), runner,
                                    servers(catalog, 4, flavor=flavor), max_concurrent_builds=4)
    built = [r for r in results if not r.get('failed')]
    refused = [r for r in results if r.get('failed')]
    assert len(built) == 2 and len(refused) == 2, results
    assert all(r['failed_step'] == 'claim' and r['reschedule'] for r in refused)
    assert domains(host) == sorted(r['instance_uuid'] for r in built)


def test_the_bound_must_be_positive(host, tmp_path, catalog):
    with pytest.raises(ValueError, match='max_concurrent_builds: must be at least 1'):
        build.build_instances(host, params(tmp_path, None), runner, servers(catalog, 1),
                              max_concurrent_builds=0)
    assert domains(host) == []


def test_the_batch_asks_for_the_controller_images_before_building(host, tmp_path, catalog):
    batch = servers(catalog, 2)
    del batch[1]['kernel'], batch[1]['ramdisk']
    settings = params(tmp_path, None, controller_images=['image', 'kernel', 'ramdisk'])
    assert build.batch_images_needed(host, settings, runner, batch) == ['image', 'kernel', 'ramdisk']
    # Nothing claimed, nothing built, nothing counted while the images are on their way.
    assert domains(host) == [] and claims.list_claims(str(tmp_path / 'state')) == []
    image_cache.fetch_image(str(tmp_path / 'state'), catalog['image'], runner)
    image_cache.fetch_image(str(tmp_path / 'state'), dict(catalog['kernel'], disk_format='aki'), runner)
    assert build.batch_images_needed(host, settings, runner, batch) == ['ramdisk']
