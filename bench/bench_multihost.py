#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""create_server on the 3-host testbed, timed: medians over N runs, printed as one table.

Brings up a testbed of its own (scripts/testbed, settings from TESTBED_* with defaults that
keep it apart from the tests' testbed), and always tears it down. In one run it measures:
  - `ansible-playbook novalite.compute.create_server` for one m1.nano server, wall time from
    start to ACTIVE (the playbook's end, no console wait), with the fact cache warm
    (hypervisor_facts_max_age reuses the host states) and cold (cache emptied first);
  - QEMU's own start on a testbed host: define + start of the same guest (the XML a build
    produced, without its metadata) with libvirt-python through the host's socket: the floor;
  - a multi-create of 10 across the 3 hosts;
  - the SSH round trips of each run: ssh, sftp and scp go through a wrapper that logs every
    invocation (one per module run with pipelining) and whether it opened a new connection;
    a -vvv run, warm and cold, attributes them to tasks;
  - the minimal alternative: a playbook that prepares an overlay and a config drive with
    ansible.builtin.command and defines and starts the same XML with community.libvirt's
    `virt` (from the `ansible` package, installed into build/bench-venv when missing);
  - where the time goes (stage_times callback) and the effect of two settings: the quota
    recheck off, and pipelining for the controller's modules too.
Servers are deleted between runs (not timed). Table and details: build/bench/multihost.txt.

    sudo .venv/bin/python bench/bench_multihost.py [--runs 5] [--multi-runs 3] [--no-variants]

The demo image must exist (scripts/build-demo-image.sh).
"""

import argparse
import glob
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ET

import libvirt

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(os.path.abspath(sys.executable))
OUT = os.path.join(REPO, 'build', 'bench')
COLLECTIONS = os.path.join(OUT, 'collections')
FACT_CACHE = os.path.join(OUT, 'fact_cache')
SSH_LOG = os.path.join(OUT, 'ssh.log')
BENCH_VENV = os.path.join(REPO, 'build', 'bench-venv')
SCRIPTS = os.path.join(REPO, 'scripts', 'testbed')
# A testbed of its own: others run theirs at the same time (every setting can be overridden).
for key, value in (('TESTBED_ROOT', '/var/tmp/novalite-testbed-bench'), ('TESTBED_NET', '10.82.0'),
                   ('TESTBED_BRIDGE', 'nltbb0'), ('TESTBED_PREFIX', 'bhv'),
                   ('TESTBED_INVENTORY', os.path.join(REPO, 'inventories', 'testbed-bench'))):
    os.environ.setdefault(key, value)
ROOT, NET, PREFIX = os.environ['TESTBED_ROOT'], os.environ['TESTBED_NET'], os.environ['TESTBED_PREFIX']
INVENTORY = os.environ['TESTBED_INVENTORY']
HOSTS = ['%s%d' % (PREFIX, i) for i in (1, 2, 3)]
DEMO = os.environ.get('NOVALITE_DEMO_IMAGE_DIR', '/var/lib/novalite/demo-image')
PROJECT = 'bench'
CONTEXT = {'project_id': PROJECT, 'user_id': 'bench-user', 'roles': ['member']}
NETWORK = '5f0c3a6e-8d2b-4d6e-9a51-2c3b6a1e0f01'
MAX_AGE = 86400            # hypervisor_facts_max_age of the warm runs: the cache is reused
CONTROLLER_MODULES = ('Validate the server request', 'Check the quotas (instances, cores, ram, server group members)',
                      'Select destinations', 'Recheck the quotas now that the servers exist')

# Logs every ssh/sftp/scp that Ansible starts (time, tool, 1 if no ControlPersist master was
# there yet, host address), then runs the real one.
WRAPPER = r'''#!/bin/sh
tool=${0##*/}; cp=; host=
for a in "$@"; do
    case $a in
    ControlPath=*) cp=${a#ControlPath=}; cp=${cp#\"}; cp=${cp%\"} ;;
    *@NET@.*) host=$(printf '%s' "$a" | grep -oE '@NETRE@\.[0-9]+' | head -n 1) ;;
    esac
done
new=1; [ -n "$cp" ] && [ -S "$cp" ] && new=0
printf '%s %s %s %s\n' "$(date +%s.%N)" "$tool" "$new" "$host" >> @LOG@
exec /usr/bin/$tool "$@"
'''

CLEANUP = '''---
- name: Delete the benchmark's servers
  hosts: hypervisors
  gather_facts: false
  tasks:
    - name: List them
      novalite.compute.server_info: {project_id: %(project)s, detailed: false, all_tenants: true,
                                     context: {project_id: admin, user_id: bench, roles: [admin]}}
      register: bench_found
    - name: Delete them
      novalite.compute.server_delete:
        server: "{{ item.id }}"
        context: {project_id: admin, user_id: bench, roles: [admin]}
      loop: "{{ bench_found.servers }}"
      loop_control: {label: "{{ item.name }}"}

- name: Report the host states again, so that the cache is warm and current
  hosts: hypervisors
  gather_facts: false
  roles:
    - role: novalite.compute.hypervisor_facts
''' % {'project': PROJECT}

# The minimal alternative a user has today: the same domain with community.libvirt.
ALTERNATIVE = '''---
- name: Define and start a guest with community.libvirt
  hosts: "{{ alt_host }}"
  gather_facts: false
  tasks:
    - name: Instance directory
      ansible.builtin.file: {path: "{{ alt_dir }}/cd/openstack/latest", state: directory, mode: "0755"}
    - name: Config drive contents
      ansible.builtin.copy:
        dest: "{{ alt_dir }}/cd/openstack/latest/meta_data.json"
        content: "{{ {'uuid': alt_uuid, 'name': alt_name, 'hostname': alt_name} | to_json }}"
        mode: "0644"
    - name: Overlay on the image
      ansible.builtin.command: qemu-img create -q -f qcow2 -F qcow2 -b {{ alt_image }} {{ alt_dir }}/disk 1G
      changed_when: true
    - name: Config drive
      ansible.builtin.command: genisoimage -quiet -o {{ alt_dir }}/disk.config -V config-2 -r -J {{ alt_dir }}/cd
      changed_when: true
    - name: Define the domain
      community.libvirt.virt: {command: define, xml: "{{ lookup('ansible.builtin.file', alt_xml) }}", uri: "qemu:///system"}
    - name: Start it
      community.libvirt.virt: {name: "{{ alt_name }}", state: running, uri: "qemu:///system"}
'''

def log(msg):
    print(msg, flush=True)


def run(cmd, timeout=600, env=None, check=True):
    proc = subprocess.run(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise RuntimeError('%s failed (rc %d):\n%s' % (' '.join(cmd), proc.returncode, proc.stdout[-4000:]))
    return proc


# ---------------------------------------------------------------------------------- setup

def install_collection():
    """A snapshot of the working tree in a private collections path: others reinstall .collections."""
    dist = os.path.join(OUT, 'dist')
    shutil.rmtree(dist, ignore_errors=True)
    shutil.rmtree(COLLECTIONS, ignore_errors=True)
    galaxy = os.path.join(BIN, 'ansible-galaxy')
    run([galaxy, 'collection', 'build', '--force', '--output-path', dist, REPO])
    run([galaxy, 'collection', 'install', '--force', '-p', COLLECTIONS, glob.glob(os.path.join(dist, '*.tar.gz'))[0]])


def community_libvirt_path():
    """The site-packages of build/bench-venv, which holds the `ansible` package's collections."""
    found = glob.glob(os.path.join(BENCH_VENV, 'lib', 'python3*', 'site-packages'))
    if found and os.path.isdir(os.path.join(found[0], 'ansible_collections', 'community', 'libvirt')):
        return found[0]
    core = run([os.path.join(BIN, 'python'), '-c', 'import ansible.release as r; print(r.__version__)']).stdout.split('.')
    # The `ansible` package that ships the same ansible-core: 2.19 -> 12, 2.18 -> 11, ...
    major = int(core[1]) - 7
    log('installing the ansible package (%d.x) into %s' % (major, BENCH_VENV))
    run([sys.executable, '-m', 'venv', BENCH_VENV])
    run([os.path.join(BENCH_VENV, 'bin', 'pip'), 'install', '-q', 'ansible>=%d,<%d' % (major, major + 1)], timeout=1800)
    return community_libvirt_path()


def write_files():
    os.makedirs(os.path.join(OUT, 'sshwrap'), exist_ok=True)
    text = WRAPPER.replace('@NETRE@', NET.replace('.', r'\.')).replace('@NET@', NET).replace('@LOG@', SSH_LOG)
    for tool in ('ssh', 'sftp', 'scp'):
        path = os.path.join(OUT, 'sshwrap', tool)
        with open(path, 'w') as f:
            f.write(text)
        os.chmod(path, 0o755)
    for name, text in (('cleanup.yml', CLEANUP), ('alternative.yml', ALTERNATIVE)):
        with open(os.path.join(OUT, name), 'w') as f:
            f.write(text)


def ansible_env(collections=COLLECTIONS, extra_path=None):
    paths = [collections] + ([extra_path] if extra_path else [])
    wrap = os.path.join(OUT, 'sshwrap')
    return dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'), ANSIBLE_NOCOLOR='1',
                ANSIBLE_FORCE_COLOR='0', PATH=BIN + os.pathsep + os.environ.get('PATH', ''),
                ANSIBLE_COLLECTIONS_PATH=os.pathsep.join(paths),
                ANSIBLE_CACHE_PLUGIN_CONNECTION=FACT_CACHE, ANSIBLE_CACHE_PLUGIN_TIMEOUT=str(MAX_AGE),
                ANSIBLE_CALLBACKS_ENABLED='novalite.compute.stage_times', NOVALITE_STAGE_TIMES_TOP_TASKS='100',
                ANSIBLE_SSH_EXECUTABLE=os.path.join(wrap, 'ssh'), ANSIBLE_SFTP_EXECUTABLE=os.path.join(wrap, 'sftp'),
                ANSIBLE_SCP_EXECUTABLE=os.path.join(wrap, 'scp'))


