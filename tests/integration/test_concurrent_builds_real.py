# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A multi-create on this machine's one hypervisor: its builds run at the same time (Nova's
max_concurrent_builds), as the build journals show while the create runs, and end ACTIVE;
with a bound of one they run one after another."""
import glob
import json
import os
import subprocess
import threading
import time
import uuid

import pytest

from conftest import BIN, REPO, run_playbook, servers_named

pytest.importorskip('libvirt')

pytestmark = pytest.mark.integration

STATE = '/var/lib/novalite'
COUNT = 3


class JournalWatch(object):
    """Samples the host's build journals of one request's servers while the create runs: the
    most builds in flight at once (a journal lives from the claim to the running domain)."""

    def __init__(self, prefix):
        self.prefix, self.most, self.seen = prefix, 0, set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _building(self):
        names = set()
        for path in glob.glob(os.path.join(STATE, 'journal', '*.json')):
            try:
                with open(path) as handle:
                    name = json.load(handle).get('name') or ''
            except (OSError, ValueError):
                continue  # removed or being written meanwhile
            if name.startswith(self.prefix):
                names.add(name)
        return names

    def _run(self):
        while not self._stop.is_set():
            building = self._building()
            self.seen |= building
            self.most = max(self.most, len(building))
            time.sleep(0.02)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def create(name, extra_args=()):
    body = {'name': name, 'flavorRef': 'm1.nano', 'imageRef': 'novalite-demo',
            'min_count': COUNT, 'max_count': COUNT, 'adminPass': 'pw-%s' % name}
    return run_playbook('create_server', {'novalite_server': body}, extra_args=extra_args)


def built(name):
    return [rec for index in range(1, COUNT + 1) for _dom, rec in servers_named('%s-%d' % (name, index))]


def delete(name):
    for index in range(1, COUNT + 1):
        deleted = run_playbook('delete_server', {'novalite_server_id': '%s-%d' % (name, index),
                                                 'novalite_delete_missing_ok': True})
        assert deleted.rc == 0, deleted


def payloads():
    return set(glob.glob('/tmp/ansible_novalite.compute.server_build_payload_*'))


@pytest.mark.parametrize('bound,overlap', [(None, True), (1, False)])
def test_a_multi_create_on_one_host_builds_concurrently(prepared_hypervisor, bound, overlap):
    name = 'nltest-conc-%s' % uuid.uuid4().hex[:6]
    payloads_before = payloads()
    extra = ('-e', json.dumps({'novalite_max_concurrent_builds': bound})) if bound else ()
    try:
        with JournalWatch(name) as watch:
            created = create(name, extra)
        assert created.rc == 0, created
        records = built(name)
        assert sorted(r['name'] for r in records) == ['%s-%d' % (name, i) for i in range(1, COUNT + 1)]
        assert all(r['vm_state'] == 'active' and r['host'] == 'local-hv' for r in records), records
        # Every build was seen in flight; together, or one at a time under a bound of one.
        assert len(watch.seen) == COUNT, watch.seen
        if overlap:
            assert watch.most >= 2, watch.most
        else:
            assert watch.most == 1, watch.most
        # One command built the host's three servers; each server's result is a line of its own.
        assert created.output.count('TASK [novalite.compute.build : Build this host\'s instances of the round]') == 1
        assert created.output.count('changed: [local-hv] => (item=%s-' % name) == COUNT, created
        # Nothing of the module's payload stays on the host.
        assert payloads() <= payloads_before
    finally:
        delete(name)
    assert built(name) == []


def test_async_is_refused_and_nothing_is_built(prepared_hypervisor, tmp_path):
    """server_build with async would need Ansible's async wrapper, which writes the module's
    options (the admin password, the user data) to a file on the host: refused, naming the
    way to build several at once, before anything reaches the host."""
    marker = 'async-secret-%s' % uuid.uuid4().hex
    name = 'nltest-conc-%s' % uuid.uuid4().hex[:6]
    playbook = tmp_path / 'async.yml'
    playbook.write_text('''
- hosts: local-hv
  gather_facts: false
  tasks:
    - name: Start the build in the background
      novalite.compute.server_build:
        server: "{{ server }}"
        host: local-hv
        admin_pass: "%(marker)s"
      async: 300
      poll: 0
''' % {'marker': marker})
    server = server_data(name, tmp_path)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'), ANSIBLE_NOCOLOR='1',
               PATH=BIN + os.pathsep + os.environ.get('PATH', ''))
    proc = subprocess.run([os.path.join(BIN, 'ansible-playbook'), str(playbook), '-e',
                           json.dumps({'server': server})], cwd=REPO, env=env, timeout=600,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    assert proc.returncode != 0, proc.stdout
    assert 'does not run with async' in proc.stdout and 'servers option' in proc.stdout, proc.stdout
    assert marker not in proc.stdout
    assert servers_named(name) == []


def server_data(name, tmp_path):
    """The build data of one server, as server_request makes it for the local catalog."""
    out = tmp_path / 'request.json'
    playbook = tmp_path / 'request.yml'
    playbook.write_text('''
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Validate the request
      novalite.compute.server_request:
        server: {name: %(name)s, flavorRef: m1.nano, imageRef: novalite-demo, networks: none}
        context: {project_id: demo, user_id: demo, roles: [member]}
        catalog:
          flavors: "{{ novalite_flavors }}"
          images: "{{ novalite_images }}"
          networks: "{{ novalite_networks }}"
          keypairs: "{{ novalite_keypairs | default([]) }}"
          security_groups: "{{ novalite_security_groups | default([]) }}"
          server_groups: "{{ novalite_server_groups | default([]) }}"
      register: request
    - name: Keep the first instance
      ansible.builtin.copy:
        content: "{{ request.instances[0] | to_json }}"
        dest: "%(out)s"
        mode: "0600"
''' % {'name': name, 'out': out})
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'), ANSIBLE_NOCOLOR='1',
               PATH=BIN + os.pathsep + os.environ.get('PATH', ''))
    proc = subprocess.run([os.path.join(BIN, 'ansible-playbook'), str(playbook)], cwd=REPO, env=env,
                          timeout=300, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True)
    assert proc.returncode == 0, proc.stdout
    with open(str(out)) as handle:
        return json.load(handle)
