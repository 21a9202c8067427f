# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Builds of several servers on one host at once (Nova's max_concurrent_builds) against
libvirt's test driver, with the real qemu-img, image cache, claims, compute lock and build
slots. Each build is a thread here; the slots and the lock are flocks on descriptors of
their own, which threads contend for as processes do."""

import shutil
import threading

import pytest

libvirt = pytest.importorskip('libvirt')

from ansible_collections.novalite.compute.plugins.module_utils.compute import build  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import claims  # noqa: E402

from build_fixtures import params, runner, server  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which('qemu-img') is None, reason='needs qemu-img')
UUIDS = ['0b9c6a55-5a0c-4c6e-9a5e-3b2a7f9d1c1%d' % i for i in range(4)]


def servers(catalog, count, **over):
    return [server(catalog, uuid=UUIDS[i], name='web %d' % i, hostname='web-%d' % i, **over)
            for i in range(count)]


def domains(conn):
    return sorted(d.UUIDString() for d in conn.listAllDomains())


def build_all(conn, tmp_path, batch, bound, build_runner=runner):
    """Build every server of `batch` at once, one thread a build; their results in order."""
    results = [None] * len(batch)

    def one(index):
        builder = build.Builder(conn, params(tmp_path, batch[index], max_concurrent_builds=bound),
                                build_runner)
        try:
            results[index] = builder.build()
        except build.BuildError as exc:
            results[index] = {'failed': True, 'failed_step': exc.step, 'reschedule': exc.reschedule}

    threads = [threading.Thread(target=one, args=(index,)) for index in range(len(batch))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_two_builds_overlap_in_time(host, tmp_path, catalog):
    # Each build waits at the creation of its root disk (in its own instance directory, out
    # of the compute lock) until the other gets there too: builds run one after another
    # would break the barrier and fail their image step.
    barrier = threading.Barrier(2, timeout=10)
    instances = str(tmp_path / 'instances')

    def meeting_runner(args):
        if any(arg.startswith(instances) and arg.endswith('/disk') for arg in args):
            barrier.wait()
        return runner(args)

    results = build_all(host, tmp_path, servers(catalog, 2), 2, meeting_runner)
    assert [r.get('failed') for r in results] == [None, None], results
    assert [r['server']['vm_state'] for r in results] == ['active', 'active']
    assert domains(host) == sorted(UUIDS[:2])
    # Each got ports of its own though both allocated at once.
    ips = [r['server']['ports'][0]['fixed_ip'] for r in results]
    assert len(set(ips)) == 2


def test_the_bound_holds(host, tmp_path, catalog):
    lock = threading.Lock()
    running = {'now': 0, 'most': 0}
    instances = str(tmp_path / 'instances')

    def counting_runner(args):
        # qemu-img on an instance's own files: the build is past its claim.
        if not any(arg.startswith(instances) for arg in args):
            return runner(args)
        with lock:
            running['now'] += 1
            running['most'] = max(running['most'], running['now'])
        try:
            return runner(args)
        finally:
            with lock:
                running['now'] -= 1

    results = build_all(host, tmp_path, servers(catalog, 3, ephemeral_gb=0), 1, counting_runner)
    assert all(not r.get('failed') for r in results), results
    assert running['most'] == 1
    assert domains(host) == sorted(UUIDS[:3])


def test_a_failed_build_leaves_the_others_alone(host, tmp_path, catalog):
    batch = servers(catalog, 2)
    batch[1]['image'] = dict(catalog['image'], id='img-bad', checksum='sha256:' + '0' * 64)
    results = build_all(host, tmp_path, batch, 10)
    assert not results[0].get('failed') and results[0]['server']['vm_state'] == 'active'
    assert results[1] == {'failed': True, 'failed_step': 'image', 'reschedule': True}
    # Rolled back: only the failed build, which left nothing; the other runs on.
    assert domains(host) == [UUIDS[0]]
    assert host.lookupByUUIDString(UUIDS[0]).isActive()
    assert not (tmp_path / 'instances' / UUIDS[1]).exists()
    assert claims.list_claims(str(tmp_path / 'state')) == []


def test_racing_claims_never_exceed_capacity(host, tmp_path, catalog):
    # 5376 MiB fit on the test host: two servers of 2048 MiB, not three.
    flavor = {'name': 'm1.big', 'flavorid': '2', 'vcpus': 1, 'memory_mb': 2048, 'root_gb': 1,
              'ephemeral_gb': 0, 'swap': 0, 'extra_specs': {}}
    results = build_all(host, tmp_path, servers(catalog, 4, flavor=flavor), 4)
    built = [r for r in results if not r.get('failed')]
    refused = [r for r in results if r.get('failed')]
    assert len(built) == 2 and len(refused) == 2, results
    assert all(r['failed_step'] == 'claim' and r['reschedule'] for r in refused)
    assert domains(host) == sorted(r['server']['uuid'] for r in built)


def test_a_bad_bound_fails_validation_naming_the_field(host, tmp_path, catalog):
    builder = build.Builder(host, params(tmp_path, servers(catalog, 1)[0], max_concurrent_builds=-1), runner)
    with pytest.raises(build.BuildError) as failed:
        builder.build()
    assert failed.value.step == 'validate' and not failed.value.reschedule
    assert 'max_concurrent_builds: must be 0 (no bound) or more, got -1' in failed.value.cause
    assert domains(host) == []
