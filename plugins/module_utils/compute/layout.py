# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a hypervisor keeps its files (Nova's `state_path` and `instances_path`).

Under `state_path`:

- `compute.lock`            the host-local compute lock (claims, ports, the counter below).
- `claims/<uuid>.json`      in-flight build claims (claims.py).
- `journal/<uuid>.json`     the build journal: what a build of the server made so far
                            (journal.py), until the domain and its record take over.
- `deleted/<uuid>.json`     a delete asked for while libvirtd was down (deleted.py).
- `locks/instance-<uuid>.lock`, `locks/image-<name>.lock`  per instance and per image locks.
- `locks/build-slot-<n>.lock`  the slots of concurrent builds (build_slots.py).
- `_base/<name>`            the image cache (image_cache.py).
- `_staging/`               images the server_build action plugin copied from the controller,
                            and `migrate-<uuid>/`, the files of a resize to this host.
- `failed_builds`           consecutive failed builds (Nova's BuildFailureWeigher input).

Under `instances_path`: `<uuid>/` per instance (disks, config drive, console log).

The only module that spells these paths; the failed builds counter is read, counted and
reset here too.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import fcntl
import json
import os
import re

# An instance uuid as the host's paths spell it (the instance directories, the state files).
UUID_RE = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')
COMPUTE_LOCK_FILE = 'compute.lock'
CLAIMS_DIR = 'claims'
JOURNAL_DIR = 'journal'
DELETED_DIR = 'deleted'
LOCKS_DIR = 'locks'
IMAGE_CACHE_DIR = '_base'
STAGING_DIR = '_staging'
FAILED_BUILDS_FILE = 'failed_builds'
FIREWALL_RULESET_FILE = 'firewall.nft'


def compute_lock_path(state_path):
    return os.path.join(state_path, COMPUTE_LOCK_FILE)


def claims_dir(state_path):
    return os.path.join(state_path, CLAIMS_DIR)


def claim_path(state_path, instance_uuid):
    return os.path.join(claims_dir(state_path), '%s.json' % instance_uuid)


def journal_dir(state_path):
    return os.path.join(state_path, JOURNAL_DIR)


def journal_path(state_path, instance_uuid):
    return os.path.join(journal_dir(state_path), '%s.json' % instance_uuid)


def deleted_dir(state_path):
    return os.path.join(state_path, DELETED_DIR)


def deleted_path(state_path, instance_uuid):
    return os.path.join(deleted_dir(state_path), '%s.json' % instance_uuid)


def instance_lock_path(state_path, instance_uuid):
    return os.path.join(state_path, LOCKS_DIR, 'instance-%s.lock' % instance_uuid)


def build_slot_path(state_path, slot):
    return os.path.join(state_path, LOCKS_DIR, 'build-slot-%d.lock' % slot)


def image_lock_path(state_path, name):
    return os.path.join(state_path, LOCKS_DIR, 'image-%s.lock' % name)


def image_cache_dir(state_path):
    return os.path.join(state_path, IMAGE_CACHE_DIR)


def staging_dir(state_path):
    return os.path.join(state_path, STAGING_DIR)


def firewall_ruleset_path(state_path):
    return os.path.join(state_path, FIREWALL_RULESET_FILE)


def failed_builds_path(state_path):
    return os.path.join(state_path, FAILED_BUILDS_FILE)


# A resize to this host stages the files it copies from the source in _staging/migrate-<uuid>/.
MIGRATION_STAGING_PREFIX = 'migrate-'


def migration_staging_dir(state_path, instance_uuid):
    return os.path.join(staging_dir(state_path), MIGRATION_STAGING_PREFIX + instance_uuid)


def instance_dir(instances_path, instance_uuid):
    return os.path.join(instances_path, instance_uuid)


def resize_dir(instances_path, instance_uuid):
    """Where a resize keeps the instance's old files until confirmResize (Nova's
    <instance dir>_resize)."""
    return instance_dir(instances_path, instance_uuid) + '_resize'


@contextlib.contextmanager
def compute_lock(state_path):
    """Hold the host's compute lock (exclusive flock on <state_path>/compute.lock)."""
    os.makedirs(state_path, exist_ok=True)
    fd = os.open(compute_lock_path(state_path), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        # Closing the descriptor releases the flock.
        os.close(fd)


def temporary_path(path, pid):
    """The temporary file of process `pid` that becomes `path` (write_atomic, the image
    cache's downloads); reconcile.py removes the ones a dead process left."""
    return '%s.part.%d' % (path, pid)


def temporary_owner(name):
    """The pid in a temporary file's name (temporary_path), or None for any other name."""
    stem, sep, pid = name.rpartition('.part.')
    return int(pid) if sep and stem and pid.isdigit() else None


def temporary_files(state_path):
    """[(path, pid)] of the temporary files (temporary_path) in the image cache, the claims,
    the journal and the recorded deletes."""
    found = []
    for directory in (image_cache_dir(state_path), claims_dir(state_path), journal_dir(state_path),
                      deleted_dir(state_path)):
        if not os.path.isdir(directory):
            continue  # not made yet, or a file in its place (which the build reports)
        for name in sorted(os.listdir(directory)):
            pid = temporary_owner(name)
            if pid is not None:
                found.append((os.path.join(directory, name), pid))
    return found


def pid_alive(pid):
    """True when process `pid` exists (a process of another user counts): a state file whose
    process is gone belongs to a build or run that will never finish."""
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_json_records(directory):
    """The `<uuid>.json` files of a state directory as (uuid, dict), by name; a file that
    does not parse comes as (uuid, None), one removed while listed is left out. Every such
    file is renamed into place whole (write_atomic), so a file that does not parse is
    damaged, not half-written."""
    if not os.path.isdir(directory):
        return []
    found = []
    for name in sorted(os.listdir(directory)):
        if not name.endswith('.json'):
            continue
        uuid = name[:-len('.json')]
        try:
            with open(os.path.join(directory, name)) as handle:
                found.append((uuid, json.load(handle)))
        except FileNotFoundError:
            continue
        except ValueError:
            found.append((uuid, None))
    return found


def write_atomic(path, text):
    """Write `text` to `path` through a temporary file renamed into place; on any error
    (a full filesystem) the temporary file goes too and `path` keeps its old content."""
    tmp = temporary_path(path, os.getpid())
    try:
        with open(tmp, 'w') as handle:
            handle.write(text)
        os.rename(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


# ---- the failed builds counter (Nova's BuildFailureWeigher input) -------------------------

def read_failed_builds(state_path):
    """The consecutive failed builds counter kept in <state_path>/failed_builds (0 if none)."""
    try:
        with open(failed_builds_path(state_path)) as handle:
            return int(handle.read().strip() or 0)
    except (IOError, OSError, ValueError):
        return 0


def count_failed_build(state_path):
    """One more consecutive failed build on this host (Nova's `_build_failed`)."""
    with compute_lock(state_path):
        write_atomic(failed_builds_path(state_path), '%d\n' % (read_failed_builds(state_path) + 1))


def reset_failed_builds(state_path):
    """A successful build ends the series of failures (Nova's `_build_succeeded`)."""
    if read_failed_builds(state_path):
        with compute_lock(state_path):
            write_atomic(failed_builds_path(state_path), '0\n')
