# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """The attributes that whole families of modules share; a module extends one part."""

    # The modules that only compute a result from their options.
    COMPUTATION = r'''
attributes:
  check_mode:
    support: full
    description: Computes the same result in check mode; it never changes anything.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to diff.
  platform:
    support: full
    platforms: all
    description: Pure computation; runs on the controller or any host with Python.
'''

    # The declarative libvirt modules; each documents its own diff_mode.
    DECLARATIVE = r'''
attributes:
  check_mode:
    support: full
    description: Reports the same changes and diff a real run makes.
  idempotent:
    support: full
    description: A second run with the same options reports no change.
  platform:
    support: full
    platforms: posix
    description: Runs on the hypervisor (or anywhere the libvirt URI reaches).
'''

    # The modules that read the hypervisor's state.
    HYPERVISOR_INFO = r'''
attributes:
  check_mode:
    support: full
    description: Read-only; runs the same in check mode.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to diff.
  platform:
    support: full
    platforms: posix
    description: Runs on the hypervisor.
'''
