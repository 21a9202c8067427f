# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """Options shared by server_request and quota_check; their twin arg spec is
    args_common.REQUEST_CONTEXT_ARG_SPEC."""

    DOCUMENTATION = r'''
options:
  context:
    description:
      - Who asks, as Nova's request context.
    type: dict
    required: true
    suboptions:
      project_id:
        description:
          - The project the servers belong to.
        type: str
        required: true
      user_id:
        description:
          - The user who creates them.
        type: str
        required: true
      roles:
        description:
          - The user's roles in the project. C(admin) implies C(member), C(member) implies
            C(reader), as Keystone's implied roles.
        type: list
        elements: str
        default: []
  quotas:
    description:
      - Quota limits in the shape of the inventory's C(novalite_quotas)
        (C(defaults), C(projects.<project_id>), C(users.<project_id>.<user_id>)).
      - Missing limits take Nova's defaults; C(-1) is unlimited.
    type: dict
    default: {}
  servers:
    description:
      - The existing servers of every hypervisor, one dict a server (C(id), C(project_id),
        C(user_id), C(flavor), C(vm_state), C(instance_group), C(host), C(addresses)), as
        P(novalite.compute.hypervisor_servers#filter) makes them from what
        M(novalite.compute.hypervisor_info) returns.
    type: list
    elements: dict
    default: []
'''
