# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host's build slots (Nova's max_concurrent_builds) held by separate processes, as the
builds on a hypervisor are."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.compute import build_slots, layout

# A build in a process of its own: holds a slot, notes when it got and left it.
HOLDER = r'''
import json, sys, time
from ansible_collections.novalite.compute.plugins.module_utils.compute import build_slots
state, bound, hold, out = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
with build_slots.build_slot(state, bound, poll=0.01) as slot:
    got = time.monotonic()
    with open(out + '.held', 'w') as f:
        f.write(str(slot))
    time.sleep(hold)
    left = time.monotonic()
with open(out, 'w') as f:
    json.dump([got, left], f)
'''


def holder(tmp_path, index, bound, hold):
    out = str(tmp_path / ('holder-%d.json' % index))
    proc = subprocess.Popen([sys.executable, '-c', HOLDER, str(tmp_path / 'state'), str(bound), str(hold), out],
                            env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    return proc, out


def wait_for(path, timeout=20):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        assert time.monotonic() < deadline, 'timed out waiting for %s' % path
        time.sleep(0.01)


def most_at_once(spans):
    events = sorted([(got, 1) for got, _left in spans] + [(left, -1) for _got, left in spans])
    now = most = 0
    for _when, step in events:
        now += step
        most = max(most, now)
    return most


def test_the_bound_holds_across_processes(tmp_path):
    procs = [holder(tmp_path, index, 2, 0.4) for index in range(5)]
    spans = []
    for proc, out in procs:
        assert proc.wait(timeout=30) == 0
        with open(out) as handle:
            spans.append(json.load(handle))
    # Two at a time, never three, and all five built.
    assert most_at_once(spans) == 2, spans
    assert len(spans) == 5


def test_a_killed_holder_frees_its_slot(tmp_path):
    proc, out = holder(tmp_path, 0, 1, 3600)
    try:
        wait_for(out + '.held')
        state = str(tmp_path / 'state')
        # The one slot is taken: a build would wait.
        assert build_slots._try_slot(state, 0) is None
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        start = time.monotonic()
        with build_slots.build_slot(state, 1, poll=0.01) as slot:
            assert slot == 0
        assert time.monotonic() - start < 1
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_build_waits_for_a_free_slot(tmp_path):
    proc, out = holder(tmp_path, 0, 1, 0.5)
    try:
        wait_for(out + '.held')
        with build_slots.build_slot(str(tmp_path / 'state'), 1, poll=0.01):
            got = time.monotonic()
        assert proc.wait(timeout=10) == 0
        with open(out) as handle:
            _held, left = json.load(handle)
        assert got >= left
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_slots_are_files_under_the_lock_dir_and_zero_means_no_bound(tmp_path):
    state = str(tmp_path / 'state')
    with build_slots.build_slot(state, 0) as slot:
        assert slot is None
    assert not os.path.exists(os.path.join(state, layout.LOCKS_DIR))
    with build_slots.build_slot(state, 3) as slot:
        assert slot == 0
        with build_slots.build_slot(state, 3) as second:
            assert second == 1
    assert os.path.exists(layout.build_slot_path(state, 1))


@pytest.mark.parametrize('bound', [-1, 'ten', None])
def test_a_bad_bound_is_refused_with_the_rule(tmp_path, bound):
    with pytest.raises(ValueError, match=r'max_concurrent_builds: must be 0 \(no bound\) or more, got'):
        with build_slots.build_slot(str(tmp_path / 'state'), bound):
            pass
