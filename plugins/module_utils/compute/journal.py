# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The build journal: what a build made on this host, written before it makes it.

A build writes `<state_path>/journal/<uuid>.json` under the compute lock, once its claim fits
and before the claim file is written (the server's uuid, name, project, request id, its
process id) and, before each resource it makes, notes that resource: the DHCP host entries,
the instance directory, the domain. A build killed while it waits for the lock has made
nothing and leaves nothing. The journal is the
host's truth about a server until the domain with its record takes over: a successful build
removes it, a rollback removes it last (after everything it names), so a build killed at any
moment leaves a journal that names everything it made, and `server_info`, `server_delete` and
the reconciler (reconcile.py) find it. Nova keeps this in its database (the instance row is
created before the build); here the host keeps it.

A journal whose process is gone is dead: its build will never finish or roll back.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import time

from ansible_collections.novalite.compute.plugins.module_utils.compute import layout
from ansible_collections.novalite.compute.plugins.module_utils.compute.server_record import (
    new_fault, new_record)


def _now():
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())


class Journal(object):
    """The journal of one build; `note` records a resource before the build makes it."""

    def __init__(self, state_path, data):
        self.state_path = state_path
        self.data = data

    @property
    def instance_uuid(self):
        return self.data['instance_uuid']

    def note(self, step, **resources):
        """Record that the build is at `step` and is about to make `resources`
        (dhcp=[[network, mac]], instance_dir=path, domain=name)."""
        self.data['step'] = step
        for key, value in resources.items():
            if key == 'dhcp':
                self.data['dhcp'] = self.data['dhcp'] + [list(item) for item in value]
            else:
                self.data[key] = value
        _save(self.state_path, self.data)


def _save(state_path, data):
    layout.write_atomic(layout.journal_path(state_path, data['instance_uuid']),
                        json.dumps(data, sort_keys=True))


def begin(state_path, server, host, request_id):
    """Open the journal of a build of `server` (its build data) before anything is made; an
    OSError (a full state filesystem) leaves no journal file."""
    os.makedirs(layout.journal_dir(state_path), exist_ok=True)
    data = {
        'instance_uuid': server['uuid'], 'name': server.get('name'),
        'project_id': server.get('project_id'), 'user_id': server.get('user_id'),
        'flavor': server.get('flavor'), 'host': host, 'request_id': request_id,
        'pid': os.getpid(), 'started': _now(), 'step': 'started',
        'dhcp': [], 'instance_dir': None, 'domain': None,
    }
    _save(state_path, data)
    return Journal(state_path, data)


def read(state_path, instance_uuid):
    """The journal of the server (a dict with `alive`), or None."""
    try:
        with open(layout.journal_path(state_path, instance_uuid)) as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return None
    except ValueError:
        data = None
    return _with_alive(instance_uuid, data)


def list_journals(state_path):
    """Every journal of the host (read()), by uuid."""
    return [_with_alive(uuid, data)
            for uuid, data in layout.read_json_records(layout.journal_dir(state_path))]


def _with_alive(instance_uuid, data):
    if data is None:
        # Never renamed into place half-written; an unreadable one is a damaged file that
        # still names a server: keep what the file name says.
        data = {'instance_uuid': instance_uuid, 'pid': None, 'dhcp': []}
    data['alive'] = bool(data.get('pid')) and layout.pid_alive(data['pid'])
    return data


def remove(state_path, instance_uuid):
    """Drop the server's journal; True when there was one."""
    try:
        os.unlink(layout.journal_path(state_path, instance_uuid))
    except FileNotFoundError:
        return False
    return True


def dhcp_entries(entry):
    """[(network, mac)] of the DHCP host entries a journal names."""
    return [tuple(item) for item in (entry or {}).get('dhcp') or []]


def partial_server(entry):
    """The server record of a build that has no domain (yet): BUILD while its process
    lives, ERROR with a fault once it is dead."""
    alive = entry.get('alive')
    flavor = entry.get('flavor') or None
    return new_record(
        uuid=entry['instance_uuid'], name=entry.get('name'), project_id=entry.get('project_id'),
        user_id=entry.get('user_id'), host=entry.get('host'), flavor=flavor,
        vm_state='building' if alive else 'error', task_state='spawning' if alive else None,
        created=entry.get('started'), updated=entry.get('started'),
        fault=None if alive else new_fault(
            'Build of instance %s stopped at step %s: its process %s is gone'
            % (entry['instance_uuid'], entry.get('step'), entry.get('pid')),
            created=entry.get('started')))


def partial_servers(state_path, known):
    """The records (partial_server) of the journals whose uuid is not in `known` (the uuids
    of the domains with a record)."""
    return [partial_server(entry) for entry in list_journals(state_path)
            if entry['instance_uuid'] not in known]


# ---- the fault points of the tests --------------------------------------------------------
# The fault matrix (tests/integration/test_build_faults_real.py) stops a build at a named step
# to kill it there; tests/integration/test_interrupted_real.py stops a rebuild the same way.
# Only the environment of the module's process selects a step: nothing in a request, the
# inventory or a module option reaches it.
PAUSE_AT_ENV = 'NOVALITE_TEST_PAUSE_AT'
PAUSE_FILE_ENV = 'NOVALITE_TEST_PAUSE_FILE'


def pause_point(step):
    """At the step the environment names, write this process's id to the pause file and wait
    while the file exists (the test kills the process, or removes the file to go on)."""
    if os.environ.get(PAUSE_AT_ENV) != step or not os.environ.get(PAUSE_FILE_ENV):
        return
    path = os.environ[PAUSE_FILE_ENV]
    with open(path, 'w') as handle:
        handle.write('%d\n' % os.getpid())
    while os.path.exists(path):
        time.sleep(0.05)
