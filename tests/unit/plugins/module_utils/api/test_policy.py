# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The policy language: parsing, precedence, references, Nova's defaults."""

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.api import policy
from ansible_collections.novalite.compute.plugins.module_utils.errors import (
    PolicyError, PolicyNotAuthorized)

TARGET = {'project_id': 'demo', 'user_id': 'alice'}


def ctx(*roles, **kw):
    data = {'project_id': 'demo', 'user_id': 'alice', 'roles': list(roles)}
    data.update(kw)
    return data


def allowed(text, context, target=None):
    return policy.Enforcer({'r': text}).check('r', TARGET if target is None else target, context)


@pytest.mark.parametrize('text,message', [
    ('role:admin or', 'a check expected at the end of the rule'),
    ('and role:admin', "a check expected at 'and'"),
    ('(role:admin', "')' expected at the end of the rule"),
    ('role:admin)', "'and', 'or' or the end of the rule expected at ')'"),
    ('role:admin role:member', "'and', 'or' or the end of the rule expected at 'role:member'"),
    ('admin', "'admin' is not a check"),
    ('role:', "'role:' is not a check"),
    ('not', 'a check expected at the end of the rule'),
    ('()', "a check expected at ')'"),
])
def test_syntax_errors_name_the_rule(text, message):
    with pytest.raises(PolicyError) as info:
        policy.Enforcer({'my_rule': text})
    assert info.value.rule == 'my_rule'
    assert 'Policy rule my_rule: ' in info.value.msg and message in info.value.msg


def test_rule_must_be_a_string():
    with pytest.raises(PolicyError, match='must be a string'):
        policy.Enforcer({'r': ['role:admin']})


@pytest.mark.parametrize('text,roles,expected', [
    ('@', [], True),
    ('!', ['admin'], False),
    ('', [], True),
    ('role:a or role:b and role:c', ['a'], True),          # and binds tighter than or
    ('role:a or role:b and role:c', ['b'], False),
    ('(role:a or role:b) and role:c', ['a'], False),
    ('(role:a or role:b) and role:c', ['b', 'c'], True),
    ('not role:a and role:b', ['b'], True),               # not binds tighter than and
    ('not role:a and role:b', ['a', 'b'], False),
    ('not (role:a and role:b)', ['a'], True),
    ('not not role:a', ['a'], True),
    ('role:a OR role:b', ['b'], True),                    # keywords in any case
    ('((role:a))', ['a'], True),
    ('role:ADMIN', ['Admin'], True),                      # roles compare case-insensitively
    ('is_admin:True', ['admin'], True),
    ('is_admin:True', ['member'], False),
    ('role:reader', ['admin'], True),                     # implied roles
    ('role:member', ['reader'], False),
    ('project_id:%(project_id)s', [], True),
    ('user_id:%(user_id)s', [], True),
    ('project_id:demo', [], True),
    ('project_id:%(missing)s', [], False),
    ('role:%(wanted)s', [], False),
])
def test_evaluation(text, roles, expected):
    assert allowed(text, ctx(*roles)) is expected


def test_target_mismatch():
    assert not allowed('project_id:%(project_id)s', ctx(project_id='other'))
    assert not allowed('user_id:%(user_id)s', ctx(user_id='bob'))


def test_rule_references_and_overrides():
    enforcer = policy.Enforcer({'a': 'rule:b or role:x', 'b': 'rule:c', 'c': 'role:y'})
    assert enforcer.check('a', TARGET, ctx('y'))
    assert not enforcer.check('a', TARGET, ctx('z'))


def test_unknown_reference_detected():
    with pytest.raises(PolicyError, match='references rule:nope, which is not defined'):
        policy.Enforcer({'a': 'role:x or rule:nope'})


@pytest.mark.parametrize('rules,loop', [
    ({'a': 'rule:a'}, 'a -> a'),
    ({'a': 'role:x or (rule:b and @)', 'b': 'rule:c', 'c': 'rule:a'}, 'a -> b -> c -> a'),
    ({'a': 'rule:b', 'b': 'not rule:a'}, 'a -> b -> a'),
    ({'context_is_admin': 'rule:project_member_or_admin'},
     'context_is_admin -> project_member_or_admin -> context_is_admin'),
])
def test_cycles_detected(rules, loop):
    with pytest.raises(PolicyError) as info:
        policy.Enforcer(rules)
    assert loop in info.value.msg