def testbed(script, *args, timeout=900):
    proc = subprocess.Popen(['bash', os.path.join(SCRIPTS, script)] + list(args), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, universal_newlines=True, start_new_session=True)
    try:
        output = proc.communicate(timeout=timeout)[0]
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    if proc.returncode != 0:
        raise RuntimeError('%s failed:\n%s' % (script, output))
    return output


def even_hosts():
    """The same capacity settings on every host (up.sh gives each its own): with equal free RAM
    the RAMWeigher spreads a multi-create over the three hosts. host_vars/ files take precedence
    over the settings in hosts.yml."""
    os.makedirs(os.path.join(INVENTORY, 'host_vars'), exist_ok=True)
    for host in HOSTS:
        with open(os.path.join(INVENTORY, 'host_vars', host + '.yml'), 'w') as f:
            json.dump({'novalite_reserved_host_memory_mb': 512, 'novalite_ram_allocation_ratio': 1.0,
                       'novalite_cpu_allocation_ratio': 16.0}, f)
            f.write('\n')  # a YAML file as ansible-lint wants it, when one runs meanwhile


def connect(host):
    """libvirt-python through the host's own libvirtd socket (its private /run)."""
    sock = os.path.join(ROOT, host, 'run', 'libvirt', 'libvirt-sock')
    return libvirt.open('qemu+unix:///system?socket=%s' % sock)


