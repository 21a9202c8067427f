#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The build's stages on this machine's libvirtd and QEMU, timed: medians over N runs.

Each run builds one m1.nano server from the project's demo image the way server_build does
(the same functions, in the same order, each stage timed on its own), then deletes it; in
the same run it starts the same guest bare (hand-written XML, no collection code: libvirt
define + start + RUNNING) as the floor any build stands on. The image cache is timed warm
(hit) and against a fresh state path (miss). Everything made (an isolated network
nltest-bench, a directory under /var/tmp, the domains) is removed at the end.

    sudo .venv/bin/python bench/bench_build.py [--runs 5] [--uri qemu:///system]

The demo image must exist (scripts/build-demo-image.sh).
"""

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

import source_tree  # noqa: E402,F401  first: makes the collection importable

import libvirt  # noqa: E402

from ansible_collections.novalite.compute.plugins.module_utils.compute import build
from ansible_collections.novalite.compute.plugins.module_utils.compute import teardown
from ansible_collections.novalite.compute.plugins.module_utils.compute import image_cache
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt import network as ln
from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.domain_xml import (  # noqa: E402
    guest_xml,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import (  # noqa: E402
    open_connection, wait_for_state,
)

NET, CIDR = 'nltest-bench', '10.254.252.0/24'
DEMO = os.environ.get('NOVALITE_DEMO_IMAGE_DIR', '/var/lib/novalite/demo-image')
CMDLINE = 'console=ttyS0 panic=-1'
NANO = {'name': 'm1.nano', 'flavorid': '1', 'vcpus': 1, 'memory_mb': 128, 'root_gb': 1,
        'ephemeral_gb': 0, 'swap': 0, 'extra_specs': {}}
STAGES = ('claim', 'network', 'image cache miss', 'image cache hit', 'overlay', 'config drive',
          'XML', 'define + start', 'wait until RUNNING', 'record ACTIVE')
# The bare guest: the build's devices, written by hand.
BARE_XML = """<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>{dir}/vmlinuz</kernel><initrd>{dir}/initrd.img</initrd>
    <cmdline>{cmdline}</cmdline>
  </os>
  <features><acpi/><apic/></features>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
      <source file='{work}/{name}.qcow2'/><target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='cdrom'><driver name='qemu' type='raw'/>
      <source file='{work}/{name}.iso'/><target dev='hdc' bus='ide'/><readonly/></disk>
    <interface type='network'><source network='{net}'/><model type='virtio'/></interface>
    <serial type='file'><source path='{work}/{name}.log'/><target port='0'/></serial>
    <memballoon model='none'/>
  </devices>
</domain>
"""


def runner(args):
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def checksum(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b''):
            digest.update(chunk)
    return 'sha256:' + digest.hexdigest()


def catalog():
    paths = {key: os.path.join(DEMO, name) for key, name in
             (('image', 'disk.qcow2'), ('kernel', 'vmlinuz'), ('ramdisk', 'initrd.img'))}
    missing = [p for p in paths.values() if not os.path.isfile(p)]
    if missing:
        sys.exit('the demo image is missing (%s): run scripts/build-demo-image.sh'
                 % ', '.join(missing))
    props = {'os_command_line': CMDLINE, 'hw_machine_type': 'pc', 'hw_disk_bus': 'virtio',
             'hw_cdrom_bus': 'ide', 'hw_vif_model': 'virtio', 'architecture': 'x86_64'}
    images = {key: {'id': 'bench-%s' % key, 'location': path, 'checksum': checksum(path)}
              for key, path in paths.items()}
    images['image'].update(name='nltest-bench', disk_format='qcow2', properties=props)
    return images


def server(images):
    server_uuid = str(uuid.uuid4())
    return {
        'uuid': server_uuid, 'name': 'nltest bench', 'hostname': 'nltest-bench',
        'project_id': 'bench', 'user_id': 'bench', 'availability_zone': 'nova',
        'public_keys': {}, 'metadata': {}, 'security_groups': ['default'],
        'config_drive': True, 'flavor': NANO, 'image': images['image'],
        'kernel': images['kernel'], 'ramdisk': images['ramdisk'],
        'networks': [{'network_id': 'bench-net', 'network_name': NET, 'cidr': CIDR,
                      'gateway': '10.254.252.1', 'dns_nameservers': [],
                      'allocation_pools': [{'start': '10.254.252.10', 'end': '10.254.252.200'}],
                      'libvirt_network': NET, 'dhcp': True}],
    }


class Clock(object):
    def __init__(self):
        self.times = {}

    def timed(self, stage, func, *args):
        start = time.monotonic()
        result = func(*args)
        self.times[stage] = time.monotonic() - start
        return result


def build_run(conn, work, images):
    """One build, stage by stage as Builder.build does it; the stage times."""
    srv = server(images)
    params = {'server': srv, 'host': 'nltest-bench', 'instances_path': work + '/instances',
              'state_path': work + '/state', 'virt_type': 'qemu', 'request_id': 'req-bench'}
    builder = build.Builder(conn, params, runner)
    builder.validate()
    clock = Clock()
    try:
        builder._claim()  # pylint: disable=protected-access
        clock.times.update((k, builder.timings[k]) for k in ('claim', 'network'))
        # A miss: a host that never saw the image (fresh state path).
        fresh = tempfile.mkdtemp(prefix='miss-', dir=work)
        clock.timed('image cache miss', lambda: [image_cache.fetch_image(fresh, img, runner)
                                                 for img in cached_images(srv)])
        shutil.rmtree(fresh)
        cached = clock.timed('image cache hit', lambda: [
            image_cache.fetch_image(builder.state_path, img, runner) for img in cached_images(srv)])
        os.makedirs(builder.inst_dir)
        for key, path in zip(('kernel', 'ramdisk'), cached[1:]):
            image_cache.link_into(path, os.path.join(builder.inst_dir, key))
        clock.timed('overlay', image_cache.create_overlay, runner, cached[0], 'qcow2',
                    os.path.join(builder.inst_dir, 'disk'), NANO['root_gb'])
        clock.timed('config drive', builder._create_config_drive)  # pylint: disable=protected-access
        record = builder.new_record(builder.ports, server_record.now_iso())
        xml = clock.timed('XML', lambda: guest_xml(builder.domain_spec(builder.ports, record)))
        dom = clock.timed('define + start', define_and_start, conn, xml)
        build.claims.release(builder.state_path, builder.uuid)
        clock.timed('wait until RUNNING', wait_for_state, dom, [libvirt.VIR_DOMAIN_RUNNING], 60)
        clock.timed('record ACTIVE', builder._mark_active, dom, record)  # pylint: disable=protected-access
    finally:
        teardown.delete(conn, srv['uuid'], params['instances_path'], params['state_path'])
    return clock.times


def cached_images(srv):
    return [srv['image'], dict(srv['kernel'], disk_format='aki'),
            dict(srv['ramdisk'], disk_format='ari')]


def define_and_start(conn, xml):
    dom = conn.defineXML(xml)
    dom.createWithFlags(0)
    return dom


def bare_run(conn, work, iso):
    """The same guest started bare: define + start + RUNNING, no collection code."""
    name = 'nltest-bench-bare-%s' % uuid.uuid4().hex[:8]
    subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b',
                    os.path.join(DEMO, 'disk.qcow2'), '%s/%s.qcow2' % (work, name), '1G'],
                   check=True)
    shutil.copyfile(iso, '%s/%s.iso' % (work, name))
    xml = BARE_XML.format(name=name, dir=DEMO, cmdline=CMDLINE, work=work, net=NET)
    start = time.monotonic()
    dom = conn.defineXML(xml)
    try:
        dom.createWithFlags(0)
        while dom.state()[0] != libvirt.VIR_DOMAIN_RUNNING:
            time.sleep(0.01)
        return time.monotonic() - start
    finally:
        if dom.isActive():
            dom.destroy()
        dom.undefine()


def config_drive_iso(conn, work, images):
    """A config drive as the build writes it, for the bare guest."""
    srv = server(images)
    builder = build.Builder(conn, {'server': srv, 'host': 'nltest-bench',
                                   'instances_path': work + '/iso', 'state_path': work + '/state'},
                            runner)
    os.makedirs(builder.inst_dir)
    builder._create_config_drive()  # pylint: disable=protected-access
    return os.path.join(builder.inst_dir, 'disk.config')


def report(runs, floors, totals):
    def row(label, values):
        cells = [1000 * statistics.median(values), 1000 * min(values), 1000 * max(values)]
        print('| %-26s | %8.1f | %8.1f | %8.1f |' % tuple([label] + cells))

    print('| %-26s | %8s | %8s | %8s |' % ('stage (ms)', 'median', 'min', 'max'))
    print('|%s|%s|%s|%s|' % ('-' * 28, '-' * 10, '-' * 10, '-' * 10))
    for stage in STAGES:
        row(stage, [r[stage] for r in runs])
    row('build (sum, cache hit)', totals)
    row('QEMU start floor (bare)', floors)
    start = [r['define + start'] + r['wait until RUNNING'] for r in runs]
    print('\nruns: %d; define + start + wait / floor: %.2f; build / floor: %.2f'
          % (len(runs), statistics.median(start) / statistics.median(floors),
             statistics.median(totals) / statistics.median(floors)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=5)
    parser.add_argument('--uri', default='qemu:///system')
    args = parser.parse_args()
    images = catalog()
    conn = open_connection(args.uri)
    # QEMU runs as an unprivileged user: a world-traversable directory under /var/tmp.
    work = tempfile.mkdtemp(prefix='nltest-bench-', dir='/var/tmp')
    os.chmod(work, 0o755)
    want = ln.desired_network(NET, cidr=CIDR, dhcp_start='10.254.252.100',
                              dhcp_end='10.254.252.200')
    ln.NetworkManager(conn, NET, 'active', want).run()
    try:
        for img in cached_images(server(images)):
            image_cache.fetch_image(work + '/state', img, runner)
        iso = config_drive_iso(conn, work, images)
        runs, floors, totals = [], [], []
        for _index in range(args.runs):
            times = build_run(conn, work, images)
            runs.append(times)
            totals.append(sum(v for k, v in times.items() if k != 'image cache miss'))
            floors.append(bare_run(conn, work, iso))
        report(runs, floors, totals)
    finally:
        ln.NetworkManager(conn, NET, 'absent', {'name': NET}).run()
        shutil.rmtree(work, ignore_errors=True)
        conn.close()


if __name__ == '__main__':
    main()
