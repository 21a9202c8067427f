#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""create_server on the fleet database: warm create median, SSH commands per create and the
controller's CPU, at testbeds of 3, 10, 25 and 50 hypervisors (real ones: scripts/testbed) and
at a fleet of 1,000 of which 997 exist only as rows of the fleet database (full, so nothing
lands on them, and kept fresh as a scheduled refresh would keep them: they are in the
inventory and the scheduler reads all 1,000 rows, but no task ever runs on them). At 3 hosts
also a multi-create of 10, creates on the VXLAN network `tenant` (at 3 and at the simulated
1,000, whose rows then carry a VXLAN address each: the build's flood list comes from all of
them), the minimal alternative (community.libvirt's `virt` playbook for
the same domain: overlay, config drive, define, start) and the QEMU floor (define + start of
the same XML through the host's libvirtd socket), all in the same run. Ratios are against the
warm create at 3 hosts of this run.

Brings up testbeds of its own (scripts/testbed; TESTBED_* from the environment, defaults
apart from the tests' testbed) and always tears them down. Servers are deleted between runs
(not timed). The controller's CPU is user + system time of every process the run started
(ansible-playbook, its workers, ssh). Table: build/bench/fleet.txt.

    sudo .venv/bin/python bench/bench_fleet.py [--runs 5] [--sizes 3,10,25,50]
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import sys
import time
import xml.etree.ElementTree as ET

import libvirt

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
for key, value in (('TESTBED_ROOT', '/var/tmp/tb-fleet-bench'), ('TESTBED_NET', '10.84.0'),
                   ('TESTBED_BRIDGE', 'nltb84'), ('TESTBED_PREFIX', 'fb'),
                   ('TESTBED_INVENTORY', os.path.join(os.path.dirname(HERE), 'inventories', 'testbed-fleet-bench'))):
    os.environ.setdefault(key, value)

import source_tree  # noqa: E402,F401  the collection's source tree importable
import bench_multihost as mh  # noqa: E402  testbed, SSH wrapper, cleanup playbook, timed runs

from ansible_collections.novalite.compute.plugins.module_utils.fleet import compute_nodes, schema  # noqa: E402

SIMULATED = 997
# The vxlan network scripts/testbed/up.sh adds to the testbed's catalog.
TENANT = '0e7d1a2b-3c4d-4e5f-8a9b-7c6d5e4f3a2b'


def timed_playbook(inventory, target, extra_vars, env, limit=None):
    """(wall seconds, controller CPU seconds, ssh commands, output) of one ansible-playbook run."""
    if os.path.exists(mh.SSH_LOG):
        os.remove(mh.SSH_LOG)
    cmd = [os.path.join(mh.BIN, 'ansible-playbook'), '-i', inventory, target, '-e', json.dumps(extra_vars)]
    if limit:
        cmd += ['--limit', limit]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    proc = mh.run(cmd, env=env, check=False)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise RuntimeError('%s failed (rc %d):\n%s' % (target, proc.returncode, proc.stdout[-6000:]))
    commands = len([e for e in mh.read_ssh_log() if e[1] == 'ssh'])
    return wall, cpu, commands, proc.stdout


def simulated_inventory(path):
    """The testbed's inventory plus SIMULATED hosts that no task reaches, and their rows (each
    with a VXLAN address of its own, 198.18.0.0/15, as a refresh of a real host reports it)."""
    shutil.rmtree(path, ignore_errors=True)
    shutil.copytree(mh.INVENTORY, path, ignore=shutil.ignore_patterns('.fleet.sqlite*'))
    fake = dict(('sim%04d' % n, {'ansible_host': '192.0.2.1', 'ansible_port': 9}) for n in range(SIMULATED))
    with open(os.path.join(path, 'simulated.yml'), 'w') as f:
        json.dump({'all': {'children': {'hypervisors': {'hosts': fake}}}}, f)
    db = schema.connect(os.path.join(path, '.fleet.sqlite'))
    try:
        for index, name in enumerate(fake):
            # Full: every vCPU used, so ResourceFilter removes them and nothing lands there.
            compute_nodes.report(db, {
                'local_ip': '198.18.%d.%d' % (index // 250, index % 250 + 1),
                'host': name, 'vcpus_total': 32, 'vcpus_used': 512, 'memory_mb_total': 131072,
                'memory_mb_used': 131072, 'disk_gb_total': 1000, 'disk_gb_used': 10,
                'cpu_allocation_ratio': 16.0, 'ram_allocation_ratio': 1.0, 'disk_allocation_ratio': 1.0,
                'availability_zone': 'nova', 'aggregates': [], 'hypervisor_type': 'QEMU',
                'hypervisor_version': 7002000, 'supported_instances': [['x86_64', 'qemu', 'hvm']],
                'num_instances': 40, 'num_io_ops': 0, 'instances': {}, 'service_disabled': False,
                'updated': compute_nodes.iso(time.time())})
    finally:
        db.close()
    return path


def keep_fresh(inventory):
    """What a scheduled refresh does for the simulated hosts: their rows and heartbeats now."""
    db = schema.connect(os.path.join(inventory, '.fleet.sqlite'))
    try:
        with db.transaction():
            now = time.time()
            db.execute("UPDATE compute_nodes SET updated_at = ? WHERE host LIKE 'sim%'", (now,))
            db.execute("UPDATE services SET last_seen_up = ? WHERE host LIKE 'sim%'", (now,))
    finally:
        db.close()


class Series(object):
    def __init__(self, label):
        self.label, self.walls, self.cpus, self.commands, self.notes = label, [], [], [], []

    def add(self, wall, cpu=None, commands=None):
        self.walls.append(wall)
        self.cpus.append(cpu)
        self.commands.append(commands)

    def median(self):
        return statistics.median(self.walls)

    def row(self, baseline):
        def med(values, fmt):
            values = [v for v in values if v is not None]
            return fmt % statistics.median(values) if values else '-'
        return '| %s | %d | %.2f s | %.2fx | %s | %s |' % (
            self.label, len(self.walls), self.median(), self.median() / baseline,
            med(self.commands, '%d'), med(self.cpus, '%.2f s'))


def machine_busy():
    """Seconds the machine's CPUs have been busy (all of them, /proc/stat)."""
    with open('/proc/stat') as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    return float(sum(fields) - fields[3] - fields[4]) / os.sysconf('SC_CLK_TCK')


def guest_cpu():
    """CPU seconds the testbed's guests have used since they started (libvirt's cpuTime)."""
    total = 0
    for host in mh.HOSTS:
        conn = mh.connect(host)
        try:
            total += sum(d.info()[4] for d in conn.listAllDomains() if d.isActive())
        finally:
            conn.close()
    return total / 1e9


def creates(label, inventory, env, runs, count=1, before=None, network=mh.NETWORK):
    """Warm creates of `count` servers; for a multi-create also how busy the machine was and
    how much of it the guests booting meanwhile took."""
    series = Series(label)
    real = ','.join(mh.HOSTS)
    for index in range(runs + 1):                 # the first run warms the rows and image caches
        if before:
            before()
        name = 'nltest-bench-fleet-%s-%d' % (label.split()[0], index)
        busy = machine_busy()
        wall, cpu, commands, _out = timed_playbook(inventory, 'novalite.compute.create_server',
                                                   mh.request(name, count, network), env)
        busy = machine_busy() - busy
        built = sum(len(names) for names in mh.domains().values())
        if built != count:
            raise RuntimeError('%s: %d servers built, %d asked' % (label, built, count))
        if index:
            series.add(wall, cpu, commands)
            if count > 1:
                series.notes.append('%s: the machine was busy %.0f of %.0f core-seconds (%d cores x %.2f s); '
                                    'the %d guests booting meanwhile used %.1f of them'
                                    % (label, busy, os.cpu_count() * wall, os.cpu_count(), wall, count, guest_cpu()))
            mh.log('%s run %d: %.2f s, %.2f s CPU, %d ssh' % (label, index, wall, cpu, commands))
        mh.run([os.path.join(mh.BIN, 'ansible-playbook'), '-i', inventory, os.path.join(mh.OUT, 'cleanup.yml'),
                '--limit', real], env=env)
    return series


def up(size):
    """A testbed of `size` hypervisors, prepared, with even capacity settings."""
    mh.HOSTS[:] = ['%s%d' % (mh.PREFIX, i) for i in range(1, size + 1)]
    mh.testbed('down.sh')
    mh.testbed('up.sh', str(size))
    mh.even_hosts()
    env = mh.ansible_env()
    mh.run([os.path.join(mh.BIN, 'ansible-playbook'), '-i', mh.INVENTORY,
            'novalite.compute.prepare_hypervisors'], env=env, timeout=1800)
    return env


def alternative_and_floor(env, runs):
    """The community.libvirt playbook and the QEMU floor for the domain a create built."""
    name = 'nltest-bench-fleet-ref'
    timed_playbook(mh.INVENTORY, 'novalite.compute.create_server', mh.request(name), env)
    host = [h for h, names in mh.domains().items() if names][0]
    conn = mh.connect(host)
    try:
        built_xml = conn.listAllDomains()[0].XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
    finally:
        conn.close()
    drive = ET.fromstring(built_xml).find("devices/disk[@device='cdrom']/source").get('file')
    keep = os.path.join(mh.OUT, 'config-drive.iso')
    shutil.copy(mh.host_path(host, drive), keep)
    mh.run([os.path.join(mh.BIN, 'ansible-playbook'), '-i', mh.INVENTORY, os.path.join(mh.OUT, 'cleanup.yml'),
            '--limit', ','.join(mh.HOSTS)], env=env)
    bench = mh.Bench(mh.community_libvirt_path())
    alternative, floor = Series('community.libvirt `virt` playbook'), Series('QEMU floor (define + start)')
    for k in range(runs + 1):
        result = mh.alternative_once(bench, host, built_xml, k)
        if k:
            alternative.add(result.wall, None, result.commands())
            floor.add(mh.floor_once(host, built_xml, keep, k))
    return alternative, floor


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--runs', type=int, default=5)
    parser.add_argument('--sizes', default='3,10,25,50',
                        help='testbed sizes, comma-separated; the first is the baseline (default 3,10,25,50)')
    opts = parser.parse_args()
    sizes = [int(size) for size in opts.sizes.split(',')]
    os.makedirs(mh.OUT, exist_ok=True)
    mh.install_collection()
    mh.write_files()
    series = []
    try:
        for size in sizes:
            env = up(size)
            series.append(creates('%d hypervisors' % size, mh.INVENTORY, env, opts.runs))
            if size != sizes[0]:
                continue
            series.append(creates('multi-create of 10, %d hypervisors' % size, mh.INVENTORY, env, 1, count=10))
            sim = simulated_inventory(os.path.join(mh.OUT, 'inventory-1000'))
            series.append(creates('1,000 hypervisors (%d real, %d rows only)' % (size, SIMULATED), sim, env,
                                  opts.runs, before=lambda: keep_fresh(sim)))
            series.append(creates('VXLAN network, %d hypervisors' % size, mh.INVENTORY, env, opts.runs,
                                  network=TENANT))
            series.append(creates('VXLAN network, 1,000 hypervisors (%d real, %d rows only)' % (size, SIMULATED),
                                  sim, env, opts.runs, before=lambda: keep_fresh(sim), network=TENANT))
            series.extend(alternative_and_floor(env, opts.runs))
    finally:
        mh.testbed('down.sh')
    baseline = series[0].median()
    head = mh.run(['git', 'rev-parse', '--short', 'HEAD'], check=False).stdout.strip()
    table = '\n'.join(['| fleet | runs | warm create (median) | vs %s | SSH commands per create | controller CPU |'
                       % series[0].label, '|---|---:|---:|---:|---:|---:|']
                      + [s.row(baseline) for s in series]
                      + [''] + [note for s in series for note in s.notes]
                      + ['', 'collection at %s; load average 1 min at the end: %.1f (2 cores)'
                         % (head, os.getloadavg()[0])])
    with open(os.path.join(mh.OUT, 'fleet.txt'), 'w') as f:
        f.write(table + '\n')
    mh.log(table)


if __name__ == '__main__':
    main()
