# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fault matrix on this machine's libvirtd and QEMU: server_build, run as its own process
tree, is stopped at each step of the build (journal.pause_point, selected by the process's
environment) and SIGKILLed there with its whole process group. What it left is listed by
server_info (the build's name, ERROR with a fault), then one reconcile run or server_delete
of that name leaves the host exactly as before - domains, instance files, claims, journals,
image cache, DHCP entries - and a build asking for the same fixed IP succeeds.

Every module runs as Ansible runs it on a host: `python -m <module> <args file>`. The
matrix, with what each kill left, is written to build/test-logs/fault-matrix.txt.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid

import pytest

libvirt = pytest.importorskip('libvirt')

from ansible_collections.novalite.compute.plugins.module_utils.compute import build  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import journal  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import layout  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import teardown  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt import network as ln  # noqa: E402

# The fixtures conn, workdir and catalog of the real build tests, imported to be found here.
from test_build_real import (  # noqa: E402,F401
    NANO, SRC, catalog, conn, domains_using, runner, tree, warm_cache, workdir,
)

pytestmark = pytest.mark.integration

NET = 'nltest-faults'
CIDR = '10.254.251.0/24'
FIXED_IP = '10.254.251.10'
LOG = os.path.join(os.path.dirname(SRC), 'test-logs', 'fault-matrix.txt')
MODULES = 'ansible_collections.novalite.compute.plugins.modules.'
PAUSE_TIMEOUT = 120
# The server's own project: what a killed build left is its owner's to list and delete (the
# journal carries the project, as Nova's instance row does).
OWNER = {'project_id': 'demo', 'user_id': 'demo-user', 'roles': ['member']}
# (kill point, cleanup): every step of the build, image fetch with a cold cache.
POINTS = [
    ('claim', 'reconcile'), ('network', 'delete'), ('directory', 'reconcile'),
    ('image_fetch', 'delete'), ('disk:disk', 'reconcile'), ('disk:disk.eph0', 'delete'),
    ('disk:disk.swap', 'reconcile'), ('config_drive', 'delete'),
    ('define', 'reconcile+delete'), ('start', 'reconcile+delete'),
]
# The step a journal names when the build is killed at a point inside a step.
STEP_NOTED = {'image_fetch': 'image'}
# Kept small so the matrix stays quick: the swap and ephemeral disks are there to be killed at.
FLAVOR = dict(NANO, name='nltest.faults', ephemeral_gb=1, swap=16)


@pytest.fixture(scope='module')
def network(conn):
    want = ln.desired_network(NET, cidr=CIDR, dhcp_start='10.254.251.100',
                              dhcp_end='10.254.251.200')
    ln.NetworkManager(conn, NET, 'active', want).run()
    yield NET
    ln.NetworkManager(conn, NET, 'absent', {'name': NET}).run()


def host_snapshot(conn, instances_path, state_path):
    """test_build_real's host snapshot, with the DHCP entries of this file's network."""
    return {
        'domains': domains_using(conn, instances_path),
        'instances': tree(instances_path),
        'state': tree(state_path, with_dirs=False),
        'dhcp': sorted((h['mac'], h['ip'], h['name']) for h in ln.dhcp_hosts(conn, NET)),
    }


def server_data(catalog, name):
    return {
        'uuid': str(uuid.uuid4()), 'name': name, 'hostname': 'nltest-faults',
        'launch_index': 0, 'reservation_id': 'r-nltest', 'project_id': 'demo',
        'user_id': 'demo-user', 'description': None, 'tags': [], 'availability_zone': 'nova',
        'key_name': None, 'public_keys': {}, 'metadata': {}, 'security_groups': ['default'],
        'config_drive': True, 'access_ip_v4': None, 'access_ip_v6': None,
        'instance_group': None, 'flavor': FLAVOR,
        'image': catalog['image'], 'kernel': catalog['kernel'], 'ramdisk': catalog['ramdisk'],
        'networks': [{'network_id': 'nl-net', 'network_name': 'nltest', 'fixed_ip': FIXED_IP,
                      'port_id': None, 'cidr': CIDR, 'gateway': '10.254.251.1',
                      'dns_nameservers': [],
                      'allocation_pools': [{'start': '10.254.251.10', 'end': '10.254.251.50'}],
                      'libvirt_network': NET, 'bridge': None, 'dhcp': True, 'mtu': None}],
    }


def paths(workdir):
    return {'instances_path': workdir + '/instances', 'state_path': workdir + '/state'}


def module_process(workdir, module, args, env=None):
    """The module's main in a process group of its own, as Ansible runs it on a host."""
    path = os.path.join(workdir, 'args-%s-%s.json' % (module, uuid.uuid4().hex[:8]))
    with open(path, 'w') as handle:
        json.dump({'ANSIBLE_MODULE_ARGS': args}, handle)
    return subprocess.Popen([sys.executable, '-m', MODULES + module, path],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True, start_new_session=True,
                            env=dict(os.environ, PYTHONPATH=SRC, **(env or {})))


def run_module(workdir, module, args):
    proc = module_process(workdir, module, args)
    out, err = proc.communicate(timeout=300)
    assert out.strip(), err
    result = json.loads(out)
    assert not result.get('failed'), result
    return result


def kill_build_at(workdir, server, point):
    """Start the build paused at `point`, then SIGKILL its whole process group there."""
    pause = os.path.join(workdir, 'pause-%s' % server['uuid'])
    args = dict(paths(workdir), server=server, host='nltest-hv', virt_type='qemu',
                boot_timeout=60, request_id='req-faults')
    proc = module_process(workdir, 'server_build', args, env={
        journal.PAUSE_AT_ENV: point, journal.PAUSE_FILE_ENV: pause})
    kill_paused(proc, pause, 'build', point)


def wait_paused(proc, pause, what, point):
    """Wait until `proc` (a `what`, started with journal's PAUSE_AT_ENV `point` and
    PAUSE_FILE_ENV `pause`) has paused there; fail the test with its output when it ends or
    PAUSE_TIMEOUT passes first."""
    deadline = time.monotonic() + PAUSE_TIMEOUT
    while not os.path.exists(pause):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            out, err = proc.communicate()
            pytest.fail('the %s never reached %s: %s %s' % (what, point, out, err[-2000:]))
        time.sleep(0.05)


def kill_paused(proc, pause, what, point):
    """wait_paused, then SIGKILL `proc`'s whole process group there."""
    wait_paused(proc, pause, what, point)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    os.unlink(pause)


def listed(workdir, name):
    found = run_module(workdir, 'server_info', {'server': name, 'uri': 'qemu:///system',
                                                'state_path': workdir + '/state',
                                                'context': OWNER})['servers']
    return [(s['vm_state'], (s.get('fault') or {}).get('message')) for s in found], found


def difference(before, after):
    """What `after` holds that `before` does not, per kind."""
    return dict((kind, sorted(set(map(tuple, after[kind])) - set(map(tuple, before[kind]))
                              if kind != 'domains' else set(after[kind]) - set(before[kind])))
                for kind in after if after[kind] != before[kind])


def log_row(point, cleanup, left, after, actions):
    os.makedirs(os.path.dirname(LOG), exist_ok=True)
    with open(LOG, 'a') as handle:
        handle.write('%-15s %-17s left: %s\n%33s after: %s (%s)\n' % (
            point, cleanup, json.dumps(left, default=list), '', json.dumps(after, default=list),
            ', '.join(actions)))


@pytest.mark.parametrize('point,cleanup', POINTS, ids=[p for p, _c in POINTS])
def test_killed_build_leaves_nothing_after_cleanup(conn, network, workdir, catalog, point, cleanup):
    name = 'nltest faults %s' % point
    server = server_data(catalog, name)
    p = paths(workdir)
    if point != 'image_fetch':
        warm_cache(p['state_path'], server)
    before = host_snapshot(conn, p['instances_path'], p['state_path'])
    try:
        kill_build_at(workdir, server, point)
        left = difference(before, host_snapshot(conn, p['instances_path'], p['state_path']))
        assert left, 'killing at %s left nothing: the kill point is not reached' % point
        states, found = listed(workdir, name)
        assert [s['uuid'] for s in found] == [server['uuid']]
        actions = []
        if cleanup.startswith('reconcile'):
            result = run_module(workdir, 'reconcile', dict(p, uri='qemu:///system', networks=[NET]))
            actions = ['%s %s' % (a['action'], a['subject']) for a in result['actions']]
            assert result['changed'] is True
        if cleanup.endswith('delete'):
            states, found = listed(workdir, name)
            # The build died: ERROR with a fault naming the step (for a defined domain the
            # reconciler wrote it into the record, as Nova's _init_instance leaves it).
            assert len(states) == 1 and states[0][0] == 'error', states
            assert re.match(r'Build of instance %s stopped at step %s: its process \d+ is gone$'
                            % (server['uuid'], re.escape(STEP_NOTED.get(point, point))), states[0][1]), states
            deleted = run_module(workdir, 'server_delete', dict(p, server=found[0]['uuid'], context=OWNER))
            assert deleted['changed'] is True
            actions.append('server_delete')
        after = difference(before, host_snapshot(conn, p['instances_path'], p['state_path']))
        log_row(point, cleanup, left, after, actions)
        assert after == {}, 'at %s, %s left %s' % (point, cleanup, after)
        assert listed(workdir, name)[0] == []

        # The address the dead build held is free again: a build asking for it succeeds.
        again = server_data(catalog, name + ' again')
        warm_cache(p['state_path'], again)  # a build that succeeds keeps its images cached
        ready = host_snapshot(conn, p['instances_path'], p['state_path'])
        result = build.Builder(conn, dict(p, server=again, host='nltest-hv', virt_type='qemu',
                                          boot_timeout=60, request_id='req-again'), runner).build()
        assert result['server']['vm_state'] == 'active'
        assert result['server']['ports'][0]['fixed_ip'] == FIXED_IP
        teardown.delete(conn, again['uuid'], p['instances_path'], p['state_path'])
        assert host_snapshot(conn, p['instances_path'], p['state_path']) == ready
    finally:
        teardown.delete(conn, server['uuid'], p['instances_path'], p['state_path'])


def test_a_killed_batch_of_builds_leaves_nothing_after_reconcile(conn, network, workdir, catalog):
    """Two builds of one server_build command (`servers`: a host's share of a multi-create),
    both SIGKILLed midway with the command's process group (what ends with the command): each
    journal names its own build's pid, so one reconcile run removes what both made."""
    servers = [server_data(catalog, 'nltest faults batch %d' % i) for i in (1, 2)]
    # Each its own address: a host's share of one request never asks for one address twice.
    servers[1]['networks'][0]['fixed_ip'] = '10.254.251.11'
    p = paths(workdir)
    warm_cache(p['state_path'], servers[0])
    before = host_snapshot(conn, p['instances_path'], p['state_path'])
    pause = os.path.join(workdir, 'pause-batch')
    args = dict(p, servers=servers, host='nltest-hv', virt_type='qemu', boot_timeout=60,
                request_id='req-faults', max_concurrent_builds=0)
    try:
        proc = module_process(workdir, 'server_build', args, env={
            journal.PAUSE_AT_ENV: 'disk:disk', journal.PAUSE_FILE_ENV: pause})
        deadline = time.monotonic() + PAUSE_TIMEOUT
        pids = {}
        while len(pids) < 2:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, 'the builds never reached their disks: %s' % pids
            for server in servers:
                record = journal.read(p['state_path'], server['uuid'])
                if record and record.get('step') == 'disk:disk':
                    pids[server['uuid']] = record['pid']
            time.sleep(0.05)
        # Both builds are children of the command, each its own pid, neither the command's.
        assert len(set(pids.values())) == 2 and proc.pid not in pids.values(), pids
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
        deadline = time.monotonic() + 10
        while any(layout.pid_alive(pid) for pid in pids.values()) and time.monotonic() < deadline:
            time.sleep(0.05)
        if os.path.exists(pause):
            os.unlink(pause)
        left = difference(before, host_snapshot(conn, p['instances_path'], p['state_path']))
        assert left, 'killing the builds left nothing: they never started'
        result = run_module(workdir, 'reconcile', dict(p, uri='qemu:///system', networks=[NET]))
        assert result['changed'] is True
        after = difference(before, host_snapshot(conn, p['instances_path'], p['state_path']))
        assert after == {}, after
    finally:
        for server in servers:
            teardown.delete(conn, server['uuid'], p['instances_path'], p['state_path'])
