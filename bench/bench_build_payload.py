#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the collection's import graph costs a module run: the AnsiballZ payload of a module
(files, bytes), the time the controller takes to build it, the time the host takes to import
the module from it, and the time the controller takes to import the action plugins.

Every sample runs in a fresh Python process, as Ansible does:
- build: Ansible's own `modify_module` with an empty AnsiballZ cache (a playbook run builds
  each module's payload once), the collection found through Ansible's collection loader,
  after ansible.builtin.ping's payload in the same process (its time is the floor row);
- import: the payload's zip first on sys.path, as the AnsiballZ wrapper puts it, and the
  module imported from it (zipimport compiles the sources: the payload carries no bytecode).
  `ansible.module_utils.basic` is imported first and not counted, so the column is what the
  module and its module_utils add;
- action: `ansible.plugins.action` imported first and not counted, then the action plugin
  imported through the collection loader, which compiles from source on every run.
Medians over N samples, wall clock and (in parentheses) the process's CPU time, which a busy
machine disturbs less; with several trees the samples alternate between them, each tree in
turn first.

    .venv/bin/python bench/bench_build_payload.py [--runs 15] [--module server_build]
        [--tree PATH]... [--files] [--importtime]

--tree names a source tree of the collection (default: this repository), e.g. a
`git worktree` of another commit, to compare in the same run. --files lists the payload's
files of the collection with their sizes; --importtime adds the collection's modules by
their own import time (-X importtime, one sample). A benchmark, not a test: nothing is
asserted.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PREFIX = 'ansible_collections.novalite.compute.plugins.'
OWN = 'ansible_collections/novalite/compute/'

# Runs in a fresh process: build ansible.builtin.ping's payload (the floor: Ansible's own
# module_utils; it also warms what modify_module imports lazily), then the module's, with
# Ansible's modify_module; write the module's zip to a file, print the seconds each took.
BUILD = r'''
import base64, io, json, os, sys, tempfile, time, zipfile
root, module, out, tmp = sys.argv[1:5]
from ansible import constants as C
from ansible.executor import module_common
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import init_plugin_loader
from ansible.template import Templar
init_plugin_loader([root])
C.DEFAULT_LOCAL_TMP = tempfile.mkdtemp(prefix='ansiballz-', dir=tmp)
path = os.path.join(root, 'ansible_collections', 'novalite', 'compute', 'plugins', 'modules', module + '.py')
templar = Templar(loader=DataLoader())
task_vars = {'ansible_python_interpreter': sys.executable}


def build(name, path):
    start = time.perf_counter(), time.process_time()
    module_common.modify_module(module_name=name, module_path=path, module_args={}, templar=templar,
                                task_vars=task_vars)
    return time.perf_counter() - start[0], time.process_time() - start[1]


floor = build('ping', os.path.join(os.path.dirname(module_common.__file__), '..', 'modules', 'ping.py'))
seconds = build(module, path)
cache = os.path.join(C.DEFAULT_LOCAL_TMP, 'ansiballz_cache')
[mine] = [name for name in os.listdir(cache) if name.startswith('ansible_collections.') and not name.endswith('.lock')]
cached = module_common._CachedModule.load(os.path.join(cache, mine))
with open(out, 'wb') as handle:
    handle.write(base64.b64decode(cached.zip_data))
print(json.dumps({'seconds': seconds, 'floor': floor}))
'''

# Runs in a fresh process: what importing the module from its payload costs.
IMPORT = r'''
import importlib, json, sys, time
sys.path.insert(0, sys.argv[1])
start = time.perf_counter(), time.process_time()
import ansible.module_utils.basic
middle = time.perf_counter(), time.process_time()
importlib.import_module(sys.argv[2])
end = time.perf_counter(), time.process_time()
print(json.dumps({'basic': [middle[0] - start[0], middle[1] - start[1]],
                  'module': [end[0] - middle[0], end[1] - middle[1]]}))
'''

# Runs in a fresh process: what importing an action plugin through the collection loader costs.
ACTION = r'''
import importlib, json, sys, time
from ansible.plugins.loader import init_plugin_loader
init_plugin_loader([sys.argv[1]])
import ansible.plugins.action
start = time.perf_counter(), time.process_time()
importlib.import_module(sys.argv[2])
print(json.dumps({'seconds': [time.perf_counter() - start[0], time.process_time() - start[1]]}))
'''


def run_json(args, env=None):
    proc = subprocess.run([sys.executable] + args, capture_output=True, text=True, check=False, env=env)
    if proc.returncode != 0:
        sys.exit('%s failed:\n%s' % (' '.join(args[:2]), proc.stderr))
    return json.loads(proc.stdout.strip().splitlines()[-1])


def collection_root(tree, workdir):
    """A directory holding ansible_collections/novalite/compute -> tree."""
    root = tempfile.mkdtemp(dir=workdir)
    link = os.path.join(root, 'ansible_collections', 'novalite', 'compute')
    os.makedirs(os.path.dirname(link))
    os.symlink(os.path.abspath(tree), link)
    return root


