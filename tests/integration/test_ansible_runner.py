# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The create-server job as AWX runs it: ansible-runner, a private data dir, survey answers as
extra variables, an inventory, and the job's events and artifacts."""
import base64
import glob
import json
import os
import sys
import uuid

import pytest

from conftest import REPO, run_playbook

ansible_runner = pytest.importorskip('ansible_runner')

pytestmark = pytest.mark.integration

BUILD_TASK = 'Build the instances assigned to this host'


def runner_job(tmp_path, playbook, extravars):
    """Run a playbook of this repository the way AWX's job runner does."""
    private = tmp_path / ('job-%s' % uuid.uuid4().hex[:6])
    private.mkdir()
    env = {'ANSIBLE_CONFIG': os.path.join(REPO, 'ansible.cfg'),
           'ANSIBLE_COLLECTIONS_PATH': os.path.join(REPO, '.collections'),
           'PATH': os.path.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', '')}
    return ansible_runner.run(private_data_dir=str(private),
                              playbook=os.path.join(REPO, 'playbooks', playbook),
                              inventory=os.path.join(REPO, 'inventories', 'local'),
                              extravars=extravars, envvars=env, quiet=True)


def test_survey_job_creates_the_server_and_reports_its_events(tmp_path, prepared_hypervisor):
    name = 'nltest-awx-%s' % uuid.uuid4().hex[:6]
    marker = 'survey-secret-%s' % uuid.uuid4().hex
    survey = {'server_name': name, 'flavor': 'm1.nano', 'image': 'novalite-demo',
              'network': 'private', 'count': 1, 'user_data': '#!/bin/sh\necho %s\n' % marker,
              'novalite_context': {'project_id': 'demo', 'user_id': 'awx-user', 'roles': ['member']}}
    job = runner_job(tmp_path, 'create_server.yml', survey)
    try:
        assert job.status == 'successful' and job.rc == 0, job.stdout.read()
        events = list(job.events)
        builds = [e for e in events if e['event'] == 'runner_item_on_ok'
                  and e['event_data'].get('task') == BUILD_TASK]
        assert len(builds) == 1
        server = builds[0]['event_data']['res']['server']
        assert server['name'] == name and server['vm_state'] == 'active'
        assert server['user_id'] == 'awx-user' and server['host'] == 'local-hv'
        stats = [e for e in events if e['event'] == 'playbook_on_stats'][0]['event_data']
        assert not stats['failures'] and not stats['dark']

        # The guest's user data never lands in the job's artifacts, in clear or in base64.
        encoded = base64.b64encode(survey['user_data'].encode()).decode()
        for path in glob.glob(os.path.join(job.config.artifact_dir, '**', '*'), recursive=True):
            if os.path.isfile(path):
                with open(path, errors='replace') as f:
                    text = f.read()
                assert marker not in text and encoded not in text, path
    finally:
        deleted = run_playbook('delete_server', {'novalite_server_id': name, 'novalite_delete_missing_ok': True})
        assert deleted.rc == 0, deleted


def test_check_job_reports_the_host_and_changes_nothing(tmp_path, prepared_hypervisor):
    name = 'nltest-awx-%s' % uuid.uuid4().hex[:6]
    survey = {'server_name': name, 'flavor': 'm1.nano', 'image': 'novalite-demo', 'count': 2,
              'novalite_context': {'project_id': 'demo', 'user_id': 'awx-user', 'roles': ['member']}}
    private = tmp_path / 'check'
    private.mkdir()
    env = {'ANSIBLE_CONFIG': os.path.join(REPO, 'ansible.cfg'),
           'ANSIBLE_COLLECTIONS_PATH': os.path.join(REPO, '.collections'),
           'PATH': os.path.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', '')}
    job = ansible_runner.run(private_data_dir=str(private), playbook=os.path.join(REPO, 'playbooks', 'create_server.yml'),
                             inventory=os.path.join(REPO, 'inventories', 'local'), extravars=survey,
                             envvars=env, cmdline='--check', quiet=True)
    assert job.status == 'successful', job.stdout.read()
    planned = [e['event_data']['res']['server'] for e in job.events
               if e['event'] == 'runner_item_on_ok' and e['event_data'].get('task') == BUILD_TASK]
    assert sorted(s['name'] for s in planned) == ['%s-1' % name, '%s-2' % name]
    assert all(s['host'] == 'local-hv' for s in planned)
    listed = run_playbook('server_list')
    assert name not in listed.output


def test_a_survey_answer_the_api_refuses_fails_with_the_field(tmp_path, prepared_hypervisor):
    survey = {'server_name': ' leading-space', 'flavor': 'm1.nano', 'image': 'novalite-demo',
              'novalite_context': {'project_id': 'demo', 'user_id': 'awx-user', 'roles': ['member']}}
    job = runner_job(tmp_path, 'create_server.yml', survey)
    assert job.status == 'failed'
    failed = [e for e in job.events if e['event'] == 'runner_on_failed']
    assert failed and 'server.name' in json.dumps(failed[0]['event_data']['res'])
