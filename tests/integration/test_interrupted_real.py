# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A rebuild killed on this machine's libvirtd and QEMU: a real guest's rebuild, run as its
own process tree, is stopped once its new disks are swapped in (journal.pause_point
`rebuild_swapped`, selected by the process's environment) and SIGKILLed there with its whole
process group. The record keeps `rebuild_spawning` and the old disks wait as
`<file>.pre-rebuild`; one reconcile run puts them back, leaves the server in ERROR with its
fault (Nova's _init_instance) and no stray file, and a rebuild after it succeeds."""

import json
import os
import subprocess
import sys

import pytest

libvirt = pytest.importorskip('libvirt')

from ansible_collections.novalite.compute.plugins.module_utils.compute import build  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import journal  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import layout  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import rebuild  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record as sr  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import teardown  # noqa: E402

# The fixtures conn, workdir, catalog and network of the real build tests and the fault
# matrix, imported to be found here.
from test_build_real import SRC, catalog, conn, runner, warm_cache, workdir  # noqa: E402,F401
from test_build_faults_real import (  # noqa: E402,F401
    NET, kill_paused, network, paths, run_module, server_data,
)

pytestmark = pytest.mark.integration

# The rebuild as server_rebuild runs it on the host, in a process of its own.
CHILD = '''
import json, subprocess, sys
from ansible_collections.novalite.compute.plugins.module_utils.compute import rebuild
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import open_connection

def runner(args):
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr

with open(sys.argv[1]) as handle:
    params = json.load(handle)
print(json.dumps(rebuild.rebuild(open_connection('qemu:///system'), params, runner)['server']))
'''


def rebuild_params(workdir, server):
    spec = {'image': server['image'], 'kernel': server['kernel'], 'ramdisk': server['ramdisk'],
            'preserve_ephemeral': False, 'name': server['name'] + ' rebuilt'}
    return dict(paths(workdir), server=server['uuid'], rebuild=spec, virt_type='qemu',
                shutdown_timeout=0, boot_timeout=60, request_id='req-rebuild')


def kill_rebuild_at(workdir, server, point):
    """Start the rebuild paused at `point`, then SIGKILL its whole process group there."""
    args = os.path.join(workdir, 'rebuild-args.json')
    with open(args, 'w') as handle:
        json.dump(rebuild_params(workdir, server), handle)
    pause = os.path.join(workdir, 'pause-rebuild')
    proc = subprocess.Popen([sys.executable, '-c', CHILD, args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, universal_newlines=True,
                            start_new_session=True,
                            env=dict(os.environ, PYTHONPATH=SRC, **{
                                journal.PAUSE_AT_ENV: point, journal.PAUSE_FILE_ENV: pause}))
    kill_paused(proc, pause, 'rebuild', point)


def stray(instances_path, uuid):
    inst = layout.instance_dir(instances_path, uuid)
    return sorted(name for name in os.listdir(inst)
                  if name.endswith((rebuild.NEW, rebuild.OLD)))


def test_a_killed_rebuild_is_made_consistent_by_one_reconcile_run(conn, network, workdir, catalog):
    server = server_data(catalog, 'nltest interrupted rebuild')
    p = paths(workdir)
    warm_cache(p['state_path'], server)
    try:
        built = build.Builder(conn, dict(p, server=server, host='nltest-hv', virt_type='qemu',
                                         boot_timeout=60, request_id='req-build'), runner).build()
        assert built['server']['vm_state'] == 'active'
        kill_rebuild_at(workdir, server, 'rebuild_swapped')
        dom = conn.lookupByUUIDString(server['uuid'])
        record = sr.read_record(dom)
        assert record['task_state'] == rebuild.TASK_SPAWNING
        assert stray(p['instances_path'], server['uuid']), 'the kill point was not past the swap'

        result = run_module(workdir, 'reconcile', dict(p, uri='qemu:///system', networks=[NET]))
        assert [(a['action'], a['subject']) for a in result['actions']
                if a['subject'] == server['uuid']] == [('rebuild_interrupted', server['uuid'])]
        assert not result['errors']
        assert stray(p['instances_path'], server['uuid']) == []
        record = sr.read_record(dom)
        assert (record['vm_state'], record['task_state']) == ('error', None)
        assert 'interrupted in task state rebuild_spawning' in record['fault']['message']
        assert record['actions'][-1]['message'] == 'Error'

        # usable again: a rebuild from ERROR succeeds and boots
        again = rebuild.rebuild(conn, rebuild_params(workdir, server), runner)
        assert (again['server']['vm_state'], again['server']['task_state']) == ('active', None)
        assert again['server']['name'] == 'nltest interrupted rebuild rebuilt'
        assert dom.isActive() and stray(p['instances_path'], server['uuid']) == []
        # a second pass finds nothing of the server
        result = run_module(workdir, 'reconcile', dict(p, uri='qemu:///system', networks=[NET]))
        assert [a for a in result['actions'] if a['subject'] == server['uuid']] == []
    finally:
        teardown.delete(conn, server['uuid'], p['instances_path'], p['state_path'])