def test_unregistered_rule():
    with pytest.raises(PolicyError, match='not a registered policy rule'):
        policy.Enforcer().check('os_compute_api:servers:fly', TARGET, ctx('admin'))


@pytest.mark.parametrize('rule,roles,project,expected', [
    ('os_compute_api:servers:create', ['member'], 'demo', True),
    ('os_compute_api:servers:create', ['member'], 'other', False),
    ('os_compute_api:servers:create', ['reader'], 'demo', False),
    ('os_compute_api:servers:create', ['admin'], 'other', True),
    ('os_compute_api:servers:create', ['manager'], 'demo', True),
    ('os_compute_api:servers:create:forced_host', ['member'], 'demo', False),
    ('os_compute_api:servers:create:forced_host', ['admin'], 'demo', True),
    ('compute:servers:create:requested_destination', ['member'], 'demo', False),
    ('os_compute_api:servers:create:zero_disk_flavor', ['member'], 'demo', False),
    ('os_compute_api:servers:create:attach_volume', ['member'], 'demo', True),
    ('os_compute_api:servers:create:attach_network', ['reader'], 'demo', False),
    ('os_compute_api:servers:index', ['reader'], 'demo', True),
    ('os_compute_api:servers:show', ['reader'], 'other', False),
    ('os_compute_api:servers:delete', ['reader'], 'demo', False),
    ('os_compute_api:servers:delete', ['member'], 'demo', True),
    ('os_compute_api:servers:start', ['member'], 'demo', True),
    ('os_compute_api:servers:stop', ['admin'], 'x', True),
    ('os_compute_api:servers:reboot', [], 'demo', False),
])
def test_nova_defaults(rule, roles, project, expected):
    assert policy.Enforcer().check(rule, TARGET, ctx(*roles, project_id=project)) is expected


