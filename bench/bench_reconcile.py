#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reconciler on a host with N servers, timed.

Defines N servers (domains with their records, instance directories, one DHCP entry each on
an isolated network), then times:

- a clean pass (nothing to do), the cost every create pays per host: median of --runs;
- a pass that finds --debris of each kind a dead build leaves (partial builds with their
  journal, claim, directory and DHCP entry; orphan DHCP entries; orphan directories;
  temporary files of dead processes), and checks it removed exactly those.

    .venv/bin/python bench/bench_reconcile.py [--servers 200] [--uri test|qemu:///system]

`test` (the default) is libvirt's test driver, in this process; qemu:///system defines real
(stopped) domains on this machine's libvirtd and an isolated network nltest-bench-rec, and
removes them at the end. Everything else lives in a directory under /var/tmp, removed too.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid

import source_tree  # noqa: E402,F401  first: makes the collection importable

import libvirt  # noqa: E402

from ansible_collections.novalite.compute.plugins.module_utils.compute import claims  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import journal  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import layout  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import reconcile  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record as sr  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute.host_settings import HostSettings  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt import network as ln  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import (  # noqa: E402
    open_connection,
)

NET = 'nltest-bench-rec'
NODE_XML = """<node>
  <cpu><mhz>2000</mhz><model>x86_64</model><active>64</active><nodes>1</nodes>
       <sockets>1</sockets><cores>64</cores><threads>1</threads></cpu>
  <memory>268435456</memory>
  <network><name>%s</name><bridge name='nlbenchrec0'/>
    <ip address='10.253.0.1' netmask='255.255.0.0'><dhcp><range start='10.253.200.1' end='10.253.200.200'/></dhcp></ip>
  </network>
</node>
""" % NET


def mac(i):
    return 'fa:16:3e:%02x:%02x:%02x' % ((i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff)


def ip(i):
    return '10.253.%d.%d' % (1 + i // 250, 1 + i % 250)


def connect(uri, root):
    if uri == 'test':
        path = os.path.join(root, 'node.xml')
        with open(path, 'w') as handle:
            handle.write(NODE_XML)
        return open_connection('test://%s' % path), 'test'
    conn = open_connection(uri)
    want = ln.desired_network(NET, cidr='10.253.0.0/16', dhcp_start='10.253.200.1',
                              dhcp_end='10.253.200.200')
    ln.NetworkManager(conn, NET, 'active', want).run()
    return conn, 'qemu'


def define_server(conn, dom_type, settings, i):
    server_uuid = str(uuid.uuid4())
    dom = conn.defineXML(
        "<domain type='%s'><name>instance-%s</name><uuid>%s</uuid><memory>65536</memory>"
        "<vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os><devices>"
        "<interface type='network'><mac address='%s'/><source network='%s'/></interface>"
        "</devices></domain>" % (dom_type, server_uuid, server_uuid, mac(i), NET))
    sr.write_record(dom, sr.new_record(uuid=server_uuid, name='bench-%d' % i, host='hv',
                                       vm_state='active', created=sr.now_iso()))
    os.makedirs(layout.instance_dir(settings.instances_path, server_uuid))
    ln.add_dhcp_host(conn, NET, mac(i), ip(i), 'bench-%d' % i)
    return dom


def dead_pid():
    proc = subprocess.Popen(['true'])
    proc.wait()
    return proc.pid


def add_debris(conn, settings, count, first):
    """`count` of each kind a dead build leaves; the number of things made."""
    pid, other = dead_pid(), dead_pid()
    base = layout.image_cache_dir(settings.state_path)
    os.makedirs(base, exist_ok=True)
    for k in range(count):
        i = first + k
        partial = str(uuid.uuid4())
        entry = journal.begin(settings.state_path, {'uuid': partial, 'name': 'dead-%d' % k}, 'hv', None)
        entry.data['pid'] = pid
        entry.note('directory', dhcp=[(NET, mac(i))],
                   instance_dir=layout.instance_dir(settings.instances_path, partial))
        ln.add_dhcp_host(conn, NET, mac(i), ip(i), 'dead-%d' % k)
        os.makedirs(layout.instance_dir(settings.instances_path, partial))
        with claims.claim(settings.state_path, partial, {'vcpus': 1, 'memory_mb': 64, 'root_gb': 1},
                          lambda _claims: []) as held:
            held.data['pid'] = pid
            held.save_ports([{'mac': mac(i), 'dhcp_network': NET}])
        ln.add_dhcp_host(conn, NET, mac(i + count), ip(i + count), 'orphan-%d' % k)
        os.makedirs(layout.instance_dir(settings.instances_path, str(uuid.uuid4())))
        # A download of another process that died (a build's own go with its journal).
        open(layout.temporary_path(os.path.join(base, 'img%d' % k), other), 'w').close()
    return 4 * count


def timed(conn, settings, **options):
    start = time.perf_counter()
    result = reconcile.reconcile(conn, settings, networks=[NET], **options)
    return time.perf_counter() - start, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--servers', type=int, default=200)
    parser.add_argument('--debris', type=int, default=20)
    parser.add_argument('--runs', type=int, default=5)
    parser.add_argument('--uri', default='test')
    args = parser.parse_args()
    root = tempfile.mkdtemp(prefix='nltest-bench-rec-', dir='/var/tmp')
    settings = HostSettings(instances_path=root + '/instances', state_path=root + '/state')
    conn, dom_type = connect(args.uri, root)
    doms = []
    try:
        start = time.perf_counter()
        doms = [define_server(conn, dom_type, settings, i) for i in range(args.servers)]
        print('%d servers defined on %s in %.1fs' % (args.servers, args.uri, time.perf_counter() - start))
        clean = []
        for _run in range(args.runs):
            seconds, result = timed(conn, settings, instance_build_timeout=3600)
            assert result['actions'] == [], result['actions']
            clean.append(seconds)
        print('clean pass (nothing to do): median %.3fs, min %.3fs, max %.3fs over %d runs'
              % (statistics.median(clean), min(clean), max(clean), args.runs))
        made = add_debris(conn, settings, args.debris, args.servers)
        seconds, result = timed(conn, settings, instance_build_timeout=3600)
        print('pass with debris: %.3fs, %d actions %s' % (seconds, len(result['actions']),
                                                          result['summary']))
        assert result['summary'] == {'partial_build': args.debris, 'orphan_dhcp': args.debris,
                                     'orphan_directory': args.debris,
                                     'temporary_file': args.debris}, result['summary']
        assert len(result['actions']) == made
        assert len(ln.dhcp_hosts(conn, NET)) == args.servers
        seconds, result = timed(conn, settings, instance_build_timeout=3600)
        assert result['actions'] == []
        print('next pass: %.3fs, nothing to do' % seconds)
    finally:
        for dom in doms:
            dom.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE)
        if dom_type == 'qemu':
            ln.NetworkManager(conn, NET, 'absent', {'name': NET}).run()
        conn.close()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == '__main__':
    main()
