# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The create-server job's outcome when a hypervisor cannot report: a create whose servers
were built succeeds and names that host among its warnings; a create that built nothing
fails. The unreachable hypervisor is an SSH host on a port where nothing listens."""
import os
import uuid

import pytest
import yaml

from conftest import REPO, run_playbook, servers_named

pytestmark = pytest.mark.integration

NETWORK_ID = '5f0c3a6e-8d2b-4d6e-9a51-2c3b6a1e0f01'
LOCAL = {'ansible_connection': 'ansible.builtin.local',
         'ansible_python_interpreter': '{{ ansible_playbook_python }}'}
GHOST = {'ansible_host': '127.0.0.1', 'ansible_port': 1, 'ansible_user': 'root'}


def inventory(tmp_path, hosts):
    """An inventory of `hosts` with the local inventory's catalog and host settings."""
    root = tmp_path / ('inv-%s' % '-'.join(sorted(hosts)))
    root.mkdir()
    (root / 'group_vars').symlink_to(os.path.join(REPO, 'inventories', 'local', 'group_vars'))
    (root / 'hosts.yml').write_text(yaml.safe_dump(
        {'all': {'children': {'hypervisors': {'hosts': hosts}}}}))
    return str(root / 'hosts.yml')


def request(name):
    return {'novalite_server': {'name': name, 'flavorRef': 'm1.nano', 'imageRef': 'novalite-demo',
                                'networks': [{'uuid': NETWORK_ID}]}}


def test_built_servers_succeed_with_the_unreachable_host_as_a_warning(prepared_hypervisor, tmp_path):
    name = 'nltest-outcome-%s' % uuid.uuid4().hex[:6]
    run = run_playbook('create_server', request(name),
                       inventory=inventory(tmp_path, {'local-hv': LOCAL, 'ghost-hv': GHOST}))
    try:
        assert run.rc == 0, run
        assert 'ghost-hv is unreachable' in run.output, run
        assert [record['vm_state'] for _dom, record in servers_named(name)] == ['active']
    finally:
        for _dom, record in servers_named(name):
            deleted = run_playbook('delete_server', {'novalite_server_id': record['uuid']})
            assert deleted.rc == 0, deleted


def test_a_create_that_built_nothing_fails(prepared_hypervisor, tmp_path):
    name = 'nltest-outcome-%s' % uuid.uuid4().hex[:6]
    run = run_playbook('create_server', request(name),
                       inventory=inventory(tmp_path, {'ghost-hv': GHOST}))
    assert run.rc != 0, run
    assert 'No valid host' in run.output, run
    assert servers_named(name) == []


def test_a_delete_names_the_hypervisor_that_did_not_answer(prepared_hypervisor, tmp_path):
    name = 'nltest-outcome-none-%s' % uuid.uuid4().hex[:6]
    run = run_playbook('delete_server', {'novalite_server_id': name},
                       inventory=inventory(tmp_path, {'local-hv': LOCAL, 'ghost-hv': GHOST}))
    assert run.rc != 0, run
    assert ("No server with a name or ID of '%s' exists on the hypervisors that answered; "
            "ghost-hv did not answer and may hold it" % name) in run.output, run