# ------------------------------------------------------------------------------ one run

class Run(object):
    """One timed ansible-playbook run: wall time, stage times, SSH invocations."""

    def __init__(self, label, proc, wall, load):
        self.label, self.rc, self.output, self.wall, self.load = label, proc.returncode, proc.stdout, wall, load
        self.plays = parse_stage_times(self.output)
        self.ssh = read_ssh_log()
        self.selected = []
        self.spread = {}

    def commands(self, hosts=None):
        return len([e for e in self.ssh if e[1] == 'ssh' and (hosts is None or e[3] in hosts)])

    def transfers(self):
        return len([e for e in self.ssh if e[1] != 'ssh'])

    def new_connections(self):
        return len([e for e in self.ssh if e[2] == '1'])


def read_ssh_log():
    if not os.path.exists(SSH_LOG):
        return []
    with open(SSH_LOG) as f:
        entries = [tuple(line.split()) for line in f if line.strip()]
    # An address that did not show (no host argument) stays ''.
    return [e if len(e) == 4 else e + ('',) for e in entries]


def parse_stage_times(output):
    """[[play, seconds, [(task, seconds)]]] from the stage_times callback."""
    plays, started = [], False
    for line in output.splitlines():
        if line.startswith('STAGE TIMES'):
            started = True
            continue
        match = started and re.match(r'^( +)([0-9.]+) s  (.*)$', line)
        if not match:
            continue
        if len(match.group(1)) <= 6:
            plays.append([match.group(3), float(match.group(2)), []])
        elif plays:
            plays[-1][2].append((match.group(3), float(match.group(2))))
    return plays


