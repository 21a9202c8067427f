# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host's layout: the compute lock, atomic writes, the failed builds counter."""

import os
import subprocess
import sys
import time

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.compute import layout


def test_compute_lock_is_exclusive(tmp_path):
    state = str(tmp_path)
    script = ('import sys, time; sys.path[:0] = %r\n'
              'from ansible_collections.novalite.compute.plugins.module_utils.compute import layout\n'
              'with layout.compute_lock(%r):\n'
              '    print("locked", flush=True); time.sleep(0.5)\n' % (sys.path, state))
    holder = subprocess.Popen([sys.executable, '-c', script], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == 'locked'
    start = time.monotonic()
    with layout.compute_lock(state):
        waited = time.monotonic() - start
    holder.wait()
    assert waited > 0.2


def test_write_atomic_failure_keeps_the_old_content_and_no_temporary_file(tmp_path):
    path = tmp_path / 'failed_builds'
    path.write_text('3\n')
    with pytest.raises(UnicodeEncodeError):
        layout.write_atomic(str(path), '\udc80 not encodable')
    assert os.listdir(str(tmp_path)) == ['failed_builds']
    assert path.read_text() == '3\n'


def test_failed_builds_file_garbage_is_zero(tmp_path):
    assert layout.read_failed_builds(str(tmp_path)) == 0
    (tmp_path / 'failed_builds').write_text('not a number')
    assert layout.read_failed_builds(str(tmp_path)) == 0


def test_failed_builds_count_and_reset(tmp_path):
    state = str(tmp_path / 'state')
    layout.count_failed_build(state)
    layout.count_failed_build(state)
    assert layout.read_failed_builds(state) == 2
    assert (tmp_path / 'state' / 'failed_builds').read_text() == '2\n'
    layout.reset_failed_builds(state)
    assert layout.read_failed_builds(state) == 0


def test_paths_under_state_path():
    assert layout.claim_path('/s', 'u') == '/s/claims/u.json'
    assert layout.instance_lock_path('/s', 'u') == '/s/locks/instance-u.lock'
    assert layout.image_lock_path('/s', 'n') == '/s/locks/image-n.lock'
    assert layout.image_cache_dir('/s') == '/s/_base'
    assert layout.staging_dir('/s') == '/s/_staging'
    assert layout.compute_lock_path('/s') == '/s/compute.lock'
    assert layout.instance_dir('/i', 'u') == '/i/u'


def test_pid_alive_of_this_process_and_of_a_reaped_one():
    child = subprocess.Popen(['true'])
    child.wait()
    assert layout.pid_alive(os.getpid())
    assert not layout.pid_alive(child.pid)


def test_read_json_records_by_name_with_damaged_ones_kept_by_uuid(tmp_path):
    (tmp_path / 'b.json').write_text('{"x": 2}')
    (tmp_path / 'a.json').write_text('{"x": 1}')
    (tmp_path / 'c.json').write_text('{"x": ')
    (tmp_path / 'a.json.tmp.123').write_text('{}')
    assert layout.read_json_records(str(tmp_path)) == [('a', {'x': 1}), ('b', {'x': 2}), ('c', None)]
    assert layout.read_json_records(str(tmp_path / 'missing')) == []