# Every default rule, allowed and denied: (rule, (roles, project) allowed, (roles, project) denied)
MEMBER, READER, ADMIN = ['member'], ['reader'], ['admin']
DEFAULTS = [
    ('context_is_admin', (ADMIN, 'other'), (MEMBER, 'demo')),
    ('admin_or_owner', (READER, 'demo'), (MEMBER, 'other')),
    ('admin_api', (ADMIN, 'other'), (['manager'], 'demo')),
    ('project_manager_api', (['manager'], 'demo'), (['manager'], 'other')),
    ('project_member_api', (MEMBER, 'demo'), (ADMIN, 'other')),
    ('project_reader_api', (READER, 'demo'), ([], 'demo')),
    ('project_manager_or_admin', (ADMIN, 'other'), (MEMBER, 'demo')),
    ('project_member_or_admin', (['manager'], 'demo'), (READER, 'demo')),
    ('project_reader_or_admin', (READER, 'demo'), (MEMBER, 'other')),
    ('os_compute_api:servers:index', (READER, 'demo'), (READER, 'other')),
    ('os_compute_api:servers:detail', (ADMIN, 'other'), ([], 'demo')),
    ('os_compute_api:servers:show', (MEMBER, 'demo'), (READER, 'other')),
    ('os_compute_api:servers:create', (MEMBER, 'demo'), (READER, 'demo')),
    ('os_compute_api:servers:create:forced_host', (ADMIN, 'demo'), (['manager'], 'demo')),
    ('compute:servers:create:requested_destination', (ADMIN, 'other'), (MEMBER, 'demo')),
    ('os_compute_api:servers:create:attach_volume', (MEMBER, 'demo'), (MEMBER, 'other')),
    ('os_compute_api:servers:create:attach_network', (ADMIN, 'other'), (READER, 'demo')),
    ('os_compute_api:servers:create:zero_disk_flavor', (ADMIN, 'demo'), (MEMBER, 'demo')),
    ('network:attach_external_network', (ADMIN, 'demo'), (MEMBER, 'demo')),
    ('os_compute_api:servers:delete', (MEMBER, 'demo'), (READER, 'demo')),
    ('os_compute_api:servers:start', (MEMBER, 'demo'), (MEMBER, 'other')),
    ('os_compute_api:servers:stop', (ADMIN, 'x'), ([], 'demo')),
    ('os_compute_api:servers:reboot', (['manager'], 'demo'), (READER, 'demo')),
    ('os_compute_api:servers:rebuild', (MEMBER, 'demo'), (READER, 'demo')),
    ('os_compute_api:servers:resize', (ADMIN, 'other'), (MEMBER, 'other')),
    ('os_compute_api:servers:confirm_resize', (MEMBER, 'demo'), (READER, 'demo')),
    ('os_compute_api:servers:revert_resize', (['manager'], 'demo'), ([], 'demo')),
    ('os_compute_api:servers:index:get_all_tenants', (ADMIN, 'other'), (MEMBER, 'demo')),
    ('os_compute_api:servers:detail:get_all_tenants', (ADMIN, 'demo'), (['manager'], 'demo')),
    ('os_compute_api:os-instance-actions:list', (READER, 'demo'), (MEMBER, 'other')),
    ('os_compute_api:os-instance-actions:show', (MEMBER, 'demo'), (READER, 'other')),
    ('os_compute_api:os-instance-actions:events', (ADMIN, 'other'), (MEMBER, 'demo')),
    ('os_compute_api:os-pause-server:pause', (MEMBER, 'demo'), (READER, 'demo')),
    ('os_compute_api:os-pause-server:unpause', (ADMIN, 'other'), (MEMBER, 'other')),
    ('os_compute_api:os-suspend-server:suspend', (MEMBER, 'demo'), (MEMBER, 'other')),
    ('os_compute_api:os-suspend-server:resume', (['manager'], 'demo'), (READER, 'demo')),
    ('os_compute_api:os-lock-server:lock', (MEMBER, 'demo'), (READER, 'demo')),
    ('os_compute_api:os-lock-server:unlock', (MEMBER, 'demo'), (MEMBER, 'other')),
    ('os_compute_api:os-lock-server:unlock:unlock_override', (ADMIN, 'other'), (MEMBER, 'demo')),
    ('os_compute_api:os-console-output', (MEMBER, 'demo'), (READER, 'demo')),
    ('os_compute_api:server-metadata:index', (READER, 'demo'), (MEMBER, 'other')),
    ('os_compute_api:server-metadata:show', (ADMIN, 'other'), ([], 'demo')),
    ('os_compute_api:server-metadata:create', (MEMBER, 'demo'), (READER, 'demo')),
    ('os_compute_api:server-metadata:update', (MEMBER, 'demo'), (READER, 'demo')),
    ('os_compute_api:server-metadata:update_all', (ADMIN, 'other'), (MEMBER, 'other')),
    ('os_compute_api:server-metadata:delete', (MEMBER, 'demo'), (READER, 'demo')),
]


def test_every_default_rule_in_the_table():
    assert sorted(r[0] for r in DEFAULTS) == sorted(policy.DEFAULT_RULES)


@pytest.mark.parametrize('rule,allowed_ctx,denied_ctx', DEFAULTS, ids=[r[0] for r in DEFAULTS])
def test_default_rule_both_sides(rule, allowed_ctx, denied_ctx):
    enforcer = policy.Enforcer()
    roles, project = allowed_ctx
    assert enforcer.check(rule, TARGET, ctx(*roles, project_id=project)) is True
    roles, project = denied_ctx
    assert enforcer.check(rule, TARGET, ctx(*roles, project_id=project)) is False


@pytest.mark.parametrize('text,roles,expected', [
    ('@ and role:a', [], False),
    ('! or role:a', ['a'], True),
    ('not @', ['admin'], False),
    ('not !', [], True),
    ('not role:a or role:b', ['a'], False),
    ('not (role:a or role:b)', ['c'], True),
    ('rule:yes and not rule:no', [], True),
])
def test_constants_and_not(text, roles, expected):
    enforcer = policy.Enforcer({'r': text, 'yes': '@', 'no': '!'})
    assert enforcer.check('r', TARGET, ctx(*roles)) is expected


