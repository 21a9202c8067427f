# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet database as the action plugins open it, in the controller's own process.

Where it is: the task's `database` option, else the inventory variable
`novalite_fleet_database` (a sqlite:/// or postgresql:// URL, or a file path), else the
controller's environment variable `NOVALITE_FLEET_DATABASE` (how an AWX credential gives a
PostgreSQL URL with its password to a job without it being a variable anyone sees), else
`.fleet.sqlite` next to the inventory: inside an inventory directory, beside an inventory file
(hidden, so that Ansible does not try the database and its -wal/-shm files as inventory
sources of an inventory directory).
A new SQLite file is created and migrated on first use, so `make demo` needs nothing else.

An action plugin runs in a worker process that lives for one task; the connection and the
scheduler's HostStateCache are kept per process, and reused by a process that runs several
tasks (ansible-runner, the benchmarks)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.novalite.compute.plugins.module_utils.fleet import runs, schema
from ansible_collections.novalite.compute.plugins.module_utils.fleet.db import FleetDatabaseError

DEFAULT_FILE = '.fleet.sqlite'
_OPEN = {}


def default_url(task_vars):
    """`.fleet.sqlite` next to the first inventory source."""
    sources = task_vars.get('ansible_inventory_sources') or []
    source = sources[0] if sources else None
    if not source or ',' in source and not os.path.exists(source):
        directory = os.getcwd()
    elif os.path.isdir(source):
        directory = source
    else:
        directory = os.path.dirname(os.path.abspath(source))
    return os.path.join(os.path.abspath(directory), DEFAULT_FILE)


ENVIRONMENT = 'NOVALITE_FLEET_DATABASE'


def database_url(args, task_vars):
    return (args.get('database') or task_vars.get('novalite_fleet_database')
            or os.environ.get(ENVIRONMENT) or default_url(task_vars))


def open_database(url):
    """The process's connection to `url`, migrated to the latest schema."""
    try:
        db = _OPEN.get(url)
        if db is None:
            db = _OPEN[url] = schema.connect(url)
        return db
    except FleetDatabaseError as exc:
        raise AnsibleActionFail(str(exc))


def this_run():
    """The run that owns what this task writes (fleet/runs.py): ansible-playbook's own
    process, the parent of the worker that runs an action plugin, lives as long as the run."""
    return runs.owner(os.getppid())


class FleetAction(ActionBase):
    """An action plugin on the fleet database: its module's ARGUMENT_SPEC checked, the
    database of the task open. Subclasses set ARGUMENT_SPEC and call `start`."""
    TRANSFERS_FILES = False
    ARGUMENT_SPEC = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._VALID_ARGS = frozenset(cls.ARGUMENT_SPEC)

    def start(self, tmp, task_vars):
        """(result, args): ActionBase's result and the task's checked arguments."""
        result = super(FleetAction, self).run(tmp, task_vars)
        _spec, args = self.validate_argument_spec(argument_spec=self.ARGUMENT_SPEC)
        return result, args

    @staticmethod
    def database(args, task_vars):
        return open_database(database_url(args, task_vars or {}))


class RollBack(Exception):
    """Raised at the end of a check-mode transaction, so that nothing it wrote stays."""