def payload_files(zip_path):
    import zipfile
    with zipfile.ZipFile(zip_path) as archive:
        return [(info.filename, info.file_size) for info in archive.infolist()]


def action_plugins(tree):
    folder = os.path.join(tree, 'plugins', 'action')
    return sorted(name[:-3] for name in os.listdir(folder) if name.endswith('.py') and name != '__init__.py')


def importtime(zip_path, fqn):
    """The collection's modules by their own import time (microseconds), one sample."""
    proc = subprocess.run([sys.executable, '-X', 'importtime', '-c', IMPORT, zip_path, fqn],
                          capture_output=True, text=True, check=True)
    rows = []
    for line in proc.stderr.splitlines():
        parts = line.split('|')
        if len(parts) == 3 and parts[2].strip().startswith('ansible_collections.novalite'):
            rows.append((int(parts[0].split(':')[1]), parts[2].strip()))
    return sorted(rows, reverse=True)


def ms(values):
    """'wall (cpu)': the medians of [wall, cpu] samples in ms."""
    return '%.1f (%.1f)' % tuple(statistics.median(value[i] for value in values) * 1000 for i in (0, 1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--runs', type=int, default=15)
    parser.add_argument('--module', default='server_build')
    parser.add_argument('--tree', action='append', help='a source tree of the collection (default: this repository)')
    parser.add_argument('--files', action='store_true', help="list the payload's collection files")
    parser.add_argument('--importtime', action='store_true', help="the collection's modules by import time")
    args = parser.parse_args()
    trees = args.tree or [REPO]
    workdir = tempfile.mkdtemp(prefix='bench-payload-')
    try:
        roots = {tree: collection_root(tree, workdir) for tree in trees}
        fqn = PREFIX + 'modules.' + args.module
        samples = {tree: {'build': [], 'floor': [], 'basic': [], 'import': [], 'action': {}} for tree in trees}
        zips = {}
        for run in range(args.runs):
            # alternated, in turn first, so a busy moment of the machine hits every tree alike
            for tree in trees[run % len(trees):] + trees[:run % len(trees)]:
                mine = samples[tree]
                zips[tree] = os.path.join(workdir, '%d.zip' % trees.index(tree))
                built = run_json(['-c', BUILD, roots[tree], args.module, zips[tree], workdir])
                mine['build'].append(built['seconds'])
                mine['floor'].append(built['floor'])
                imported = run_json(['-c', IMPORT, zips[tree], fqn])
                mine['basic'].append(imported['basic'])
                mine['import'].append(imported['module'])
                for plugin in action_plugins(tree):
                    mine['action'].setdefault(plugin, []).append(
                        run_json(['-c', ACTION, roots[tree], PREFIX + 'action.' + plugin])['seconds'])

        print('%s: medians of %d runs, ms wall (cpu), Python %s' % (args.module, args.runs, sys.version.split()[0]))
        header = '%-28s' + ' %22s' * len(trees)
        print(header % (('',) + tuple(os.path.basename(os.path.normpath(tree)) for tree in trees)))
        rows = [
            ('payload files', lambda t: len(payload_files(zips[t]))),
            ('payload bytes', lambda t: sum(size for _, size in payload_files(zips[t]))),
            ('  of the collection: files', lambda t: len([n for n, _ in payload_files(zips[t]) if n.startswith(OWN)])),
            ('  of the collection: bytes', lambda t: sum(s for n, s in payload_files(zips[t]) if n.startswith(OWN))),
            ('build ping payload (floor)', lambda t: ms(samples[t]['floor'])),
            ('build payload (controller)', lambda t: ms(samples[t]['build'])),
            ('import basic (host)', lambda t: ms(samples[t]['basic'])),
            ('import module (host)', lambda t: ms(samples[t]['import'])),
        ]
        for plugin in sorted(set().union(*(samples[t]['action'] for t in trees))):
            rows.append(('action %s' % plugin,
                         lambda t, p=plugin: ms(samples[t]['action'][p]) if p in samples[t]['action'] else '-'))
        for label, value in rows:
            print(header % ((label,) + tuple(value(tree) for tree in trees)))

        for tree in trees:
            if args.files:
                print('\n%s: the payload files of the collection (bytes)' % tree)
                for name, size in sorted(payload_files(zips[tree]), key=lambda item: -item[1]):
                    if name.startswith(OWN) and size:
                        print('%8d %s' % (size, name[len(OWN):]))
            if args.importtime:
                print('\n%s: own import time of the collection modules (us, one sample)' % tree)
                for micros, name in importtime(zips[tree], fqn):
                    print('%8d %s' % (micros, name[len('ansible_collections.novalite.compute.'):]))
    finally:
        shutil.rmtree(workdir)


if __name__ == '__main__':
    main()
