# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The create-server survey's answers (awx/vars/main.yml, awx_create_survey) as Nova's `server`
object and scheduler hints.

The answers are data: they are read as they arrived and copied, never rendered as templates
(a server name of `x-{{ lookup('pipe', 'id -un') }}` is a name with braces in it, which
server_request then refuses or keeps as it is).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64

SURVEY_VARIABLES = ('server_name', 'flavor', 'image', 'network', 'key_name',
                    'availability_zone', 'count', 'server_group', 'user_data')
REQUIRED = (('server_name', 'name'), ('flavor', 'flavorRef'), ('image', 'imageRef'))


class SurveyError(Exception):
    pass


def _count(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SurveyError("count: must be an integer, got %r" % (value,))


def request_from_answers(answers):
    """(server, scheduler_hints) from the survey's answers {variable: value}; answers left
    empty ('' or absent) are not in the server. Raises SurveyError naming a missing answer."""
    for variable, _key in REQUIRED:
        if answers.get(variable) in (None, ''):
            raise SurveyError('set novalite_server, or answer %s in the survey' % variable)
    server = dict((key, answers[variable]) for variable, key in REQUIRED)
    server['networks'] = [{'uuid': answers['network']}] if answers.get('network') else 'auto'
    for key in ('key_name', 'availability_zone'):
        if answers.get(key):
            server[key] = answers[key]
    server['min_count'] = server['max_count'] = _count(answers.get('count', 1) or 1)
    if answers.get('user_data'):
        text = answers['user_data']
        server['user_data'] = base64.b64encode(
            text.encode('utf-8') if isinstance(text, str) else text).decode('ascii')
    hints = {'group': answers['server_group']} if answers.get('server_group') else {}
    return server, hints
