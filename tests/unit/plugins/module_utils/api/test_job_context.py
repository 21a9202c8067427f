# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.novalite.compute.plugins.filter.awx_context import awx_context

USERS = {'alice': {'project_id': 'p1', 'roles': ['member']},
         'bob': {'project_id': 'p2', 'user_id': 'bob-id', 'roles': ['reader']}}


def test_the_job_user_decides_the_context():
    assert awx_context(USERS, 'alice') == {'project_id': 'p1', 'user_id': 'alice',
                                           'roles': ['member']}
    assert awx_context(USERS, None, 'bob') == {'project_id': 'p2', 'user_id': 'bob-id',
                                               'roles': ['reader']}
    # awx_user_name wins over the older tower_user_name
    assert awx_context(USERS, 'alice', 'bob')['project_id'] == 'p1'


@pytest.mark.parametrize('awx,tower,message', [
    (None, None, 'the job has no awx_user_name'),
    ('mallory', None, 'AWX user mallory has no project in novalite_awx_users'),
])
def test_no_default_context_for_an_unknown_user(awx, tower, message):
    with pytest.raises(AnsibleFilterError, match=message):
        awx_context(USERS, awx, tower)


def test_roles_must_be_a_list():
    with pytest.raises(AnsibleFilterError, match='roles must be a list'):
        awx_context({'eve': {'project_id': 'p', 'roles': 'admin'}}, 'eve')
