#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: survey_request
short_description: The create-server survey's answers as the request, never as templates
version_added: 1.0.0
description:
  - Reads the answers of the create-server survey (C(server_name), C(flavor), C(image),
    C(network), C(key_name), C(availability_zone), C(count), C(server_group),
    C(user_data); see C(awx/vars/main.yml, awx_create_survey)) from the play's variables as they
    arrived, without rendering them, and returns Nova's C(server) object and its scheduler
    hints; C(create_server.yml) registers them as C(novalite_survey) and
    C(playbooks/vars/survey.yml) makes them C(novalite_server) and
    C(novalite_scheduler_hints) unless those are given as extra variables. They are registered,
    not facts, since the fact cache would write the C(user_data) answer to disk.
  - Ansible trusts extra variables as templates; an answer such as
    C(x-{{ lookup('pipe', 'id -un') }}) would run a command wherever it is rendered. Here it
    stays the text it is, and P(novalite.compute.server_request#module) refuses or keeps it.
  - Without a C(server_name) answer the server is null and the hints empty.
  - Its result is hidden as with C(no_log), since it holds the C(user_data) answer.
  - It runs on the controller only (an action); it takes no options.
options: {}
attributes:
  check_mode:
    support: full
    description: Sets the same facts in check mode.
  diff_mode:
    support: none
    description: Nothing changes.
  platform:
    support: full
    platforms: posix
    description: Runs on the controller.
author:
  - novalite.compute contributors (@novalite)
'''

EXAMPLES = r'''
- name: Take the survey's answers as data
  novalite.compute.survey_request:
  register: novalite_survey
'''

RETURN = r'''
server:
  description: Nova's C(server) object the answers make; null without a C(server_name) answer.
  returned: always
  type: dict
scheduler_hints:
  description: The scheduler hints (C(group) when C(server_group) was answered).
  returned: always
  type: dict
'''
