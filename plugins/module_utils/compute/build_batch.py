# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Several builds on this host at once, from one command (Nova's compute manager spawning
`_do_build_and_run_instance` in a greenthread per instance).

A round that gives a host several instances sends them in one `server_build` call: one SSH
command for the host, however many servers it builds. Each build runs in a child process of
its own (its own libvirt connection, its own journal naming its own pid, its own build slot:
build_slots.py), at most `limit` at a time, and answers its result through a pipe; the results
come back in the order of the servers, each with its server's `instance_uuid` (the build's
identity, which `instance_result` looks up), a made-up failure where the build raised or its
process died. The children stay in the command's process group, so
whatever ends the command ends its builds too, and a build killed half-way is the
reconciler's, like any other (its journal names a pid that is gone).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import selectors
import traceback


def _instance_uuid(server):
    return (server or {}).get('uuid')


def _owed(build_one, server):
    """build_one(server), or the failure it raised: a result is owed whatever went wrong."""
    try:
        return build_one(server)
    except Exception as exc:
        return {'failed': True, 'msg': 'the build failed: %s' % exc,
                'exception': traceback.format_exc()}


def _child(build_one, server, write_fd):
    """In the child: build `server` and write its result; never returns."""
    try:
        data = json.dumps(_owed(build_one, server)).encode('utf-8')
        while data:
            data = data[os.write(write_fd, data):]
    finally:
        os._exit(0)


def _lost(server, status):
    """The result of a build whose process ended without one (killed)."""
    return {'failed': True, 'reschedule': False,
            'msg': 'the build of instance %s ended without a result (wait status %d); the '
                   'reconciler removes what it left' % (_instance_uuid(server), status)}


class _Running(object):
    def __init__(self, index, pid, read_fd):
        self.index, self.pid, self.read_fd, self.chunks = index, pid, read_fd, []


def run_builds(build_one, servers, limit, fork=True):
    """[build_one(server) for server in servers], each result with the server's
    `instance_uuid`. With `fork` each is called in a child process, at most `limit` at once
    (0: all at once), and returns a JSON-serialisable result; without, one after the other in
    this process."""
    if fork:
        results = _forked(build_one, servers, limit)
    else:
        results = [_owed(build_one, server) for server in servers]
    return [dict(result, instance_uuid=_instance_uuid(server))
            for result, server in zip(results, servers)]


def _forked(build_one, servers, limit):
    results = [None] * len(servers)
    waiting = list(enumerate(servers))
    selector = selectors.DefaultSelector()
    running = 0
    try:
        while waiting or running:
            while waiting and (not limit or running < limit):
                index, server = waiting.pop(0)
                selector.register(*_start(build_one, index, server))
                running += 1
            for key, _events in selector.select():
                job = key.data
                chunk = os.read(job.read_fd, 65536)
                if chunk:
                    job.chunks.append(chunk)
                    continue
                selector.unregister(job.read_fd)
                running -= 1
                results[job.index] = _finish(job, servers[job.index])
    finally:
        selector.close()
    return results


def _start(build_one, index, server):
    """(read fd, events, job) of a started child."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _child(build_one, server, write_fd)
    os.close(write_fd)
    return read_fd, selectors.EVENT_READ, _Running(index, pid, read_fd)


def _finish(job, server):
    os.close(job.read_fd)
    status = os.waitpid(job.pid, 0)[1]
    try:
        return json.loads(b''.join(job.chunks).decode('utf-8'))
    except ValueError:
        return _lost(server, status)


# What a whole failure of the task means for each of its servers.
_BATCH_KEYS = ('failed', 'msg', 'reschedule', 'failed_step', 'unreachable', 'images_needed', 'host')


def instance_result(batch, instance_uuid):
    """One server's result out of the registered result of a `servers` task: its entry of
    `builds`, or, when the task failed as a whole (host unreachable, a requirement missing, an
    image that could not be transferred), that failure for each of its servers."""
    for entry in (batch or {}).get('builds') or []:
        if entry.get('instance_uuid') == instance_uuid:
            return entry
    result = dict((key, batch[key]) for key in _BATCH_KEYS if key in (batch or {}))
    result['failed'] = True
    result.setdefault('msg', 'the host gave no result for instance %s' % instance_uuid)
    if result.get('unreachable'):
        result['reschedule'] = True
    return result
