# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

import base64

import pytest

from ansible.template import is_trusted_as_template, trust_as_template

from ansible_collections.novalite.compute.plugins.action.survey_request import as_data
from ansible_collections.novalite.compute.plugins.module_utils.api.survey import (
    SurveyError, request_from_answers)

ANSWERS = {'server_name': 'web', 'flavor': 'm1.nano', 'image': 'novalite-demo'}


def test_the_answers_make_the_server_as_survey_yml_did():
    server, hints = request_from_answers(dict(ANSWERS, network='private', key_name='', count='2',
                                              user_data='#!/bin/sh', server_group='g'))
    assert server == {'name': 'web', 'flavorRef': 'm1.nano', 'imageRef': 'novalite-demo',
                      'networks': [{'uuid': 'private'}], 'min_count': 2, 'max_count': 2,
                      'user_data': base64.b64encode(b'#!/bin/sh').decode()}
    assert hints == {'group': 'g'}
    server, hints = request_from_answers(ANSWERS)
    assert server['networks'] == 'auto' and server['max_count'] == 1 and hints == {}


@pytest.mark.parametrize('missing', ['server_name', 'flavor', 'image'])
def test_a_missing_answer_is_named(missing):
    with pytest.raises(SurveyError, match='answer %s in the survey' % missing):
        request_from_answers(dict(ANSWERS, **{missing: ''}))


def test_a_bad_count_is_named():
    with pytest.raises(SurveyError, match='count: must be an integer'):
        request_from_answers(dict(ANSWERS, count='many'))


def test_a_template_in_an_answer_is_kept_as_text_and_loses_its_trust():
    """Ansible trusts extra variables as templates; the answers must come out as data."""
    name = trust_as_template('x-{{ lookup("pipe", "id -un") }}')
    assert is_trusted_as_template(name)
    copied = as_data({'server_name': name, 'list': [name]})
    assert copied['server_name'] == 'x-{{ lookup("pipe", "id -un") }}'
    assert not is_trusted_as_template(copied['server_name'])
    assert not is_trusted_as_template(copied['list'][0])
    server, _hints = request_from_answers(dict(ANSWERS, server_name=copied['server_name']))
    assert not is_trusted_as_template(server['name'])
