# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What hypervisor_info costs a host as its servers grow: the size of its result (host state
plus the servers table) against a baseline measured in the same run, the same servers as a
list of dicts (server_list.compact_server, one dict a server); the time to gather it from
this machine's libvirtd; and the time the controller takes to turn the table back into
dicts (server_table.expand_servers).

The servers are domains defined (never started) on qemu:///system with Nova-like records:
32-hex ids of 5 projects with 2 users each, half in one of 3 server groups, one fixed IP
each. They are removed at the end. Servers the host already has are counted in.

Run as root: .venv/bin/python bench/bench_host_facts.py [--sizes 10,50,200] [--runs 7]
(a benchmark, not a test: nothing is asserted)
"""

import argparse
import json
import os
import statistics
import tempfile
import time
import uuid

import source_tree  # noqa: E402,F401  first: makes the collection importable

import libvirt  # noqa: E402

from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record as sr  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute.server_list import compact_server  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute.host_settings import HostSettings  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute.resource_tracker import (  # noqa: E402
    GONE_VM_STATES, gather_host_state)
from ansible_collections.novalite.compute.plugins.module_utils.compute.server_table import (  # noqa: E402
    expand_servers)
from libvirt_helpers import DefinedDomains  # noqa: E402

URI = 'qemu:///system'
FLAVOR = {'id': '1', 'name': 'm1.nano', 'vcpus': 1, 'memory_mb': 128, 'root_gb': 1,
          'ephemeral_gb': 0, 'swap': 0, 'extra_specs': {}}
PROJECTS = [uuid.uuid4().hex for _index in range(5)]
USERS = [uuid.uuid4().hex for _index in range(10)]
GROUPS = [str(uuid.uuid4()) for _index in range(3)]


def add_servers(domains, count):
    for _index in range(count):
        index = len(domains.names)
        dom = domains.define('bench-hf')
        sr.write_record(dom, sr.new_record(
            uuid=dom.UUIDString(), name='web-server-%03d' % index, flavor=dict(FLAVOR),
            vm_state='active', project_id=PROJECTS[index % 5], user_id=USERS[index % 10],
            key_name='deploy', instance_group={'uuid': GROUPS[index % 3]} if index % 2 else None,
            ports=[{'network_name': 'private', 'fixed_ip': '10.%d.%d.%d' % (index // 65536, index // 256 % 256, index % 256),
                    'mac': 'fa:16:3e:%02x:%02x:%02x' % (index // 65536, index // 256 % 256, index % 256)}]))


def gather(conn, workdir):
    settings = HostSettings(instances_path=workdir, state_path=workdir, cpu_allocation_ratio=16.0,
                            ram_allocation_ratio=1.5, disk_allocation_ratio=1.0,
                            reserved_host_memory_mb=512, reserved_host_disk_mb=0,
                            reserved_host_cpus=0)
    return gather_host_state(
        conn, settings, host='hv1',
        availability_zone='az1', aggregates=[{'name': 'rack1', 'metadata': {'availability_zone': 'az1'}}],
        virt_type='qemu', claims=[])


def timed(func, runs):
    times = []
    for _run in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def measure(conn, workdir, runs):
    host_state, table = gather(conn, workdir)
    records = [rec for rec in sr.list_servers(conn) if rec.get('vm_state') not in GONE_VM_STATES]
    size = len(json.dumps({'changed': False, 'host_state': host_state, 'servers': table}))
    baseline = len(json.dumps({'changed': False, 'host_state': host_state,
                               'servers': [compact_server(rec) for rec in records]}))
    return {
        'servers': len(records), 'bytes': size, 'baseline': baseline,
        'instances': len(json.dumps(host_state['instances'])),
        'gather_ms': timed(lambda: gather(conn, workdir), runs),
        'expand_ms': timed(lambda: expand_servers(host_state, table), runs * 10),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--sizes', default='10,50,200')
    parser.add_argument('--runs', type=int, default=7)
    args = parser.parse_args()
    conn = libvirt.open(URI)
    present = len([rec for rec in sr.list_servers(conn) if rec.get('vm_state') not in GONE_VM_STATES])
    rows = []
    workdir = tempfile.mkdtemp(prefix='nlbench-hf-')
    try:
        with DefinedDomains(conn) as domains:
            for size in sorted(int(s) for s in args.sizes.split(',')):
                add_servers(domains, max(0, size - present - len(domains.names)))
                rows.append(measure(conn, workdir, args.runs))
    finally:
        os.rmdir(workdir)
    print('hypervisor_info result on %s, %d runs (gather) / %d runs (expand); sizes are JSON bytes '
          'without Ansible\'s invocation echo' % (URI, args.runs, args.runs * 10))
    print('| servers | result bytes | bytes/server | list-of-dicts baseline | ratio | of it instances map | gather ms (median) | expand ms (median) |')
    print('|---|---|---|---|---|---|---|---|')
    for row in rows:
        print('| %d | %d | %d | %d | %.2f | %d | %.1f | %.2f |' % (
            row['servers'], row['bytes'], row['bytes'] // max(1, row['servers']), row['baseline'],
            row['bytes'] / row['baseline'], row['instances'], row['gather_ms'], row['expand_ms']))


if __name__ == '__main__':
    main()