def playbook(label, target, extra_vars, env, verbose=False):
    if os.path.exists(SSH_LOG):
        os.remove(SSH_LOG)
    cmd = [os.path.join(BIN, 'ansible-playbook'), '-i', INVENTORY, target, '-e', json.dumps(extra_vars)]
    if verbose:
        cmd.append('-vvv')
    load = os.getloadavg()[0]
    start = time.monotonic()
    proc = run(cmd, env=env, check=False)
    result = Run(label, proc, time.monotonic() - start, load)
    if result.rc != 0:
        raise RuntimeError('%s: %s failed (rc %d):\n%s' % (label, target, result.rc, result.output[-6000:]))
    return result


def request(name, count=1, network=NETWORK):
    server = {'name': name, 'flavorRef': 'm1.nano', 'imageRef': 'novalite-demo',
              'networks': [{'uuid': network}], 'min_count': count, 'max_count': count}
    return {'novalite_server': server, 'novalite_context': CONTEXT, 'hypervisor_facts_max_age': MAX_AGE}


def domains():
    """{host: [domain names]} of every testbed host."""
    found = {}
    for host in HOSTS:
        conn = connect(host)
        try:
            found[host] = sorted(d.name() for d in conn.listAllDomains())
        finally:
            conn.close()
    return found


def address(host):
    return '%s.%d' % (NET, 10 + HOSTS.index(host) + 1)


class Bench(object):
    def __init__(self, alt_path):
        self.env = ansible_env()
        self.alt_env = ansible_env(extra_path=alt_path)
        self.counter = 0
        self.results = {}           # series -> [Run]

    def name(self, what):
        self.counter += 1
        return 'nltest-bench-%s-%d' % (what, self.counter)

    def cleanup(self):
        """Delete the benchmark's servers and report the host states again: the cache is warm."""
        run([os.path.join(BIN, 'ansible-playbook'), '-i', INVENTORY, os.path.join(OUT, 'cleanup.yml'),
             '-e', json.dumps({'hypervisor_facts_max_age': 0})], env=self.env)

    def create(self, series, count=1, env=None, extra=None, cold=False, verbose=False, keep=False):
        """One timed create_server run (the cache emptied first when `cold`), then cleanup."""
        if cold:
            shutil.rmtree(FACT_CACHE, ignore_errors=True)
        extra_vars = dict(request(self.name(series), count), **(extra or {}))
        result = playbook(series, 'novalite.compute.create_server', extra_vars, env or self.env, verbose)
        found = domains()
        result.spread = dict((h, names) for h, names in found.items() if names)
        result.selected = list(result.spread)
        built = sum(len(names) for names in found.values())
        if built != count:
            raise RuntimeError('%s: %d servers built, %d asked' % (series, built, count))
        if not verbose:
            self.results.setdefault(series, []).append(result)
        if not keep:
            self.cleanup()
        return result


