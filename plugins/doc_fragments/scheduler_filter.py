# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """What the filter plugins that run a scheduler step (passing_hosts, weighed_hosts) take;
    each documents its own C(scheduler_options)."""

    DOCUMENTATION = r'''
options:
  _input:
    description: Host states, as M(novalite.compute.hypervisor_info) returns them.
    type: list
    elements: dict
    required: true
  request_spec:
    description: The request spec (Nova's RequestSpec names), at least C(flavor).
    type: dict
    required: true
'''
