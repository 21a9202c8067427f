# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""server_request in the controller's process: the module's result, the module's failures,
and no secret in what it returns."""

from types import SimpleNamespace

from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.template import Templar

from ansible_collections.novalite.compute.plugins.action.server_request import ActionModule

from request_fixtures import CATALOG, CONTEXT, SERVER


def run_action(**args):
    task = Task()
    task.args = args
    loader = DataLoader()
    # The plugin never uses its connection: only the shell's temporary directory is looked at.
    connection = SimpleNamespace(_shell=SimpleNamespace(tmpdir=None))
    action = ActionModule(task, connection, PlayContext(), loader, Templar(loader), None)
    return action.run(task_vars={})


def test_the_request_is_checked_in_process_and_no_secret_comes_back():
    result = run_action(server=SERVER,
                        admin_pass='s3cret-pass', context=CONTEXT, catalog=CATALOG)
    assert not result.get('failed'), result
    assert result['request_spec']['num_instances'] == 1 and result['instances'][0]['name'] == 'web'
    assert 's3cret-pass' not in repr(result)


def test_a_bad_request_fails_naming_the_field_and_the_rule():
    result = run_action(server=dict(SERVER, flavorRef='nope'),
                        context=CONTEXT, catalog=CATALOG)
    assert result['failed'] is True and result['field'] == 'server.flavorRef'
    assert 'nope' in result['msg']
