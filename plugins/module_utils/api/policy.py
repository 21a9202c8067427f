# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small oslo.policy: the rule language Nova's policies are written in, and Nova's defaults.

Language (oslo.policy's, minus the deprecated list form):
  check   := '@' | '!' | 'rule:NAME' | 'role:NAME' | KIND ':' MATCH
  expr    := or ;  or := and ('or' and)* ;  and := not ('and' not)* ;
  not     := 'not' not | '(' expr ')' | check
An empty rule allows everything (as in oslo.policy). MATCH may be '%(attr)s', substituted
from the target; the check is then against the credential named KIND ('project_id',
'user_id', 'is_admin', ...). Roles compare case-insensitively.

Rules are parsed once, when the Enforcer is built; every `rule:` reference must name a rule
and references must not loop, so a typo in an inventory override fails at once, naming it.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.novalite.compute.plugins.module_utils.errors import (
    PolicyError, PolicyNotAuthorized)

# Nova's nova/policies/base.py and servers.py defaults (current, project-scoped personas).
# Keystone's implied roles make `admin` imply `member` and `member` imply `reader`, so a
# rule asking for `role:reader` also lets members and admins through (see IMPLIED_ROLES).
DEFAULT_RULES = {
    'context_is_admin': 'role:admin',
    'admin_or_owner': 'is_admin:True or project_id:%(project_id)s',
    'admin_api': 'is_admin:True',
    'project_manager_api': 'role:manager and project_id:%(project_id)s',
    'project_member_api': 'role:member and project_id:%(project_id)s',
    'project_reader_api': 'role:reader and project_id:%(project_id)s',
    'project_manager_or_admin': 'rule:project_manager_api or rule:context_is_admin',
    'project_member_or_admin': 'rule:project_member_api or rule:context_is_admin',
    'project_reader_or_admin': 'rule:project_reader_api or rule:context_is_admin',
    'os_compute_api:servers:index': 'rule:project_reader_or_admin',
    'os_compute_api:servers:detail': 'rule:project_reader_or_admin',
    'os_compute_api:servers:show': 'rule:project_reader_or_admin',
    'os_compute_api:servers:create': 'rule:project_member_or_admin',
    'os_compute_api:servers:create:forced_host': 'rule:context_is_admin',
    'compute:servers:create:requested_destination': 'rule:context_is_admin',
    'os_compute_api:servers:create:attach_volume': 'rule:project_member_or_admin',
    'os_compute_api:servers:create:attach_network': 'rule:project_member_or_admin',
    'os_compute_api:servers:create:zero_disk_flavor': 'rule:context_is_admin',
    'network:attach_external_network': 'rule:context_is_admin',
    'os_compute_api:servers:delete': 'rule:project_member_or_admin',
    'os_compute_api:servers:start': 'rule:project_member_or_admin',
    'os_compute_api:servers:stop': 'rule:project_member_or_admin',
    'os_compute_api:servers:reboot': 'rule:project_member_or_admin',
    'os_compute_api:servers:rebuild': 'rule:project_member_or_admin',
    'os_compute_api:servers:resize': 'rule:project_member_or_admin',
    'os_compute_api:servers:confirm_resize': 'rule:project_member_or_admin',
    'os_compute_api:servers:revert_resize': 'rule:project_member_or_admin',
    # nova/policies/{pause_server,suspend_server,lock_server,console_output,server_metadata}.py
    'os_compute_api:os-pause-server:pause': 'rule:project_member_or_admin',
    'os_compute_api:os-pause-server:unpause': 'rule:project_member_or_admin',
    'os_compute_api:os-suspend-server:suspend': 'rule:project_member_or_admin',
    'os_compute_api:os-suspend-server:resume': 'rule:project_member_or_admin',
    'os_compute_api:os-lock-server:lock': 'rule:project_member_or_admin',
    'os_compute_api:os-lock-server:unlock': 'rule:project_member_or_admin',
    'os_compute_api:os-lock-server:unlock:unlock_override': 'rule:context_is_admin',
    'os_compute_api:os-console-output': 'rule:project_member_or_admin',
    'os_compute_api:server-metadata:index': 'rule:project_reader_or_admin',
    'os_compute_api:server-metadata:show': 'rule:project_reader_or_admin',
    'os_compute_api:server-metadata:create': 'rule:project_member_or_admin',
    'os_compute_api:server-metadata:update': 'rule:project_member_or_admin',
    'os_compute_api:server-metadata:update_all': 'rule:project_member_or_admin',
    'os_compute_api:server-metadata:delete': 'rule:project_member_or_admin',
    'os_compute_api:servers:index:get_all_tenants': 'rule:context_is_admin',
    'os_compute_api:servers:detail:get_all_tenants': 'rule:context_is_admin',
    # nova/policies/instance_actions.py: a reader lists a server's actions; only an admin
    # sees their events
    'os_compute_api:os-instance-actions:list': 'rule:project_reader_or_admin',
    'os_compute_api:os-instance-actions:show': 'rule:project_reader_or_admin',
    'os_compute_api:os-instance-actions:events': 'rule:context_is_admin',
}

# role -> roles it implies (keystone-manage bootstrap's chain admin -> member -> reader)
IMPLIED_ROLES = {'admin': ('member',), 'member': ('reader',), 'manager': ('member',)}

_KEYWORDS = ('and', 'or', 'not')


# --- checks (the leaves) -------------------------------------------------------------------

class _Const(object):
    def __init__(self, value):
        self.value = value

    def refs(self):
        return ()

    def __call__(self, target, creds, enforcer):
        return self.value


class _RuleRef(object):
    def __init__(self, name):
        self.name = name

    def refs(self):
        return (self.name,)

    def __call__(self, target, creds, enforcer):
        return enforcer.rules[self.name](target, creds, enforcer)


class _Role(object):
    def __init__(self, match):
        self.match = match

    def refs(self):
        return ()

    def __call__(self, target, creds, enforcer):
        try:
            wanted = (self.match % target).lower()
        except (KeyError, TypeError, ValueError):
            return False
        return wanted in creds.get('roles', ())


class _Generic(object):
    """`kind:match`: the credential `kind` equals `match` (after target substitution); a
    list credential matches when it contains the value."""

    def __init__(self, kind, match):
        self.kind = kind
        self.match = match

    def refs(self):
        return ()

    def __call__(self, target, creds, enforcer):
        try:
            wanted = self.match % target
        except (KeyError, TypeError, ValueError):
            return False
        if self.kind not in creds:
            return False
        have = creds[self.kind]
        if isinstance(have, (list, tuple, set)):
            return wanted in [str(v) for v in have]
        return wanted == str(have)


# --- operators -------------------------------------------------------------------------------

class _Not(object):
    def __init__(self, inner):
        self.inner = inner

    def refs(self):
        return self.inner.refs()

    def __call__(self, target, creds, enforcer):
        return not self.inner(target, creds, enforcer)


class _And(object):
    def __init__(self, parts):
        self.parts = parts

    def refs(self):
        return tuple(r for p in self.parts for r in p.refs())

    def __call__(self, target, creds, enforcer):
        return all(p(target, creds, enforcer) for p in self.parts)


class _Or(_And):
    def __call__(self, target, creds, enforcer):
        return any(p(target, creds, enforcer) for p in self.parts)


# --- parser ----------------------------------------------------------------------------------

def _check(token, name):
    if token == '@':
        return _Const(True)
    if token == '!':
        return _Const(False)
    kind, sep, match = token.partition(':')
    if not sep or not kind or not match:
        raise PolicyError(name, "'%s' is not a check (expected kind:match, '@' or '!')" % token)
    if kind == 'rule':
        return _RuleRef(match)
    if kind == 'role':
        return _Role(match.lower())
    return _Generic(kind, match)


def _tokens(text):
    """oslo.policy's tokenizer: split on whitespace, then peel parentheses off the ends of
    each word (so a check like project_id:%(project_id)s keeps its own parentheses)."""
    tokens = []
    for word in text.split():
        stripped = word.lstrip('(')
        tokens.extend('(' * (len(word) - len(stripped)))
        core = stripped.rstrip(')')
        if core:
            tokens.append(core)
        tokens.extend(')' * (len(stripped) - len(core)))
    return tokens


class _Parser(object):
    """Recursive descent over the tokens of one rule."""

    def __init__(self, name, text):
        self.name = name
        self.tokens = _tokens(text)
        self.pos = 0

    def _peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _keyword(self, word):
        token = self._peek()
        if token is not None and token.lower() == word:
            self.pos += 1
            return True
        return False

    def _fail(self, what):
        token = self._peek()
        where = "'%s'" % token if token is not None else 'the end of the rule'
        raise PolicyError(self.name, '%s expected at %s (token %d)' % (what, where, self.pos + 1))

    def parse(self):
        if not self.tokens:
            return _Const(True)   # oslo.policy: an empty rule always passes
        tree = self._or()
        if self._peek() is not None:
            self._fail("'and', 'or' or the end of the rule")
        return tree

    def _or(self):
        parts = [self._and()]
        while self._keyword('or'):
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else _Or(parts)

    def _and(self):
        parts = [self._not()]
        while self._keyword('and'):
            parts.append(self._not())
        return parts[0] if len(parts) == 1 else _And(parts)

    def _not(self):
        if self._keyword('not'):
            return _Not(self._not())
        token = self._peek()
        if token == '(':
            self.pos += 1
            inner = self._or()
            if self._peek() != ')':
                self._fail("')'")
            self.pos += 1
            return inner
        if token is None or token == ')' or token.lower() in _KEYWORDS:
            self._fail('a check')
        self.pos += 1
        return _check(token, self.name)


def parse_rule(name, text):
    """Parse one rule's text; PolicyError names the rule on a syntax error."""
    if not isinstance(text, str):
        raise PolicyError(name, 'must be a string, got %s' % type(text).__name__)
    return _Parser(name, text).parse()


_DEFAULT_TREES = dict((n, parse_rule(n, t)) for n, t in DEFAULT_RULES.items())


# --- enforcer --------------------------------------------------------------------------------

def credentials(context):
    """Credentials from a request context {project_id, user_id, roles}: roles lower-cased and
    expanded by IMPLIED_ROLES; `is_admin` is filled in by the Enforcer (context_is_admin)."""
    roles = set()
    pending = [str(r).lower() for r in (context.get('roles') or [])]
    while pending:
        role = pending.pop()
        if role not in roles:
            roles.add(role)
            pending.extend(IMPLIED_ROLES.get(role, ()))
    return {'project_id': context.get('project_id'), 'user_id': context.get('user_id'),
            'roles': sorted(roles)}


class Enforcer(object):
    """Nova's defaults overridden by `overrides` (the inventory's novalite_policy)."""

    def __init__(self, overrides=None):
        self.rules = dict(_DEFAULT_TREES)
        for name, text in (overrides or {}).items():
            self.rules[name] = parse_rule(name, text)
        self._check_references()

    def _check_references(self):
        """Every rule: reference resolves, and no rule reaches itself."""
        done = set()

        def visit(name, path):
            if name in done:
                return
            if name in path:
                cycle = path[path.index(name):] + [name]
                raise PolicyError(name, 'rule references loop: %s' % ' -> '.join(cycle))
            for ref in self.rules[name].refs():
                if ref not in self.rules:
                    raise PolicyError(name, 'references rule:%s, which is not defined' % ref)
                visit(ref, path + [name])
            done.add(name)

        for rule_name in sorted(self.rules):
            visit(rule_name, [])

    def credentials(self, context):
        creds = credentials(context)
        # Nova's check_is_admin: context_is_admin with the caller's own project and user as
        # the target, so an override such as `role:admin and project_id:%(project_id)s` works
        own = {'project_id': creds['project_id'], 'user_id': creds['user_id']}
        creds['is_admin'] = self.rules['context_is_admin'](own, creds, self)
        return creds

    def check(self, rule, target, context):
        """True when `context` may do `rule` on `target` ({project_id, user_id})."""
        if rule not in self.rules:
            raise PolicyError(rule, 'is not a registered policy rule')
        return bool(self.rules[rule](target, self.credentials(context), self))

    def enforce(self, rule, target, context):
        """Raise PolicyNotAuthorized unless allowed."""
        if not self.check(rule, target, context):
            raise PolicyNotAuthorized(rule)


# --- existing servers --------------------------------------------------------------------------

def server_target(record):
    """Nova's target for a policy on an existing server: the server's own project and user
    (servers.py passes instance.project_id and instance.user_id). A server without a record
    has no owner: only a rule that needs no project, such as context_is_admin, passes."""
    record = record or {}
    return dict((key, record[key]) for key in ('project_id', 'user_id') if record.get(key))


UNLOCK_OVERRIDE_RULE = 'os_compute_api:os-lock-server:unlock:unlock_override'


def is_owner(record, context):
    """Nova's `is_owner` in lock and unlock: the caller's project is the server's."""
    return bool(context.get('project_id')) and (record or {}).get('project_id') == context['project_id']


def is_expected_locked_by(record, context):
    """Nova's compute API `is_expected_locked_by`: False when the server is locked by the
    other side (an admin's lock seen by the owner, the owner's lock seen by an admin of
    another project)."""
    expected = 'owner' if is_owner(record, context) else 'admin'
    locked_by = (record or {}).get('locked_by')
    return not (locked_by and locked_by != expected)


def caller_facts(enforcer, record, context):
    """What a server action needs to know of its caller: `is_admin` (Nova's
    context.is_admin, for check_instance_lock) and `is_owner` (for the lock's locked_by)."""
    return dict(is_admin=enforcer.credentials(context)['is_admin'],
                is_owner=is_owner(record, context))


def authorize_server_action(enforcer, action, record, context):
    """Nova's policy for a server action on `record` (PolicyNotAuthorized when refused): the
    action's rule, and for an unlock of a lock the other side took also
    UNLOCK_OVERRIDE_RULE (Nova's lock_server.py). Returns caller_facts."""
    if record is not None:
        authorize_server(enforcer, action, record, context)
        if action == 'unlock' and not is_expected_locked_by(record, context):
            enforcer.enforce(UNLOCK_OVERRIDE_RULE, server_target(record), context)
    return caller_facts(enforcer, record, context)


def caller_target(context):
    """The target of a policy that is about the caller, not a server (servers.py index and
    its all_tenants check): the caller's own project and user."""
    return {'project_id': context.get('project_id'), 'user_id': context.get('user_id')}


# Server actions whose policy lives outside os_compute_api:servers:<action>.
SERVER_ACTION_RULES = {
    'pause': 'os_compute_api:os-pause-server:pause',
    'unpause': 'os_compute_api:os-pause-server:unpause',
    'suspend': 'os_compute_api:os-suspend-server:suspend',
    'resume': 'os_compute_api:os-suspend-server:resume',
    'lock': 'os_compute_api:os-lock-server:lock',
    'unlock': 'os_compute_api:os-lock-server:unlock',
    'console_output': 'os_compute_api:os-console-output',
}


def server_action_rule(action):
    """The policy rule Nova checks for `action` on a server."""
    return SERVER_ACTION_RULES.get(action, 'os_compute_api:servers:%s' % action)


def authorize_server(enforcer, action, record, context):
    """Nova's context.can(<the action's rule>) on the server `record` (server_action_rule,
    or a full rule name containing ':'); raises PolicyNotAuthorized (Nova's 403 message)
    before anything is done."""
    rule = action if ':' in action else server_action_rule(action)
    enforcer.enforce(rule, server_target(record), context)


def visible_servers(enforcer, records, context, all_tenants=False, detailed=True):
    """Nova's GET /servers[/detail]: the caller's project only, all projects with
    all_tenants when index:get_all_tenants (detail:get_all_tenants) allows it (else 403);
    each server also passes servers:index (servers:detail)."""
    listing = 'detail' if detailed else 'index'
    enforcer.enforce('os_compute_api:servers:%s' % listing, caller_target(context), context)
    if all_tenants:
        enforcer.enforce('os_compute_api:servers:%s:get_all_tenants' % listing,
                         caller_target(context), context)
        return list(records)
    return [rec for rec in records if rec.get('project_id') == context.get('project_id')]


def shown_actions(enforcer, record, context):
    """The record's instance actions as the caller may see them: none unless
    os-instance-actions:list allows it on the server, events only when
    os-instance-actions:events does (Nova shows events to admins)."""
    target = server_target(record)
    if not enforcer.check('os_compute_api:os-instance-actions:list', target, context):
        return None
    actions = record.get('actions') or []
    if enforcer.check('os_compute_api:os-instance-actions:events', target, context):
        return actions
    return [dict((k, v) for k, v in action.items() if k != 'events') for action in actions]
