# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Several builds from one command: real child processes, their results in the servers'
order, the bound on how many run at once, a child that dies or raises, and one server's
result out of the command's."""

import os
import signal
import time

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.compute import build_batch


def servers(n):
    return [{'uuid': 'u%d' % i, 'name': 'web-%d' % i} for i in range(n)]


def test_results_come_back_in_the_servers_order_each_from_its_own_process():
    def build_one(server):
        # The last server ends first: the order is the servers', not the finishing order.
        time.sleep(0.05 * (3 - int(server['uuid'][1:])))
        return {'server': server, 'pid': os.getpid()}

    results = build_batch.run_builds(build_one, servers(4), 0)
    assert [r['server']['uuid'] for r in results] == ['u0', 'u1', 'u2', 'u3']
    pids = set(r['pid'] for r in results)
    assert len(pids) == 4 and os.getpid() not in pids


@pytest.mark.parametrize('limit,most', [(1, 1), (2, 2), (0, 5)])
def test_at_most_limit_builds_run_at_once(tmp_path, limit, most):
    """Each build leaves a file while it runs; each counts the others it sees."""
    def build_one(server):
        mine = tmp_path / server['uuid']
        mine.write_text('')
        time.sleep(0.3)
        seen = len(os.listdir(str(tmp_path)))
        mine.unlink()
        return {'seen': seen}

    results = build_batch.run_builds(build_one, servers(5), limit)
    assert max(r['seen'] for r in results) == most


def test_a_build_that_raises_or_dies_gets_a_failed_result_and_the_others_are_kept():
    def build_one(server):
        if server['uuid'] == 'u1':
            raise RuntimeError('disk full')
        if server['uuid'] == 'u2':
            os.kill(os.getpid(), signal.SIGKILL)
        return {'changed': True, 'server': server}

    results = build_batch.run_builds(build_one, servers(4), 0)
    assert results[0] == {'changed': True, 'server': servers(4)[0], 'instance_uuid': 'u0'}
    assert results[1]['failed'] is True and 'disk full' in results[1]['msg']
    assert results[2]['failed'] is True and results[2]['reschedule'] is False
    assert 'u2' in results[2]['msg'] and 'without a result' in results[2]['msg']
    assert results[3]['changed'] is True
    # The made-up results are the servers' entries too.
    assert [r['instance_uuid'] for r in results] == ['u0', 'u1', 'u2', 'u3']


@pytest.mark.parametrize('fork', [True, False], ids=['forked', 'in process'])
def test_every_result_is_its_servers_entry_whoever_made_it(fork):
    """The server's uuid is put on every result, over whatever the build itself said, so
    instance_result finds each server's entry."""
    def build_one(server):
        if server['uuid'] == 'u1':
            raise RuntimeError('disk full')
        return {'changed': True, 'instance_uuid': 'not-mine', 'pid': os.getpid()}

    results = build_batch.run_builds(build_one, servers(3) + [None], 2, fork=fork)
    assert [r['instance_uuid'] for r in results] == ['u0', 'u1', 'u2', None]
    assert results[1]['failed'] is True and 'disk full' in results[1]['msg']
    assert 'RuntimeError' in results[1]['exception']
    assert (results[0]['pid'] == os.getpid()) is not fork
    batch = {'changed': True, 'builds': results}
    assert build_batch.instance_result(batch, 'u2')['changed'] is True
    assert build_batch.instance_result(batch, 'u1')['failed'] is True


def test_a_large_result_is_read_whole():
    """Results bigger than a pipe's buffer, several at once: no child blocks on its write."""
    def build_one(server):
        return {'server': server, 'padding': server['uuid'] * 100000}

    results = build_batch.run_builds(build_one, servers(3), 0)
    assert [len(r['padding']) for r in results] == [200000] * 3


def test_instance_result_is_the_servers_entry():
    batch = {'changed': True, 'builds': [
        {'instance_uuid': 'u0', 'changed': True, 'server': {'uuid': 'u0'}},
        {'instance_uuid': 'u1', 'failed': True, 'msg': 'claim', 'reschedule': True}]}
    assert build_batch.instance_result(batch, 'u0')['server'] == {'uuid': 'u0'}
    assert build_batch.instance_result(batch, 'u1')['failed'] is True


def test_a_task_that_failed_whole_fails_each_of_its_servers():
    unreachable = {'unreachable': True, 'msg': 'ssh: connection refused', 'changed': False}
    result = build_batch.instance_result(unreachable, 'u0')
    assert result == {'failed': True, 'unreachable': True, 'reschedule': True,
                      'msg': 'ssh: connection refused'}
    missing = {'failed': True, 'msg': 'pycdlib is required', 'host': 'hv1'}
    assert build_batch.instance_result(missing, 'u0') == dict(missing)
    images = {'failed': True, 'msg': 'cannot transfer', 'failed_step': 'image', 'reschedule': True}
    assert build_batch.instance_result(images, 'u3')['reschedule'] is True
    # A task that returned no entry for the server (never expected) is a failure, not a success.
    assert build_batch.instance_result({'changed': True, 'builds': []}, 'u9')['failed'] is True