def test_admin_override_sees_the_callers_own_project():
    # Nova's check_is_admin evaluates context_is_admin with the caller's project as target
    enforcer = policy.Enforcer({'context_is_admin': 'role:admin and project_id:%(project_id)s'})
    assert enforcer.credentials(ctx('admin'))['is_admin'] is True
    assert enforcer.check('admin_api', TARGET, ctx('admin', project_id='other')) is True
    assert enforcer.credentials(ctx('member'))['is_admin'] is False


@pytest.mark.parametrize('roles,expanded', [
    (['admin'], ['admin', 'member', 'reader']),
    (['manager'], ['manager', 'member', 'reader']),
    (['member'], ['member', 'reader']),
    (['reader'], ['reader']),
    (['Observer'], ['observer']),
    ([], []),
])
def test_implied_roles(roles, expanded):
    assert policy.credentials(ctx(*roles))['roles'] == expanded


def test_enforce_message():
    with pytest.raises(PolicyNotAuthorized) as info:
        policy.Enforcer().enforce('os_compute_api:servers:create:forced_host', TARGET, ctx('member'))
    assert info.value.msg == ("Policy doesn't allow os_compute_api:servers:create:forced_host "
                              "to be performed.")


def test_override_replaces_default():
    enforcer = policy.Enforcer({'os_compute_api:servers:create:forced_host': 'role:ops'})
    assert enforcer.check('os_compute_api:servers:create:forced_host', TARGET, ctx('ops'))
    assert not enforcer.check('os_compute_api:servers:create:forced_host', TARGET, ctx('admin'))


def test_credentials_expand_implied_roles():
    assert policy.credentials(ctx('Admin'))['roles'] == ['admin', 'member', 'reader']
    assert policy.Enforcer().credentials(ctx('admin'))['is_admin'] is True
    assert policy.Enforcer().credentials(ctx('member'))['is_admin'] is False


# --- server actions: the rule each action checks, and the unlock override -------------------

OWNED = {'uuid': 'u1', 'project_id': 'demo', 'user_id': 'alice'}


@pytest.mark.parametrize('action,rule', [
    ('start', 'os_compute_api:servers:start'), ('reboot', 'os_compute_api:servers:reboot'),
    ('pause', 'os_compute_api:os-pause-server:pause'),
    ('resume', 'os_compute_api:os-suspend-server:resume'),
    ('lock', 'os_compute_api:os-lock-server:lock'),
    ('console_output', 'os_compute_api:os-console-output'),
])
def test_server_action_rule(action, rule):
    assert policy.server_action_rule(action) == rule
    with pytest.raises(PolicyNotAuthorized) as err:
        policy.authorize_server_action(policy.Enforcer({rule: '!'}), action, OWNED,
                                       {'project_id': 'demo', 'user_id': 'alice', 'roles': ADMIN})
    assert err.value.rule == rule


def test_unlock_of_the_other_sides_lock_needs_the_override():
    member = {'project_id': 'demo', 'user_id': 'alice', 'roles': MEMBER}
    foreign_admin = {'project_id': 'ops', 'user_id': 'root', 'roles': ADMIN}
    enforcer = policy.Enforcer()
    by_admin = dict(OWNED, locked=True, locked_by='admin')
    by_owner = dict(OWNED, locked=True, locked_by='owner')
    with pytest.raises(PolicyNotAuthorized) as err:
        policy.authorize_server_action(enforcer, 'unlock', by_admin, member)
    assert err.value.rule == policy.UNLOCK_OVERRIDE_RULE
    assert policy.authorize_server_action(enforcer, 'unlock', by_owner, member) == \
        {'is_admin': False, 'is_owner': True}
    # an admin of another project passes the override: it is the admin's rule
    assert policy.authorize_server_action(enforcer, 'unlock', by_owner, foreign_admin) == \
        {'is_admin': True, 'is_owner': False}
    assert policy.authorize_server_action(enforcer, 'unlock', by_admin, foreign_admin)['is_admin']
    with pytest.raises(PolicyNotAuthorized):
        policy.authorize_server_action(policy.Enforcer({policy.UNLOCK_OVERRIDE_RULE: '!'}),
                                       'unlock', by_owner, foreign_admin)
