# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """The libvirt connection option; its twin arg spec is args_common.LIBVIRT_ARG_SPEC."""

    DOCUMENTATION = r'''
options:
  uri:
    description:
      - The libvirt connection URI of the hypervisor.
      - Set it once for all libvirt modules with C(module_defaults) and the
        C(group/novalite.compute.libvirt) action group.
    type: str
    default: qemu:///system
requirements:
  - libvirt-python (C(python3-libvirt) on Debian)
  - lxml (C(python3-lxml) on Debian)
'''
