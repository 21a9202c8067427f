# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reconcile module's own part: its options, its result, check mode."""

import os
import subprocess

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.compute import layout
from ansible_collections.novalite.compute.plugins.modules import reconcile

from module_runner import TEST_URI, run_module


def dead_pid():
    proc = subprocess.Popen(['true'])
    proc.wait()
    return proc.pid


@pytest.fixture
def paths(tmp_path):
    state = tmp_path / 'state'
    base = state / layout.IMAGE_CACHE_DIR
    base.mkdir(parents=True)
    leftover = layout.temporary_path(str(base / 'abc'), dead_pid())
    open(leftover, 'w').close()
    return {'uri': TEST_URI, 'state_path': str(state), 'instances_path': str(tmp_path / 'inst'),
            'leftover': leftover}


def test_check_mode_reports_then_a_run_removes(paths, capsys):
    leftover = paths.pop('leftover')
    checked = run_module(reconcile, paths, capsys, check_mode=True)
    assert (checked['changed'], checked['summary']) == (True, {'temporary_file': 1})
    assert checked['actions'][0]['subject'] == leftover and os.path.exists(leftover)
    done = run_module(reconcile, paths, capsys)
    assert (done['changed'], done['summary']) == (True, {'temporary_file': 1})
    assert not os.path.exists(leftover) and done['seconds'] >= 0
    assert run_module(reconcile, paths, capsys)['changed'] is False


@pytest.mark.parametrize('option', ['instance_build_timeout', 'grace_period'])
def test_a_negative_duration_is_refused_by_name(paths, capsys, option):
    paths.pop('leftover')
    result = run_module(reconcile, dict(paths, **{option: -1}), capsys)
    assert result['failed'] and result['msg'] == '%s: must be 0 or more, got -1' % option
