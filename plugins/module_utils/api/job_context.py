# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The request context of an AWX job: who launched it, never what the launcher says.

AWX sets `awx_user_name` (and the older `tower_user_name`) to the user who launched the job;
the inventory maps AWX users to their project and roles (`novalite_awx_users`, editable by
the inventory's admins only). A job template that chooses this takes `novalite_context` from
the mapping; the launcher can neither pick another user nor another project.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class JobContextError(Exception):
    pass


def awx_context(users, awx_user_name=None, tower_user_name=None):
    """{project_id, user_id, roles} of the job's user from `users` ({AWX user name:
    {project_id, roles[, user_id]}}). The user id defaults to the AWX user name. Raises
    JobContextError when the job has no user or the user is not mapped: no default context
    stands in for an unknown user."""
    name = awx_user_name or tower_user_name
    if not name:
        raise JobContextError('the job has no awx_user_name (it is not an AWX job)')
    entry = (users or {}).get(name)
    if not isinstance(entry, dict) or not entry.get('project_id'):
        raise JobContextError("AWX user %s has no project in novalite_awx_users" % name)
    roles = entry.get('roles') or []
    if not isinstance(roles, list):
        raise JobContextError('novalite_awx_users.%s.roles must be a list' % name)
    return {'project_id': str(entry['project_id']), 'user_id': str(entry.get('user_id') or name),
            'roles': [str(r) for r in roles]}
