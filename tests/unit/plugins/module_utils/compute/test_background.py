# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A build in the background: the job file async_status reads, its mode, its time limit."""

import json
import zipfile
import os
import signal
import stat
import sys
import time

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.compute import background

TIMED_OUT = {'failed': True, 'msg': 'killed at the time limit'}


def wait_for_end(path, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        data = background.read_job(path)
        if data is not None and 'started' not in data:
            return data
        assert time.monotonic() < deadline, 'the job never ended: %r' % data
        time.sleep(0.02)


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_job_starts_at_once_and_ends_with_the_printed_result(tmp_path):
    async_dir = str(tmp_path / 'async')

    def work():
        time.sleep(0.3)
        print('\n' + json.dumps({'changed': True, 'server': {'name': 'web-1'}}))
        sys.exit(0)

    started = background.start(async_dir, 'j1', 60, work, TIMED_OUT)
    path = os.path.join(async_dir, 'j1')
    assert started == {'started': True, 'finished': False, 'ansible_job_id': 'j1', 'results_file': path}
    # While it runs, async_status reads it as started and not finished.
    assert background.read_job(path) == {'started': True, 'finished': False, 'ansible_job_id': 'j1'}
    assert wait_for_end(path) == {'changed': True, 'server': {'name': 'web-1'}}
    # Only the owner reads the job file and its directory.
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(async_dir).st_mode) == 0o700
    assert sorted(os.listdir(async_dir)) == ['j1']


def test_a_build_past_the_time_limit_is_killed_with_its_group(tmp_path):
    async_dir = str(tmp_path / 'async')
    pids = tmp_path / 'pids'

    def work():
        # The build and a child of its own (qemu-img, say) both go at the limit.
        child = os.fork()
        if child == 0:
            time.sleep(600)
            os._exit(0)
        pids.write_text('%d %d' % (os.getpid(), child))
        time.sleep(600)

    background.start(async_dir, 'j2', 1, work, TIMED_OUT)
    assert wait_for_end(os.path.join(async_dir, 'j2'), timeout=15) == TIMED_OUT
    build_pid, child_pid = (int(p) for p in pids.read_text().split())
    deadline = time.monotonic() + 5
    while (alive(build_pid) or alive(child_pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(build_pid) and not alive(child_pid)


def test_a_build_killed_without_a_result_leaves_a_failure(tmp_path):
    async_dir = str(tmp_path / 'async')

    def work():
        os.kill(os.getpid(), signal.SIGKILL)

    background.start(async_dir, 'j3', 60, work, TIMED_OUT)
    ended = wait_for_end(os.path.join(async_dir, 'j3'))
    assert ended['failed'] is True and 'ended without a result' in ended['msg']


def test_an_exception_of_the_build_is_its_failure(tmp_path):
    async_dir = str(tmp_path / 'async')

    def work():
        raise RuntimeError('libvirt went away')

    background.start(async_dir, 'j4', 60, work, TIMED_OUT)
    ended = wait_for_end(os.path.join(async_dir, 'j4'))
    assert ended == {'failed': True, 'msg': 'the background build failed: libvirt went away'}


def test_outside_a_payload_there_is_nothing_to_keep():
    # Under the tests the code is not in an AnsiballZ payload: nothing to leave to the job.
    assert background.payload_dir() is None


def test_a_payload_directory_is_recognised(tmp_path, monkeypatch):
    payload = tmp_path / 'ansible_novalite.compute.server_build_payload_abc123'
    payload.mkdir()
    archive = payload / 'ansible_novalite.compute.server_build_payload.zip'
    with zipfile.ZipFile(str(archive), 'w') as z:
        z.writestr('x.py', '')
    monkeypatch.setattr(background, '__file__', str(archive / 'ansible_collections' / 'background.py'))
    assert background.payload_dir() == str(payload)


@pytest.mark.parametrize('name', ['somewhere', 'ansible_payload'])
def test_a_zip_elsewhere_is_no_payload(tmp_path, monkeypatch, name):
    (tmp_path / name).mkdir()
    archive = tmp_path / name / 'code.zip'
    with zipfile.ZipFile(str(archive), 'w') as z:
        z.writestr('x.py', '')
    monkeypatch.setattr(background, '__file__', str(archive / 'background.py'))
    assert background.payload_dir() is None
