# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""awx/configure.yml without an AWX server.

The awx.awx collection comes from the `ansible` package on PyPI (pip download, no install).
The playbook runs in check mode with every awx.awx module run for real against a controller
address where nothing listens (tests/packaging/action_plugins/normal.py records each result):
a task passes when its module accepted its arguments (its own argument spec) and failed only
at connecting. The survey it sends is then answered, choice by choice and past each limit,
through playbooks/vars/survey.yml and the request role (server_request), as a job would."""
import json
import os
import subprocess
import sys
import zipfile

import pytest
import yaml

from collection_path import REPO

BIN = os.path.dirname(sys.executable)
# The community package that carries awx.awx 24.6.1 (awx/requirements.yml's version).
ANSIBLE_PACKAGE = 'ansible==12.3.0'
AWX_VERSION = '24.6.1'
CACHE = os.path.join(REPO, 'build', 'awx')
CONNECT_ERROR = 'There was an unknown error when trying to connect to https://127.0.0.1:9/'


def env(**extra):
    out = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'),
               ANSIBLE_COLLECTIONS_PATH='%s:%s' % (os.path.join(REPO, '.collections'),
                                                    os.path.join(CACHE, 'collections')))
    out.update(extra)
    return out


def run(argv, **extra):
    return subprocess.run(argv, cwd=REPO, env=env(**extra), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, timeout=600,
                          check=False)


@pytest.fixture(scope='module')
def awx_collection():
    manifest = os.path.join(CACHE, 'collections', 'ansible_collections', 'awx', 'awx',
                            'MANIFEST.json')
    if not os.path.exists(manifest):
        wheels = os.path.join(CACHE, 'wheels')
        proc = subprocess.run([sys.executable, '-m', 'pip', 'download', '-q', '--no-deps',
                               '-d', wheels, ANSIBLE_PACKAGE], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, universal_newlines=True, timeout=900,
                              check=False)
        assert proc.returncode == 0, proc.stdout[-3000:]
        wheel = [n for n in os.listdir(wheels) if n.startswith('ansible-') and n.endswith('.whl')]
        with zipfile.ZipFile(os.path.join(wheels, wheel[0])) as whl:
            for name in whl.namelist():
                if name.startswith('ansible_collections/awx/awx/'):
                    whl.extract(name, os.path.join(CACHE, 'collections'))
    with open(manifest) as f:
        assert json.load(f)['collection_info']['version'] == AWX_VERSION
    return manifest


@pytest.fixture(scope='module')
def awx_run(awx_collection, tmp_path_factory):
    record = tmp_path_factory.mktemp('awx') / 'record.jsonl'
    proc = run([os.path.join(BIN, 'ansible-playbook'), '-i', 'inventories/local',
                'awx/configure.yml', '--check', '-e', 'awx_controller_host=https://127.0.0.1:9',
                '-e', 'awx_controller_oauthtoken=unused'],
               NOVALITE_AWX_RECORD=str(record),
               ANSIBLE_ACTION_PLUGINS=os.path.join(REPO, 'tests', 'packaging', 'action_plugins'))
    assert proc.returncode == 0, proc.stdout[-4000:]
    return [json.loads(line) for line in record.read_text().splitlines()]


def awx_tasks():
    play = yaml.safe_load(open(os.path.join(REPO, 'awx', 'configure.yml')))[0]
    return [t for t in play['tasks'] if any(k.startswith('awx.awx.') for k in t)]


def test_syntax_check(awx_collection):
    proc = run([os.path.join(BIN, 'ansible-playbook'), '-i', 'inventories/local',
                'awx/configure.yml', '--syntax-check'])
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_ansible_lint_production(awx_collection):
    """make lint leaves awx/ out (its modules need awx.awx); here awx.awx is there."""
    proc = run([os.path.join(BIN, 'ansible-lint'), '--nocolor', 'awx'])
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_every_awx_task_passes_its_modules_argument_spec(awx_run):
    assert set(r['task'] for r in awx_run) == set(t['name'] for t in awx_tasks())
    refused = [(r['task'], r['msg']) for r in awx_run if not r['msg'].startswith(CONNECT_ERROR)]
    assert refused == []


def test_a_wrong_argument_is_caught_the_same_way(awx_collection, tmp_path):
    """The check can fail: an option awx.awx.job_template does not have is refused before any
    connection."""
    playbook = tmp_path / 'wrong.yml'
    playbook.write_text(yaml.safe_dump([{'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        {'awx.awx.job_template': {'name': 'x', 'playbook': 'p.yml', 'survey': {},
                                  'controller_host': 'https://127.0.0.1:9'}}]}]))
    record = tmp_path / 'record.jsonl'
    proc = run([os.path.join(BIN, 'ansible-playbook'), str(playbook), '--check'],
               NOVALITE_AWX_RECORD=str(record),
               ANSIBLE_ACTION_PLUGINS=os.path.join(REPO, 'tests', 'packaging', 'action_plugins'))
    assert proc.returncode == 0, proc.stdout[-3000:]
    msg = json.loads(record.read_text())['msg']
    assert 'Unsupported parameters' in msg and 'survey' in msg


def job_templates(awx_run):
    return dict((r['args']['name'], r['args']) for r in awx_run
                if r['action'] == 'awx.awx.job_template')


def test_job_templates_with_surveys_attached(awx_run):
    templates = job_templates(awx_run)
    assert sorted(templates) == sorted(['Create server', 'Create server (where would it go?)',
                                        'Delete server', 'Start server', 'Stop server',
                                        'Reboot server', 'Pause server', 'Unpause server',
                                        'Suspend server', 'Resume server', 'Lock server',
                                        'Unlock server', 'Console log', 'Server metadata',
                                        'Rebuild server', 'Resize server', 'Confirm resize',
                                        'Revert resize',
                                        'Reconcile hypervisors', 'Refresh hypervisors'])
    for name, args in templates.items():
        assert os.path.exists(os.path.join(REPO, args['playbook'])), name
    assert templates['Create server (where would it go?)']['job_type'] == 'check'
    for name, args in templates.items():
        if name in ('Reconcile hypervisors', 'Refresh hypervisors'):
            # Asks nothing: a schedule launches it.
            assert not args['survey_enabled'] and 'survey_spec' not in args
        else:
            assert args['survey_enabled'] and args['survey_spec']['spec']
        assert args['credentials'] and args['execution_environment'] and args['project']
        assert os.path.exists(os.path.join(REPO, args['playbook'])), args['playbook']


def test_the_reconciler_runs_on_a_schedule(awx_run):
    schedules = [r['args'] for r in awx_run if r['action'] == 'awx.awx.schedule']
    assert [(s['name'], s['unified_job_template'], s['rrule'], s['enabled']) for s in schedules] == [
        ('Reconcile hypervisors', 'Reconcile hypervisors',
         'DTSTART:20260101T000000Z RRULE:FREQ=MINUTELY;INTERVAL=10', True),
        ('Refresh hypervisors', 'Refresh hypervisors',
         'DTSTART:20260101T000000Z RRULE:FREQ=MINUTELY;INTERVAL=1', True)]
    assert job_templates(awx_run)['Reconcile hypervisors']['playbook'] == 'playbooks/reconcile.yml'


def test_the_hypervisors_refresh_the_fleet_database_on_a_schedule(awx_run):
    """Nova's update_available_resource: every minute, under service_down_time."""
    schedules = dict((r['args']['name'], r['args']) for r in awx_run if r['action'] == 'awx.awx.schedule')
    refresh = schedules['Refresh hypervisors']
    assert refresh['unified_job_template'] == 'Refresh hypervisors'
    assert refresh['rrule'] == 'DTSTART:20260101T000000Z RRULE:FREQ=MINUTELY;INTERVAL=1'
    assert job_templates(awx_run)['Refresh hypervisors']['playbook'] == 'playbooks/refresh_hypervisors.yml'


