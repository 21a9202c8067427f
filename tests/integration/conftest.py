# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers for the integration tests: run the collection's playbooks, read libvirt."""
import json
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)


LOG_DIR = os.path.join(REPO, 'build', 'test-logs')


class PlaybookRun(object):
    def __init__(self, name, proc):
        self.rc = proc.returncode
        self.output = proc.stdout
        # The whole output goes to a file: pytest shortens long assertion messages.
        os.makedirs(LOG_DIR, exist_ok=True)
        self.log = os.path.join(LOG_DIR, '%s-%d.log' % (name, len(os.listdir(LOG_DIR))))
        with open(self.log, 'w') as f:
            f.write(self.output)

    def __repr__(self):
        # Failed tasks first: they are what a reader of a red run needs.
        failed = [line for line in self.output.splitlines() if line.startswith(('fatal:', 'failed:', '[ERROR]'))]
        return 'PlaybookRun(rc=%d, log=%s)\n%s' % (self.rc, self.log, '\n'.join(failed))


def run_playbook(name, extra_vars=None, check=False, inventory=None, extra_args=()):
    """Run an installed playbook of the collection (FQCN) on the local inventory, or on
    `inventory` (a path, e.g. the multi-host testbed's); `extra_args` go on its command line."""
    cmd = [os.path.join(BIN, 'ansible-playbook'), 'novalite.compute.' + name]
    if inventory:
        cmd += ['-i', inventory]
    if extra_vars:
        cmd += ['-e', json.dumps(extra_vars)]
    if check:
        cmd.append('--check')
    cmd += list(extra_args)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'),
               ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0',
               PATH=BIN + os.pathsep + os.environ.get('PATH', ''))
    proc = subprocess.run(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, timeout=900, check=False)
    return PlaybookRun(name, proc)


LOCAL_URI = 'qemu:///system'


def servers_named(name):
    """(domain, server record) of every domain on this machine's libvirtd whose record has
    this display name."""
    # Imported here, not at the top: a conftest loads before the test modules, and importing
    # the collection that early confuses Ansible's collection loader for them.
    import libvirt
    from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record
    found = []
    for dom in libvirt.open(LOCAL_URI).listAllDomains():
        try:
            record = server_record.read_record(dom)
        except libvirt.libvirtError:
            continue  # removed by someone else meanwhile
        if record and record.get('name') == name:
            found.append((dom, record))
    return found


@pytest.fixture(scope='session')
def prepared_hypervisor():
    """The local hypervisor with its directories and the catalog's libvirt network."""
    run = run_playbook('prepare_hypervisors')
    assert run.rc == 0, run
    return run
