# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A build that goes on after the command which started it (a task with `async`), its result
left where `ansible.builtin.async_status` reads it.

Ansible's own async (async_wrapper) cannot pipeline: it writes the module with its options
(the server's admin_pass, user_data and injected files among them) to a file in the host's
remote tmp directory for the whole build, and a killed job leaves it there. server_build
instead reads its options from the pipelined stdin as always and then detaches, keeping them
in memory, and does what async_wrapper does:

- the job file is `<async_dir>/<jid>`: `{started, finished, ansible_job_id}` while the build
  runs, then the module's result as the module prints it (no_log values masked); written
  through a temporary file and a rename, mode 0600 (async_wrapper's are 0644), in a directory
  made 0700 when it does not exist; `async_status` with `mode: cleanup` removes it;
- a supervisor runs the build in a process group of its own and kills the group after
  `time_limit` seconds (0: no limit), leaving a failed result; a build that ends without a
  result (killed) leaves one too. The build's journal names the build's own pid, so a killed
  build is the reconciler's like any other.

Run from Ansible's payload (AnsiballZ unpacks the module's code, never its options, into a
`ansible_<module>_payload_*` directory and removes it when the module exits), the starting
command leaves that directory to the job, which still imports from it, and the supervisor
removes it when the build has ended.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import io
import json
import os
import re
import shutil
import signal
import sys
import time
import zipfile

# How often the supervisor looks at its build.
WATCH_SECONDS = 0.5


PAYLOAD_DIR_RE = re.compile(r'^ansible_.+_payload_')


def payload_dir():
    """The directory of the AnsiballZ payload this code runs from, or None."""
    path = os.path.abspath(__file__)
    while os.path.dirname(path) != path:
        if os.path.isfile(path):
            parent = os.path.dirname(path)
            if zipfile.is_zipfile(path) and PAYLOAD_DIR_RE.match(os.path.basename(parent)):
                return parent
            return None
        path = os.path.dirname(path)
    return None


def exit_started(module, started):
    """Exit the starting command with the job's ids; from a payload, without letting the
    payload's wrapper remove the code the job still runs from."""
    try:
        module.exit_json(changed=True, **started)
    except SystemExit:
        if payload_dir() is None:
            raise
        sys.stdout.flush()
        os._exit(0)


def job_path(async_dir, jid):
    return os.path.join(os.path.expanduser(async_dir), jid)


def write_job(path, data):
    """Replace the job file with `data`, readable by its owner only."""
    partial = '%s.%d.tmp' % (path, os.getpid())
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as handle:
        handle.write(json.dumps(data))
    os.rename(partial, path)


def read_job(path):
    try:
        with open(path) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def captured_result(work):
    """The result `work()` prints (an AnsibleModule's exit_json or fail_json, which exit)."""
    out = io.StringIO()
    sys.stdout = out
    try:
        work()
    except SystemExit:
        pass
    except Exception as exc:  # the job must end with a result, whatever went wrong
        return {'failed': True, 'msg': 'the background build failed: %s' % exc}
    finally:
        sys.stdout = sys.__stdout__
    try:
        return json.loads(out.getvalue().strip())
    except ValueError:
        return {'failed': True, 'msg': 'the background build printed no result'}


def _detach_stdio():
    """Let go of the command's stdin, stdout and stderr, so it ends while the build runs."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


def _supervise(path, time_limit, work, timed_out):
    """Run `work` in a process group of its own, see that the job ends with a result, and
    remove the payload the starting command left to the job."""
    try:
        _watch(path, time_limit, work, timed_out)
    finally:
        payload = payload_dir()
        if payload:
            shutil.rmtree(payload, ignore_errors=True)


def _watch(path, time_limit, work, timed_out):
    build_pid = os.fork()
    if build_pid == 0:
        os.setpgid(0, 0)
        write_job(path, captured_result(work))
        os._exit(0)
    try:
        os.setpgid(build_pid, build_pid)
    except OSError:
        pass  # the build already did it (or is gone: waitpid says so)
    deadline = time.monotonic() + time_limit if time_limit else None
    while True:
        pid, status = os.waitpid(build_pid, os.WNOHANG)
        if pid:
            break
        if deadline is not None and time.monotonic() > deadline:
            os.killpg(build_pid, signal.SIGKILL)
            os.waitpid(build_pid, 0)
            write_job(path, timed_out)
            return
        time.sleep(WATCH_SECONDS)
    ended = read_job(path)
    if ended is None or 'started' in ended:
        write_job(path, {'failed': True, 'msg': 'the build process ended without a result '
                         '(wait status %d)' % status})


def start(async_dir, jid, time_limit, work, timed_out):
    """Run `work()` in the background as job `jid`; in the calling process, return what
    async_wrapper returns when it starts a job. `timed_out` is the job's result when the time
    limit kills the build."""
    path = job_path(async_dir, jid)
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o700)
    write_job(path, {'started': True, 'finished': False, 'ansible_job_id': jid})
    # Nothing buffered may be printed twice by the processes below.
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        os.waitpid(pid, 0)  # the first child only starts the supervisor
        return {'started': True, 'finished': False, 'ansible_job_id': jid, 'results_file': path}
    try:
        os.setsid()
        _detach_stdio()
        if os.fork() == 0:
            _supervise(path, time_limit, work, timed_out)
    except BaseException:  # a child never returns into the module
        os._exit(1)
    os._exit(0)
