# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which run owns a build request, and whether that run still lives.

A run is a controller process (ansible-playbook): `owner(pid)` names it as
`<controller host>:<pid>:<start time>`, the start time read from /proc so that a pid the
kernel gave to a later process is not taken for the run. `alive(owner)` answers True or False
for a run of this controller, and None for another controller's run, whose processes this one
cannot see (its build requests are given up when they expire, fleet/instances.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import socket


def _start_time(pid):
    """The process's start time in clock ticks since boot (/proc/<pid>/stat, field 22), or
    None when no such process exists (or /proc is not there)."""
    try:
        with open('/proc/%d/stat' % pid) as stat:
            text = stat.read()
    except (IOError, OSError):
        return None
    # The command name (field 2) is in parentheses and may hold spaces or parentheses.
    fields = text[text.rindex(')') + 2:].split()
    return fields[19]


def owner(pid):
    """The name of the run whose process is `pid`."""
    return '%s:%d:%s' % (socket.gethostname(), pid, _start_time(pid) or '')


def alive(name):
    """True or False for a run of this controller; None when it is another controller's (or
    the name is not one `owner` gave)."""
    try:
        host, pid, started = (name or '').rsplit(':', 2)
        pid = int(pid)
    except ValueError:
        return None
    if host != socket.gethostname():
        return None
    return bool(started) and _start_time(pid) == started
