# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """What the filter plugins of the build rounds (build_assignments, build_collect) take
    besides their input."""

    DOCUMENTATION = r'''
options:
  instances:
    description:
      - The per-instance build data, in the order of the request spec's C(instance_uuids)
        (the order of the selections).
    type: list
    elements: dict
    required: true
  selections:
    description: The C(selections) that M(novalite.compute.select_destinations) returned.
    type: list
    elements: list
    required: true
'''