# ------------------------------------------------------------------ the guest on its own

def guest_xml(built_xml, name, directory):
    """The XML a build produced, without what is ours: metadata, description, uuid, MAC; the
    instance's files under `directory`, the kernel and ramdisk and base image of the catalog."""
    root = ET.fromstring(built_xml)
    for tag in ('metadata', 'description', 'uuid'):
        for element in root.findall(tag):
            root.remove(element)
    root.find('name').text = name
    root.find('os/kernel').text = os.path.join(DEMO, 'vmlinuz')
    root.find('os/initrd').text = os.path.join(DEMO, 'initrd.img')
    for interface in root.findall('devices/interface'):
        for mac in interface.findall('mac'):
            interface.remove(mac)
    for source in root.iter('source'):
        for attr in ('file', 'path'):
            if source.get(attr):
                source.set(attr, os.path.join(directory, os.path.basename(source.get(attr))))
    return ET.tostring(root, encoding='unicode')


def host_path(host, path):
    """The controller's path of `path` inside a testbed host (its /var/lib/novalite)."""
    return os.path.join(ROOT, host, 'novalite', os.path.relpath(path, '/var/lib/novalite'))


def remove_guest(host, name, directory):
    conn = connect(host)
    try:
        dom = conn.lookupByName(name)
        if dom.isActive():
            dom.destroy()
        dom.undefine()
    except libvirt.libvirtError:
        pass
    finally:
        conn.close()
    shutil.rmtree(host_path(host, directory), ignore_errors=True)


def floor_once(host, built_xml, config_drive, k):
    """define + start (libvirt returns once QEMU runs the guest) of the same guest: seconds."""
    name = 'nltest-bench-floor-%s' % k
    directory = '/var/lib/novalite/bench/%s' % name
    local = host_path(host, directory)
    os.makedirs(local)
    run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', os.path.join(DEMO, 'disk.qcow2'),
         os.path.join(local, 'disk'), '1G'])
    shutil.copy(config_drive, os.path.join(local, 'disk.config'))
    xml = guest_xml(built_xml, name, directory)
    conn = connect(host)
    try:
        start = time.monotonic()
        dom = conn.defineXML(xml)
        dom.create()
        seconds = time.monotonic() - start
        if dom.state()[0] != libvirt.VIR_DOMAIN_RUNNING:
            raise RuntimeError('%s is not running' % name)
    finally:
        conn.close()
        remove_guest(host, name, directory)
    return seconds


def alternative_once(bench, host, built_xml, k, verbose=False):
    """The community.libvirt playbook: overlay, config drive, define, start."""
    name = 'nltest-bench-alt-%s' % k
    directory = '/var/lib/novalite/bench/%s' % name
    xml_file = os.path.join(OUT, 'alt-%s.xml' % name)
    with open(xml_file, 'w') as f:
        f.write(guest_xml(built_xml, name, directory))
    extra = {'alt_host': host, 'alt_name': name, 'alt_uuid': str(uuid.uuid4()), 'alt_dir': directory,
             'alt_image': os.path.join(DEMO, 'disk.qcow2'), 'alt_xml': xml_file}
    try:
        result = playbook('community.libvirt', os.path.join(OUT, 'alternative.yml'), extra, bench.alt_env, verbose)
        conn = connect(host)
        try:
            if conn.lookupByName(name).state()[0] != libvirt.VIR_DOMAIN_RUNNING:
                raise RuntimeError('%s is not running' % name)
        finally:
            conn.close()
    finally:
        remove_guest(host, name, directory)
        os.remove(xml_file)
    result.selected = [host]
    if not verbose:
        bench.results.setdefault('community.libvirt', []).append(result)
    return result


# --------------------------------------------------------------------- variants

def prepare_variants():
    """[(label, env, extra vars)]: each change on its own, then together."""
    pipelining = {'ANSIBLE_PIPELINING': 'True'}
    changes = [
        ('A recheck off (build_recheck_quota=false)', {}, {'build_recheck_quota': False}),
        ('E pipelining on the controller too', pipelining, {}),
        ('A+E', pipelining, {'build_recheck_quota': False}),
    ]
    return [('change ' + label, dict(ansible_env(), **env), extra) for label, env, extra in changes]


