# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Claims: the fit check under the host lock, claim files, release, stale claims."""

import json
import multiprocessing
import os
import subprocess
import sys
import time

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.compute import claims
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.resources import fit_failures

FLAVOR = {'vcpus': 2, 'memory_mb': 1024, 'root_gb': 10, 'ephemeral_gb': 1, 'swap': 512}


def host_fit(capacity_instances, delay=0.0):
    """A fits_check for a host with room for `capacity_instances` of FLAVOR, computed the way
    the build does (resources.fit_failures over a host state counting the claims)."""
    def check(current):
        if delay:
            time.sleep(delay)  # widen the window between reading the claims and writing one
        state = {'vcpus_total': 2 * capacity_instances, 'memory_mb_total': 1024 * capacity_instances,
                 'disk_gb_total': 12 * capacity_instances, 'cpu_allocation_ratio': 1.0,
                 'ram_allocation_ratio': 1.0, 'disk_allocation_ratio': 1.0,
                 'vcpus_used': sum(c['vcpus'] for c in current),
                 'memory_mb_used': sum(c['memory_mb'] for c in current),
                 'disk_gb_used': sum(c['disk_gb'] for c in current)}
        return fit_failures(state, {'VCPU': 2, 'MEMORY_MB': 1024, 'DISK_GB': 12})
    return check


def test_claim_writes_and_release_removes(tmp_path):
    state = str(tmp_path)
    with claims.claim(state, 'u1', FLAVOR, host_fit(2)) as held:
        public = dict((k, held.data.get(k)) for k in claims.PUBLIC_KEYS)
        assert public == {'instance_uuid': 'u1', 'vcpus': 2, 'memory_mb': 1024,
                          'disk_gb': 12, 'created': held.data['created']}
    listed = claims.list_claims(state)
    assert [c['instance_uuid'] for c in listed] == ['u1']
    assert set(listed[0]) == set(claims.PUBLIC_KEYS)
    assert claims.release(state, 'u1') is True
    assert claims.list_claims(state) == []
    assert claims.release(state, 'u1') is False


def test_claim_that_does_not_fit_leaves_nothing(tmp_path):
    state = str(tmp_path)
    with claims.claim(state, 'u1', FLAVOR, host_fit(1)):
        pass
    with pytest.raises(claims.ClaimError) as err:
        with claims.claim(state, 'u2', FLAVOR, host_fit(1)):
            pytest.fail('the block must not run')
    assert 'VCPU: requested 2, used 2 of capacity 2' in str(err.value)
    assert [c['instance_uuid'] for c in claims.list_claims(state)] == ['u1']


def test_exception_in_block_releases(tmp_path):
    state = str(tmp_path)
    with pytest.raises(RuntimeError):
        with claims.claim(state, 'u1', FLAVOR, host_fit(1)):
            raise RuntimeError('network failed')
    assert not claims.has_claim(state, 'u1')


def test_ports_and_dhcp_entries_recorded(tmp_path):
    state = str(tmp_path)
    port = {'id': 'p1', 'network_id': 'n1', 'mac': 'fa:16:3e:00:00:01', 'fixed_ip': '10.0.0.5',
            'dhcp_network': 'net1'}
    with claims.claim(state, 'u1', FLAVOR, host_fit(2)) as held:
        held.save_ports([port])
    assert claims.claimed_ports(state) == [port]
    assert claims.claimed_ports(state, exclude='u1') == []
    assert claims.claim_dhcp_entries(state, 'u1') == [('net1', 'fa:16:3e:00:00:01')]


def test_own_claim_not_counted_against_itself(tmp_path):
    state = str(tmp_path)
    with claims.claim(state, 'u1', FLAVOR, host_fit(1)):
        pass
    # Re-checking the same instance sees the others only.
    assert claims.check_fit(state, 'u1', host_fit(1)) == []
    assert claims.check_fit(state, 'u2', host_fit(1)) != []


def test_claim_of_dead_process_is_stale(tmp_path):
    state = str(tmp_path)
    dead = subprocess.Popen([sys.executable, '-c', 'pass'])
    dead.wait()
    os.makedirs(os.path.join(state, 'claims'))
    with open(os.path.join(state, 'claims', 'gone.json'), 'w') as handle:
        json.dump({'instance_uuid': 'gone', 'vcpus': 2, 'memory_mb': 1024, 'disk_gb': 12,
                   'created': '2026-01-01T00:00:00Z', 'pid': dead.pid}, handle)
    assert claims.list_claims(state) == []
    with claims.claim(state, 'u1', FLAVOR, host_fit(1)):
        pass


def _contend(state, name, queue):
    try:
        with claims.claim(state, name, FLAVOR, host_fit(1, delay=0.3)):
            queue.put((name, 'claimed', time.monotonic()))
            time.sleep(0.2)
    except claims.ClaimError as exc:
        queue.put((name, 'refused: %s' % exc, time.monotonic()))


def test_two_processes_contending_for_the_last_slot(tmp_path):
    """Without the lock both would read zero claims during the delay and both would claim."""
    state = str(tmp_path)
    ctx = multiprocessing.get_context('fork')
    queue = ctx.Queue()
    procs = [ctx.Process(target=_contend, args=(state, name, queue)) for name in ('a', 'b')]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(20)
        assert proc.exitcode == 0
    results = sorted(queue.get(timeout=5) for _dummy in procs)
    outcomes = [r[1] for r in results]
    assert outcomes.count('claimed') == 1, outcomes
    refused = [o for o in outcomes if o.startswith('refused')]
    assert len(refused) == 1 and 'VCPU' in refused[0]
    winner = [r[0] for r in results if r[1] == 'claimed'][0]
    assert os.listdir(os.path.join(state, 'claims')) == ['%s.json' % winner]


def test_second_live_claim_for_same_instance_refused(tmp_path):
    state = str(tmp_path)
    with claims.claim(state, 'u1', FLAVOR, host_fit(4)):
        pass
    with pytest.raises(claims.ClaimError, match='already in progress'):
        with claims.claim(state, 'u1', FLAVOR, host_fit(4)):
            pass
    assert claims.has_claim(state, 'u1')


def test_a_migration_claim_counts_without_a_process_until_it_expires(tmp_path):
    """The destination's claim of a resize to another host is held by no process: it counts
    (and refuses a second claim of the instance) until the finish releases it or it expires."""
    state = str(tmp_path)
    flavor = {'vcpus': 2, 'memory_mb': 256, 'root_gb': 2}
    held = claims.migration_claim(state, 'm-1', flavor, lambda others: [], 'hv1')
    assert held['vcpus'] == 2 and held['disk_gb'] == 2
    assert [c['instance_uuid'] for c in claims.list_claims(state)] == ['m-1']
    with pytest.raises(claims.ClaimError) as info:
        claims.migration_claim(state, 'm-1', flavor, lambda others: [], 'hv1')
    assert 'already in progress' in str(info.value)
    with pytest.raises(claims.ClaimError) as info:
        claims.migration_claim(state, 'm-2', flavor, lambda others: ['VCPU: requested 2, used 7 of capacity 8'], 'hv1')
    assert 'VCPU: requested 2' in str(info.value) and not claims.has_claim(state, 'm-2')
    assert claims.release(state, 'm-1') and claims.list_claims(state) == []
    claims.migration_claim(state, 'm-3', flavor, lambda others: [], 'hv1', expire=-1)
    assert claims.list_claims(state) == [] and claims.has_claim(state, 'm-3')
