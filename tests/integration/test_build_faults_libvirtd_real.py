# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fault matrix's libvirtd rows, on this machine's libvirtd and QEMU: server_build, run as
its own process, is paused at a step (journal.pause_point), this machine's libvirtd is
stopped, and the build goes on: its next libvirt call fails, and so does its rollback, so its
journal stays and names what it made. libvirtd is started again; then `server_delete` of the
name, or one `reconcile` run and the delete, leave the host exactly as before, and a build
asking for the same fixed IP succeeds.

Two points: after the domain is defined and before it is started (`define`: the port's DHCP
entry, added as the guest starts, is not there yet), and while it starts (`start`: QEMU runs
paused with its DHCP entry in place, the build is about to resume it and wait for RUNNING). QEMU keeps running while libvirtd is
down, and libvirtd finds it again when it starts. The rows join those of test_build_faults_real
in build/test-logs/fault-matrix.txt.

Stopping libvirtd breaks every connection to it, so this file keeps none across a restart
(its own `conn` and `network` fixtures, opened per test), and runs only under the integration
lock (no other test uses libvirtd meanwhile). libvirtd is always started again.
"""

import json
import os
import re
import subprocess
import time

import pytest

libvirt = pytest.importorskip('libvirt')

from ansible_collections.novalite.compute.plugins.module_utils.compute import build  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import journal  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import layout  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import teardown  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt import network as ln  # noqa: E402

from test_build_faults_real import (  # noqa: E402
    CIDR, FIXED_IP, NET, OWNER, difference, host_snapshot, listed, log_row, module_process,
    paths, run_module, server_data, wait_paused,
)
# The fixtures of the real build tests, imported to be found here.
from test_build_real import URI, catalog, runner, warm_cache, workdir  # noqa: E402,F401

pytestmark = pytest.mark.integration

PID_FILE = '/run/libvirtd.pid'
# (point, cleanup): the build is paused at `point` while libvirtd stops.
POINTS = [('define', 'delete'), ('start', 'reconcile+delete')]
# The step that fails once libvirtd is gone, and the cause libvirt's client gives.
FAILS_AT = {'define': 'start', 'start': 'start'}


def libvirtd_answers():
    try:
        libvirt.open(URI).close()
    except libvirt.libvirtError:
        return False
    return True


def stop_libvirtd():
    """Stop this machine's libvirtd (by its pid file) and wait until it is gone."""
    with open(PID_FILE) as handle:
        pid = int(handle.read().strip())
    os.kill(pid, 15)
    deadline = time.monotonic() + 30
    while layout.pid_alive(pid):
        assert time.monotonic() < deadline, 'libvirtd %d did not stop' % pid
        time.sleep(0.1)


def start_libvirtd():
    """Start libvirtd again, as scripts/bootstrap.sh does, and wait until it answers."""
    if libvirtd_answers():
        return
    subprocess.run(['libvirtd', '-d'], cwd='/', check=True)
    deadline = time.monotonic() + 60
    while not libvirtd_answers():
        assert time.monotonic() < deadline, 'libvirtd did not answer after its start'
        time.sleep(0.2)


@pytest.fixture
def conn():
    """A connection of its own per test: a restart of libvirtd breaks the one before."""
    start_libvirtd()
    holder = {'conn': libvirt.open(URI)}
    yield holder
    start_libvirtd()
    try:
        holder['conn'].close()
    except libvirt.libvirtError:
        pass  # the connection of the libvirtd before the restart


@pytest.fixture
def network(conn):
    want = ln.desired_network(NET, cidr=CIDR, dhcp_start='10.254.251.100',
                              dhcp_end='10.254.251.200')
    ln.NetworkManager(conn['conn'], NET, 'active', want).run()
    yield NET
    start_libvirtd()
    fresh = libvirt.open(URI)
    try:
        ln.NetworkManager(fresh, NET, 'absent', {'name': NET}).run()
    finally:
        fresh.close()