def controller_module_cost(bench):
    """A trivial module on the controller (what each of our controller modules pays before it
    computes anything) against a set_fact, per task, from stage_times."""
    path = os.path.join(OUT, 'controller_cost.yml')
    tasks = ''.join('    - {name: ping %d, ansible.builtin.ping: }\n    - {name: set_fact %d, ansible.builtin.set_fact: {x: %d}}\n'
                    % (i, i, i) for i in range(5))
    with open(path, 'w') as f:
        f.write('---\n- name: Controller cost\n  hosts: localhost\n  gather_facts: false\n  tasks:\n' + tasks)
    result = playbook('controller', path, {}, bench.env)
    tasks = result.plays[0][2]
    return (statistics.median(s for t, s in tasks if t.startswith('ping')),
            statistics.median(s for t, s in tasks if t.startswith('set_fact')))


# -------------------------------------------------------------------------- attribution

def attribute_ssh(output):
    """{(play, task): {address: ssh invocations}} from a -vvv run."""
    counts, play, task = {}, '', ''
    for line in output.splitlines():
        if line.startswith('PLAY ['):
            play = line[6:line.rfind(']')]
        elif line.startswith('TASK ['):
            task = line[6:line.rfind(']')]
        match = re.match(r'^<([0-9.]+)> SSH: EXEC (?:\S*/)?(ssh|sftp|scp) ', line)
        if match:
            per_host = counts.setdefault((play, task), {})
            per_host[match.group(1)] = per_host.get(match.group(1), 0) + 1
    return counts


def build_timings(output):
    """server_build's own stage timings from a -v result (yaml)."""
    match = re.search(r'\n( +)timings:\n((?:\1 +\S+: [0-9.]+\n)+)', output)
    if not match:
        return {}
    return dict((k, float(v)) for k, v in re.findall(r'(\S+): ([0-9.]+)', match.group(2)))


# ------------------------------------------------------------------------------- report

def stats(values):
    return statistics.median(values), min(values), max(values)


def play_medians(runs):
    """[(play, median seconds, [(task, median seconds)])] over runs of the same playbook."""
    rows = []
    for i, (name, _, tasks) in enumerate(runs[0].plays):
        seconds = [r.plays[i][1] for r in runs if len(r.plays) > i]
        task_rows = []
        for task, _ in tasks:
            values = [dict(r.plays[i][2]).get(task, 0.0) for r in runs if len(r.plays) > i]
            task_rows.append((task, statistics.median(values)))
        rows.append((name, statistics.median(seconds), sorted(task_rows, key=lambda t: -t[1])))
    return rows


def table(bench, floors, notes):
    res = bench.results
    med = dict((s, statistics.median(r.wall for r in runs)) for s, runs in res.items())
    fmt = '| %-48s | %2s | %6s | %6s | %6s | %7s | %9s | %4s |'
    lines = ['create_server on the 3-host testbed (%s); seconds, wall time of ansible-playbook' % ', '.join(HOSTS), '',
             fmt % ('what', 'n', 'median', 'min', 'max', 'vs warm', 'ssh s/o', 'load'),
             '|%s|' % '|'.join('-' * (w + 2) for w in (48, 2, 6, 6, 6, 7, 9, 4))]

    def row(label, values, runs=None):
        ssh = load = ''
        if runs:
            sel = statistics.median(r.commands([address(h) for h in r.selected]) for r in runs)
            ssh = '%g / %g' % (sel, statistics.median(r.commands() for r in runs) - sel)
            load = '%.1f' % statistics.median(r.load for r in runs)
        ratio = '%.2f' % (statistics.median(values) / med['warm']) if 'warm' in med else ''
        lines.append(fmt % ((label, len(values)) + tuple('%.2f' % v for v in stats(values)) + (ratio, ssh, load)))

    labels = [('warm', 'one server, fact cache warm (goal <= 3 s)'), ('cold', 'one server, fact cache cold'),
              ('community.libvirt', 'community.libvirt virt playbook (same XML)'),
              ('multi', 'multi-create of 10 across 3 hosts, warm')]
    for series, label in labels:
        if series in res:
            row(label, [r.wall for r in res[series]], res[series])
    row('QEMU floor: define + start (libvirt-python)', floors)
    for series in sorted(s for s in res if s.startswith('change')):
        row(series, [r.wall for r in res[series]], res[series])
    floor = statistics.median(floors)
    spread = [sorted(len(names) for names in r.spread.values()) for r in res.get('multi', [])]
    lines.append('')
    lines.append('ratios of medians: ours / community.libvirt: warm %.2f, cold %.2f; ours warm / QEMU floor %.1f, '
                 'community.libvirt / QEMU floor %.1f; multi-create 10 / one warm %.2f (servers per host: %s)'
                 % (med['warm'] / med['community.libvirt'], med['cold'] / med['community.libvirt'], med['warm'] / floor,
                    med['community.libvirt'] / floor, med['multi'] / med['warm'], ' '.join('/'.join(map(str, s)) for s in spread)))
    lines.extend(notes)
    return lines


