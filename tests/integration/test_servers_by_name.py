# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Servers by name on this machine's libvirtd, as openstack.cloud.server users expect: a second
identical create returns the servers it made (changed=0 on every host), `novalite_if_exists:
create` builds another, `novalite_state: absent` deletes them; delete and stop take a list or a
name pattern and act on all in one play; a host renamed in the inventory (in a group of another
name) keeps its servers."""
import os
import re
import shutil
import uuid

import pytest
import yaml

from conftest import REPO, run_playbook, servers_named

pytestmark = pytest.mark.integration

NETWORK_ID = '5f0c3a6e-8d2b-4d6e-9a51-2c3b6a1e0f01'
RECAP = re.compile(r'^(\S+)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', re.M)


def request(name, **server):
    body = {'name': name, 'flavorRef': 'm1.nano', 'imageRef': 'novalite-demo',
            'networks': [{'uuid': NETWORK_ID}], 'key_name': 'demo'}
    body.update(server)
    return {'novalite_server': body}


def recap(run):
    """{host: (changed, unreachable, failed)} of the play recap."""
    return dict((host, tuple(int(n) for n in counts)) for host, *counts in RECAP.findall(run.output))


def uuids(*names):
    return sorted(rec['uuid'] for name in names for _dom, rec in servers_named(name))


@pytest.fixture
def name():
    name = 'nltest-bn-%s' % uuid.uuid4().hex[:6]
    yield name
    leftovers = [rec['uuid'] for _dom, rec in
                 servers_named(name) + servers_named(name + '-1') + servers_named(name + '-2')]
    if leftovers:
        run_playbook('delete_server', {'novalite_server_id': leftovers})


def test_present_twice_returns_the_server_create_makes_another_absent_deletes(prepared_hypervisor, name):
    first = run_playbook('create_server', request(name))
    assert first.rc == 0, first
    made = uuids(name)
    assert len(made) == 1

    again = run_playbook('create_server', request(name))
    assert again.rc == 0, again
    assert recap(again) and all(counts == (0, 0, 0) for counts in recap(again).values()), again
    assert uuids(name) == made
    # the one-line summary shows the server that exists
    assert re.search(r'^\s+%s %s ACTIVE host=local-hv ' % (name, made[0]), again.output, re.M), again

    another = run_playbook('create_server', dict(request(name), novalite_if_exists='create'))
    assert another.rc == 0, another
    assert len(uuids(name)) == 2

    # a name of two servers is ambiguous for delete_server; state absent deletes both
    refused = run_playbook('delete_server', {'novalite_server_id': name})
    assert refused.rc != 0 and 'More than one server exists with the name' in refused.output, refused
    gone = run_playbook('create_server', dict(request(name), novalite_state='absent'))
    assert gone.rc == 0, gone
    assert uuids(name) == []
    # nothing left to delete: absent again changes nothing
    still = run_playbook('create_server', dict(request(name), novalite_state='absent'))
    assert still.rc == 0 and all(c == (0, 0, 0) for c in recap(still).values()), still


def test_multi_create_by_name_then_stop_and_delete_in_one_play(prepared_hypervisor, name):
    body = request(name, min_count=2, max_count=2)
    first = run_playbook('create_server', body)
    assert first.rc == 0, first
    made = uuids(name + '-1', name + '-2')
    assert len(made) == 2

    again = run_playbook('create_server', body)
    assert again.rc == 0 and all(c == (0, 0, 0) for c in recap(again).values()), again
    assert uuids(name + '-1', name + '-2') == made

    # one by name, one by uuid
    stopped = run_playbook('stop_server', {'novalite_server_id': [name + '-1', uuids(name + '-2')[0]],
                                           'server_action_shutdown_timeout': 5})
    assert stopped.rc == 0, stopped
    assert sorted(rec['vm_state'] for n in (name + '-1', name + '-2')
                  for _d, rec in servers_named(n)) == ['stopped', 'stopped']

    # a pattern of no server is refused, naming the pattern
    none = run_playbook('delete_server', {'novalite_server_name_pattern': '^%s-9$' % name})
    assert none.rc != 0 and 'No server matches the name pattern' in none.output, none
    # with neither an ID nor a pattern, delete refuses rather than take every server
    bare = run_playbook('delete_server')
    assert bare.rc != 0 and 'novalite_server_id or novalite_server_name_pattern' in bare.output, bare

    deleted = run_playbook('delete_server', {'novalite_server_name_pattern': '^%s-[0-9]+$' % name})
    assert deleted.rc == 0, deleted
    assert uuids(name + '-1', name + '-2') == []


def renamed_inventory(tmp_path):
    """The local inventory with this machine renamed, in a group of another name."""
    inventory = tmp_path / 'renamed'
    shutil.copytree(os.path.join(REPO, 'inventories', 'local'), str(inventory))
    hosts = yaml.safe_load((inventory / 'hosts.yml').read_text())
    settings = hosts['all']['children']['hypervisors']['hosts']['local-hv']
    hosts['all']['children'] = {'kvm_hosts': {'hosts': {'renamed-hv': settings}}}
    (inventory / 'hosts.yml').write_text(yaml.safe_dump(hosts))
    return str(inventory)


def test_a_renamed_host_keeps_its_servers(prepared_hypervisor, name, tmp_path):
    created = run_playbook('create_server', request(name))
    assert created.rc == 0, created
    made = uuids(name)
    assert len(made) == 1 and servers_named(name)[0][1]['host'] == 'local-hv'

    inventory = renamed_inventory(tmp_path)
    group = {'novalite_hypervisor_group': 'kvm_hosts'}
    listed = run_playbook('server_list', dict(group, novalite_server_id=name), inventory=inventory)
    assert listed.rc == 0, listed
    assert re.search(r'^\s+OS-EXT-SRV-ATTR:host: renamed-hv$', listed.output, re.M), listed

    present = run_playbook('create_server', dict(request(name), **group), inventory=inventory)
    assert present.rc == 0 and all(c == (0, 0, 0) for c in recap(present).values()), present
    assert uuids(name) == made

    deleted = run_playbook('delete_server', dict(group, novalite_server_id=name), inventory=inventory)
    assert deleted.rc == 0, deleted
    assert 'on renamed-hv' in deleted.output, deleted
    assert uuids(name) == []
