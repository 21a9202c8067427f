# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """The server and the request ID of the modules that record an instance action on one
    existing server (server_action, server_rebuild, server_resize, server_migrate); their
    twin arg spec is args_common.INSTANCE_ACTION_ARG_SPEC."""

    DOCUMENTATION = r'''
options:
  server:
    description: The server's UUID.
    type: str
    required: true
  request_id:
    description: The request ID recorded with the instance action; default a new C(req-<uuid>).
    type: str
'''