def details(bench, diag, module_cost):
    res, lines = bench.results, ['', 'where the time goes, warm (median seconds per play, slowest tasks under it):']
    warm = res['warm']
    total = statistics.median(sum(p[1] for p in r.plays) for r in warm)
    lines.append('  %6.2f  ansible-playbook start and end (wall minus the plays)' % (statistics.median(r.wall for r in warm) - total))
    for name, seconds, tasks in play_medians(warm):
        lines.append('  %6.2f  %s' % (seconds, name))
        lines.extend('          %6.2f  %s' % (s, t) for t, s in tasks[:3] if s >= 0.05)
    controller = sum(s for _, _, tasks in play_medians(warm) for t, s in tasks if t.split(' : ')[-1] in CONTROLLER_MODULES)
    lines.append('  controller modules (request, quota, select, recheck): %.2f s in all; a trivial controller module '
                 'costs %.2f s, a set_fact %.2f s' % (controller, module_cost[0], module_cost[1]))
    for label, result in diag:
        timings = build_timings(result.output)
        if timings:
            lines.append('  server_build (%s) inside the module: %s = %.2f s' % (
                label, ', '.join('%s %.2f' % kv for kv in timings.items()), sum(timings.values())))
    lines.append('')
    lines.append('SSH round trips per create (module runs over ssh; sftp/scp transfers; new TCP connections):')
    for series in ('warm', 'cold', 'community.libvirt', 'multi'):
        runs = res.get(series, [])
        if runs:
            lines.append('  %-18s %4g commands (%g on the selected host(s), %g on others), %g transfers, %g new connections'
                         % (series, statistics.median(r.commands() for r in runs),
                            statistics.median(r.commands([address(h) for h in r.selected]) for r in runs),
                            statistics.median(r.commands() - r.commands([address(h) for h in r.selected]) for r in runs),
                            statistics.median(r.transfers() for r in runs), statistics.median(r.new_connections() for r in runs)))
    for label, result in diag:
        lines.append('  by task, %s (-vvv run; selected %s):' % (label, ','.join(result.selected)))
        for (play, task), per_host in attribute_ssh(result.output).items():
            hosts = ', '.join('%s: %d' % kv for kv in sorted(per_host.items()))
            lines.append('    %-3d %s / %s  (%s)' % (sum(per_host.values()), play, task, hosts))
    return lines


# --------------------------------------------------------------------------------- main

