# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A hostile tenant against a real server on this machine's libvirtd, through the
playbooks: whoever the policy refuses gets Nova's 403 message and the guest keeps running;
another project's listing does not show it; an admin of another project may act."""
import json
import os
import subprocess
import uuid

import pytest

from conftest import BIN, REPO, run_playbook, servers_named

pytestmark = pytest.mark.integration

NETWORK_ID = '5f0c3a6e-8d2b-4d6e-9a51-2c3b6a1e0f01'
OWN = 'demo'
PLAYBOOKS = {'show': 'server_list', 'stop': 'stop_server', 'reboot': 'reboot_server',
             'delete': 'delete_server'}
RULES = {'show': 'os_compute_api:servers:show', 'stop': 'os_compute_api:servers:stop',
         'reboot': 'os_compute_api:servers:reboot', 'delete': 'os_compute_api:servers:delete'}
# (role, project): refused for the operations that change the server; a reader of the own
# project may look (show), the others may not.
REFUSED = [('reader', 'own'), ('none', 'own'), ('member', 'other'), ('reader', 'other'),
           ('none', 'other')]


def context(role, project):
    return {'project_id': OWN if project == 'own' else 'other-project', 'user_id': 'hostile',
            'roles': {'admin': ['admin'], 'member': ['member'], 'reader': ['reader'],
                      'none': []}[role]}


@pytest.fixture(scope='module')
def real_server(prepared_hypervisor, demo_image):
    name = 'nltest-ten-%s' % uuid.uuid4().hex[:6]
    server = {'name': name, 'flavorRef': 'm1.nano', 'imageRef': 'novalite-demo',
              'networks': [{'uuid': NETWORK_ID}]}
    created = run_playbook('create_server', {'novalite_server': server})
    try:
        assert created.rc == 0, created
        ((dom, record),) = servers_named(name)
        yield dom, record
    finally:
        for dom, _record in servers_named(name):
            run_playbook('delete_server', {'novalite_server_id': dom.UUIDString()})


def state(dom):
    """What a refused call must leave as it was: running or not, vm_state, the actions."""
    from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record
    record = server_record.read_record(dom)
    return dom.isActive(), record['vm_state'], len(record.get('actions') or [])


def run_module_on_host(module, args):
    """The module itself on the hypervisor (ad hoc), the playbook's find step left out: what
    a caller who writes their own play gets."""
    cmd = [os.path.join(BIN, 'ansible'), 'local-hv', '-m', 'novalite.compute.' + module,
           '-a', json.dumps(args)]
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'), ANSIBLE_NOCOLOR='1')
    return subprocess.run(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, timeout=300,
                          check=False)


def module_args(operation, server_uuid, ctx):
    if operation == 'delete':
        return 'server_delete', {'server': server_uuid, 'context': ctx}
    return 'server_action', {'server': server_uuid, 'action': operation, 'context': ctx,
                             'reboot_type': 'HARD', 'shutdown_timeout': 0}


# a reader of the own project may look: test_reader_may_look...
CASES = [(op, role, project) for op in PLAYBOOKS for role, project in REFUSED
         if (op, role, project) != ('show', 'reader', 'own')]


@pytest.mark.parametrize('operation,role,project', CASES, ids=['%s-%s-%s' % c for c in CASES])
def test_refused_callers_change_nothing(real_server, operation, role, project):
    dom, record = real_server
    before = state(dom)
    ctx = context(role, project)
    run = run_playbook(PLAYBOOKS[operation], {'novalite_server_id': record['uuid'],
                                              'novalite_context': ctx})
    assert run.rc != 0, run
    # the playbook's find step already refuses whoever may not see the server (show); a
    # reader of the project sees it and the action's own rule refuses them
    rule = RULES[operation] if (role, project) == ('reader', 'own') else RULES['show']
    assert "Policy doesn't allow %s to be performed." % rule in run.output, run
    assert state(dom) == before
    if operation != 'show':
        module, args = module_args(operation, record['uuid'], ctx)
        direct = run_module_on_host(module, args)
        assert direct.returncode != 0, direct.stdout
        assert "Policy doesn't allow %s to be performed." % RULES[operation] in direct.stdout
        assert state(dom) == before


def test_reader_may_look_and_another_projects_list_is_empty(real_server):
    dom, record = real_server
    shown = run_playbook('server_list', {'novalite_server_id': record['uuid'],
                                         'novalite_context': context('reader', 'own')})
    assert shown.rc == 0 and record['uuid'] in shown.output, shown
    other = run_playbook('server_list', {'novalite_context': context('member', 'other')})
    assert other.rc == 0 and record['uuid'] not in other.output, other
    everyone = run_playbook('server_list', {'novalite_context': context('member', 'other'),
                                            'novalite_all_tenants': True})
    assert everyone.rc != 0
    assert ("Policy doesn't allow os_compute_api:servers:detail:get_all_tenants to be "
            "performed." in everyone.output), everyone


def test_an_admin_of_another_project_may_act(real_server):
    dom, record = real_server
    admin = {'novalite_server_id': record['uuid'], 'novalite_context': context('admin', 'other')}
    stopped = run_playbook('stop_server', dict(admin, server_action_shutdown_timeout=0))
    assert stopped.rc == 0 and not dom.isActive(), stopped
    started = run_playbook('start_server', admin)
    assert started.rc == 0 and dom.isActive(), started
