# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The virt drivers (Nova's `nova/virt/`): only libvirt, in `virt/libvirt/`."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type