def measure(bench, args):
    log('warm-up: image caches of every host, first QEMU starts')
    bench.create('warmup', count=len(HOSTS) * 2)
    built = bench.create('warmup', keep=True)
    host = built.selected[0]
    conn = connect(host)
    try:
        dom = [d for d in conn.listAllDomains()][0]
        built_xml = dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
    finally:
        conn.close()
    config_drive = host_path(host, ET.fromstring(built_xml).find("devices/disk[@device='cdrom']/source").get('file'))
    keep = os.path.join(OUT, 'config-drive.iso')
    shutil.copy(config_drive, keep)
    bench.cleanup()

    variants = prepare_variants() if args.variants else []
    floors = []
    for k in range(args.runs):
        log('round %d/%d (load %.1f)' % (k + 1, args.runs, os.getloadavg()[0]))
        bench.create('warm')
        bench.create('cold', cold=True)
        alternative_once(bench, host, built_xml, k)
        floors.append(floor_once(host, built_xml, keep, k))
        bench.cleanup()
        for label, env, extra in variants:
            bench.create(label, env=env, extra=extra)
    for k in range(args.multi_runs):
        log('multi-create %d/%d (load %.1f)' % (k + 1, args.multi_runs, os.getloadavg()[0]))
        bench.create('multi', count=10)
    log('attribution runs (-vvv)')
    bench.cleanup()
    diag = [('warm', bench.create('diag-warm', verbose=True))]
    diag.append(('cold', bench.create('diag-cold', cold=True, verbose=True)))
    diag.append(('community.libvirt', alternative_once(bench, host, built_xml, 'diag', verbose=True)))
    for label, result in diag:
        with open(os.path.join(OUT, 'diag-%s.log' % label), 'w') as f:
            f.write(result.output)
    return floors, diag


def report(bench, floors, diag, module_cost, started_load):
    ended_load = os.getloadavg()[0]
    head = run(['git', 'rev-parse', '--short', 'HEAD'], check=False).stdout.strip()
    dirty = run(['git', 'status', '--porcelain', '--untracked-files=no'], check=False).stdout.strip()
    notes = ['', 'collection: working tree at %s%s; load average 1 min: %.1f at start, %.1f at end (2 cores; '
             'others\' tests share them: above ~1.0 the numbers are noisy)'
             % (head, ' with uncommitted changes' if dirty else '', started_load, ended_load),
             'QEMU floor: define + start of the built XML (no metadata) through the host\'s libvirtd socket; '
             'vs warm: median / median of the warm create; ssh s/o: commands run over ssh on the selected host(s) / '
             'on the others; load: 1-min load average at the runs\' start',
             'changes (warm cache): A recheck off; E pipelining for the controller\'s modules too']
    lines = table(bench, floors, notes)
    text = '\n'.join(lines + details(bench, diag, module_cost)) + '\n'
    print('\n' + text)
    with open(os.path.join(OUT, 'multihost.txt'), 'w') as f:
        f.write(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=5, help='runs per single-server series (default 5)')
    parser.add_argument('--multi-runs', type=int, default=3, help='multi-create runs (default 3)')
    parser.add_argument('--no-variants', dest='variants', action='store_false',
                        help='skip the private copies with changed playbooks')
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit('needs root (the testbed uses network and mount namespaces)')
    if not os.path.exists(os.path.join(DEMO, 'disk.qcow2')):
        sys.exit('no demo image in %s: run scripts/build-demo-image.sh' % DEMO)
    os.makedirs(OUT, exist_ok=True)
    alt_path = community_libvirt_path()
    install_collection()
    write_files()
    shutil.rmtree(FACT_CACHE, ignore_errors=True)
    # Ctrl-C and SIGTERM both end in the finally below, which tears the testbed down.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        testbed('down.sh')
        log(testbed('up.sh', str(len(HOSTS))).strip().splitlines()[-2])
        even_hosts()
        bench = Bench(alt_path)
        run([os.path.join(BIN, 'ansible-playbook'), '-i', INVENTORY, 'novalite.compute.prepare_hypervisors'], env=bench.env)
        started_load = os.getloadavg()[0]
        module_cost = controller_module_cost(bench)
        floors, diag = measure(bench, args)
        report(bench, floors, diag, module_cost, started_load)
    finally:
        log(testbed('down.sh').strip().splitlines()[-1])
        shutil.rmtree(FACT_CACHE, ignore_errors=True)


if __name__ == '__main__':
    main()
