# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run that owns a build request, and whether it lives: real processes."""

import os
import socket
import subprocess

from ansible_collections.novalite.compute.plugins.module_utils.fleet import runs


def test_a_running_process_is_a_live_run():
    assert runs.alive(runs.owner(os.getpid())) is True


def test_a_process_that_ended_is_a_dead_run():
    child = subprocess.Popen(['sleep', '0'])
    name = runs.owner(child.pid)
    child.wait()
    assert runs.alive(name) is False


def test_a_pid_given_to_a_later_process_is_not_the_run():
    host, pid, started = runs.owner(os.getpid()).rsplit(':', 2)
    assert runs.alive('%s:%s:%d' % (host, pid, int(started) + 1)) is False


def test_another_controllers_run_is_unknown():
    assert runs.alive('not-%s:%d:1' % (socket.gethostname(), os.getpid())) is None
    assert runs.alive(None) is None and runs.alive('garbage') is None