def build_with_libvirtd_stopping_at(workdir, server, point):
    """Run the build paused at `point`, stop libvirtd, let the build go on and end; libvirtd
    is started again. The build's result."""
    pause = os.path.join(workdir, 'pause-%s' % server['uuid'])
    args = dict(paths(workdir), server=server, host='nltest-hv', virt_type='qemu',
                boot_timeout=60, request_id='req-faults')
    proc = module_process(workdir, 'server_build', args, env={
        journal.PAUSE_AT_ENV: point, journal.PAUSE_FILE_ENV: pause})
    try:
        wait_paused(proc, pause, 'build', point)
        stop_libvirtd()
        os.unlink(pause)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        start_libvirtd()
    assert out.strip(), err
    return json.loads(out)


@pytest.mark.parametrize('point,cleanup', POINTS, ids=[p for p, _c in POINTS])
def test_libvirtd_stopped_mid_build_leaves_nothing_after_cleanup(conn, network, workdir, catalog,
                                                                  point, cleanup):
    name = 'nltest faults libvirtd %s' % point
    server = server_data(catalog, name)
    p = paths(workdir)
    warm_cache(p['state_path'], server)
    before = host_snapshot(conn['conn'], p['instances_path'], p['state_path'])
    try:
        result = build_with_libvirtd_stopping_at(workdir, server, point)
        # The build failed and said so, its rollback too: libvirtd was gone for both.
        assert result.get('failed') and result['failed_step'] == FAILS_AT[point], result
        assert 'removing the partial build failed' in result['msg'], result
        conn['conn'] = libvirt.open(URI)
        left = difference(before, host_snapshot(conn['conn'], p['instances_path'], p['state_path']))
        assert left.get('domains') == ['instance-%s' % server['uuid']], left
        assert 'journal/%s.json' % server['uuid'] in [path for path, _size in left['state']], left
        # The DHCP entry is added as the guest starts: the journal names it either way.
        assert bool(left.get('dhcp')) == (point == 'start'), left
        assert conn['conn'].lookupByUUIDString(server['uuid']).isActive() == (point == 'start')

        states, found = listed(workdir, name)
        assert [s['uuid'] for s in found] == [server['uuid']]
        actions = []
        if cleanup.startswith('reconcile'):
            reconciled = run_module(workdir, 'reconcile', dict(p, uri=URI, networks=[NET]))
            actions = ['%s %s' % (a['action'], a['subject']) for a in reconciled['actions']]
            assert [a['action'] for a in reconciled['actions']] == ['adopted', 'build_stopped'], actions
            states, found = listed(workdir, name)
            assert states[0][0] == 'error', states
            assert re.match(r'Build of instance %s stopped at step %s: its process \d+ is gone$'
                            % (server['uuid'], point), states[0][1]), states
        deleted = run_module(workdir, 'server_delete', dict(p, server=found[0]['uuid'], context=OWNER))
        assert deleted['changed'] is True
        actions.append('server_delete')
        after = difference(before, host_snapshot(conn['conn'], p['instances_path'], p['state_path']))
        log_row('libvirtd@' + point, cleanup, left, after, actions)
        assert after == {}, 'at %s, %s left %s' % (point, cleanup, after)
        assert listed(workdir, name)[0] == []

        # The address the failed build held is free again: a build asking for it succeeds.
        again = server_data(catalog, name + ' again')
        ready = host_snapshot(conn['conn'], p['instances_path'], p['state_path'])
        built = build.Builder(conn['conn'], dict(p, server=again, host='nltest-hv', virt_type='qemu',
                                                 boot_timeout=60, request_id='req-again'), runner).build()
        assert built['server']['vm_state'] == 'active'
        assert built['server']['ports'][0]['fixed_ip'] == FIXED_IP
        teardown.delete(conn['conn'], again['uuid'], p['instances_path'], p['state_path'])
        assert host_snapshot(conn['conn'], p['instances_path'], p['state_path']) == ready
    finally:
        start_libvirtd()
        fresh = libvirt.open(URI)
        try:
            teardown.delete(fresh, server['uuid'], p['instances_path'], p['state_path'])
        finally:
            fresh.close()
