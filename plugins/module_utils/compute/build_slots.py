# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How many builds run at once on this host (Nova's `max_concurrent_builds`, the compute
manager's `_build_semaphore`).

Nova's semaphore lives in one nova-compute process; here every build is a process of its own,
so the semaphore is `max_concurrent_builds` slot files under `<state_path>/locks/`, each held
by an exclusive flock for the whole build. The kernel drops a flock when its holder dies, so
a killed build frees its slot without anyone cleaning up. The claim is still taken under the
compute lock, one at a time (claims.py): a slot only bounds how many builds overlap.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import errno
import fcntl
import os
import time

from ansible_collections.novalite.compute.plugins.module_utils.compute import layout

# Nova's default (nova.conf [DEFAULT] max_concurrent_builds); 0 means no bound.
MAX_CONCURRENT_BUILDS = 10
# How often a build waiting for a slot looks again.
POLL_SECONDS = 0.1


def check_bound(max_concurrent_builds):
    """Raise ValueError for a bound Nova would refuse (its option's minimum is 0)."""
    if not isinstance(max_concurrent_builds, int) or max_concurrent_builds < 0:
        raise ValueError('max_concurrent_builds: must be 0 (no bound) or more, got %r'
                         % (max_concurrent_builds,))


def _try_slot(state_path, slot):
    """The descriptor holding `slot`, or None when another build holds it."""
    fd = os.open(layout.build_slot_path(state_path, slot), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            return None
        raise
    return fd


@contextlib.contextmanager
def build_slot(state_path, max_concurrent_builds, poll=POLL_SECONDS):
    """Hold one of the host's `max_concurrent_builds` build slots for the block, waiting
    until one is free; yields the slot's number (None without a bound)."""
    check_bound(max_concurrent_builds)
    if max_concurrent_builds == 0:
        yield None
        return
    os.makedirs(os.path.dirname(layout.build_slot_path(state_path, 0)), exist_ok=True)
    while True:
        for slot in range(max_concurrent_builds):
            fd = _try_slot(state_path, slot)
            if fd is None:
                continue
            try:
                yield slot
            finally:
                # Closing the descriptor releases the flock.
                os.close(fd)
            return
        time.sleep(poll)
