# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host weighers, one class each, and the registry the scheduler picks them from by name."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.novalite.compute.plugins.module_utils.scheduler.weighers.affinity import (
    ServerGroupSoftAffinityWeigher, ServerGroupSoftAntiAffinityWeigher)
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.weighers.load import (
    BuildFailureWeigher, HypervisorVersionWeigher, IoOpsWeigher, NumInstancesWeigher)
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.weighers.resources import (
    CPUWeigher, DiskWeigher, RAMWeigher)

# Nova's all_weighers, in a fixed order so that traces read the same every time.
WEIGHERS = dict((cls.__name__, cls) for cls in (
    RAMWeigher, CPUWeigher, DiskWeigher, IoOpsWeigher, NumInstancesWeigher,
    ServerGroupSoftAffinityWeigher, ServerGroupSoftAntiAffinityWeigher, BuildFailureWeigher,
    HypervisorVersionWeigher,
))