def test_every_job_reaches_the_fleet_database_through_a_secret_credential(awx_run):
    """AWX's containers do not keep a SQLite file: the URL comes from a credential whose type
    marks it secret and injects it as NOVALITE_FLEET_DATABASE, the variable the collection
    reads (plugin_utils/fleet_database.py); every job template carries it."""
    (ctype,) = [r['args'] for r in awx_run if r['action'] == 'awx.awx.credential_type']
    (field,) = ctype['inputs']['fields']
    assert field['secret'] is True and ctype['inputs']['required'] == [field['id']]
    assert ctype['injectors'] == {'env': {'NOVALITE_FLEET_DATABASE': '{{ %s }}' % field['id']}}
    with open(os.path.join(REPO, 'plugins', 'plugin_utils', 'fleet_database.py')) as handle:
        assert "ENVIRONMENT = 'NOVALITE_FLEET_DATABASE'" in handle.read()
    creds = [r['args'] for r in awx_run if r['action'] == 'awx.awx.credential'
             and r['args'].get('credential_type') == ctype['name']]
    assert len(creds) == 1
    for name, args in job_templates(awx_run).items():
        assert creds[0]['name'] in args['credentials'], name


def test_the_reconcile_schedule_takes_its_rule_from_a_variable(awx_collection, tmp_path):
    record = tmp_path / 'record.jsonl'
    hourly = 'DTSTART:20260101T000000Z RRULE:FREQ=HOURLY;INTERVAL=1'
    proc = run([os.path.join(BIN, 'ansible-playbook'), '-i', 'inventories/local',
                'awx/configure.yml', '--check', '-e', 'awx_controller_host=https://127.0.0.1:9',
                '-e', 'awx_controller_oauthtoken=unused', '-e', json.dumps({'awx_reconcile_rrule': hourly})],
               NOVALITE_AWX_RECORD=str(record),
               ANSIBLE_ACTION_PLUGINS=os.path.join(REPO, 'tests', 'packaging', 'action_plugins'))
    assert proc.returncode == 0, proc.stdout[-4000:]
    results = [json.loads(line) for line in record.read_text().splitlines()]
    assert [r['args']['rrule'] for r in results if r['action'] == 'awx.awx.schedule'
            and r['args']['name'] == 'Reconcile hypervisors'] == [hourly]


