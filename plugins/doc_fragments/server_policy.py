# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """Options of the modules that act on existing servers; their twin arg spec is
    args_common.SERVER_POLICY_ARG_SPEC."""

    DOCUMENTATION = r'''
options:
  context:
    description:
      - Who asks, as Nova's request context. The module checks Nova's policy against the
        server's own record on the host (the target is the server's C(project_id) and
        C(user_id)) before it does or shows anything, in check mode too; a caller the policy
        does not allow gets Nova's message C(Policy doesn't allow <rule> to be performed.).
    type: dict
    required: true
    suboptions:
      project_id:
        description: The caller's project.
        type: str
        required: true
      user_id:
        description: The caller.
        type: str
        required: true
      roles:
        description:
          - The caller's roles in the project. C(admin) implies C(member), C(member) implies
            C(reader), as Keystone's implied roles.
        type: list
        elements: str
        default: []
  policy:
    description:
      - Policy rules by name, in oslo.policy's language; they override Nova's defaults
        (the inventory's C(novalite_policy)).
    type: dict
    default: {}
'''