def test_the_action_surveys_ask_what_their_playbooks_read(awx_run):
    """Each survey variable of the rebuild and resize templates is one its playbook reads;
    the rebuild's image choices are the bootable images of the catalog (no kernel, no
    ramdisk), the resize's flavor choices the catalog's flavors."""
    templates = job_templates(awx_run)
    for name in ('Rebuild server', 'Resize server', 'Confirm resize', 'Revert resize'):
        args = templates[name]
        with open(os.path.join(REPO, args['playbook'])) as handle:
            text = handle.read()
        for item in args['survey_spec']['spec']:
            assert item['variable'] in text, (name, item['variable'])
    image = question(templates['Rebuild server']['survey_spec']['spec'], 'novalite_image')
    assert image['choices'] and 'novalite-demo' in image['choices']
    assert not [c for c in image['choices'] if c.endswith(('-kernel', '-ramdisk'))]
    flavor = question(templates['Resize server']['survey_spec']['spec'], 'novalite_flavor')
    assert flavor['choices'] == ['m1.nano', 'm1.micro', 'm1.small']


# ---- the survey against the validator --------------------------------------------------------

def question(spec, variable):
    return [q for q in spec if q['variable'] == variable][0]


def survey_cases(spec):
    """(label, answers, None when accepted or the field the refusal names) for every choice
    and past every limit."""
    base = {'server_name': 'awx-survey', 'flavor': question(spec, 'flavor')['default'],
            'image': question(spec, 'image')['default'], 'count': 1}
    cases = []
    for variable in ('flavor', 'image', 'network'):
        for choice in question(spec, variable)['choices']:
            cases.append(('%s=%s' % (variable, choice), dict(base, **{variable: choice}), None))
    for variable, field, fill in (('server_name', 'server.name', 'n'),
                                  ('user_data', 'user_data', 'u'),
                                  ('availability_zone', 'server.availability_zone', 'z'),
                                  ('key_name', 'server.key_name', 'k'),
                                  ('server_group', 'scheduler_hints.group', 'g')):
        limit = question(spec, variable)['max']
        if variable in ('server_name', 'user_data'):  # the others must name a catalog entry
            cases.append(('%s at max' % variable, dict(base, **{variable: fill * limit}), None))
        cases.append(('%s past max' % variable, dict(base, **{variable: fill * (limit + 1)}),
                      field))
    count_max = question(spec, 'count')['max']
    cases.append(('count at max', dict(base, count=count_max), None))
    cases.append(('count past max', dict(base, count=count_max + 1), 'instances'))
    return cases


def test_survey_answers_against_the_validator(awx_run, tmp_path):
    spec = job_templates(awx_run)['Create server']['survey_spec']['spec']
    cases = survey_cases(spec)
    out = tmp_path / 'results.json'
    plays = []
    for i, (label, answers, _ok) in enumerate(cases):
        plays.append({
            'name': label, 'hosts': 'localhost', 'gather_facts': False, 'ignore_errors': True,
            'vars': answers,
            'vars_files': [os.path.join(REPO, 'playbooks', 'vars', 'survey.yml')],
            # as create_server.yml: the answers taken as data first
            'pre_tasks': [{'name': 'answers', 'novalite.compute.survey_request': {},
                           'register': 'novalite_survey'}],
            'roles': ['novalite.compute.request'],
            'tasks': [
                # the count's limit is the instances quota (quota_check, no servers yet)
                {'name': 'quota', 'novalite.compute.quota_check': {
                    'request_spec': '{{ request_result.request_spec }}',
                    'instances': '{{ request_result.instances }}', 'servers': [],
                    'quotas': '{{ novalite_quotas | default({}) }}',
                    'context': '{{ novalite_context }}'},
                 'register': 'quota_result', 'when': 'request_result is succeeded'},
                {'name': 'record', 'ansible.builtin.set_fact': {'survey_results': (
                    "{{ survey_results | default({}) | combine({'%d': {"
                    "'ok': request_result is succeeded and quota_result is succeeded, "
                    "'msg': request_result.msg | default(quota_result.msg | default(''))}}) }}"
                    % i)}}]})
    plays.append({'name': 'write', 'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        {'name': 'write', 'ansible.builtin.copy': {
            'content': '{{ survey_results | to_json }}', 'dest': str(out), 'mode': '0644'}}]})
    playbook = tmp_path / 'survey.yml'
    playbook.write_text(yaml.safe_dump(plays))
    proc = run([os.path.join(BIN, 'ansible-playbook'), '-i', 'inventories/local', str(playbook)])
    assert out.exists(), proc.stdout[-4000:]
    results = json.loads(out.read_text())
    wrong = []
    for i, (label, _answers, refused_field) in enumerate(cases):
        result = results[str(i)]
        if refused_field is None and not result['ok']:
            wrong.append((label, 'refused', result['msg']))
        elif refused_field and (result['ok'] or refused_field not in result['msg']):
            wrong.append((label, 'not refused for %s' % refused_field, result['msg']))
    assert wrong == []
