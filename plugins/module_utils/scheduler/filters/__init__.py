# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host filters, one class each, and the registry the scheduler picks them from by name."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters.affinity_filter import (
    DifferentHostFilter, SameHostFilter, ServerGroupAffinityFilter, ServerGroupAntiAffinityFilter)
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters.aggregate_image_properties_isolation import (
    AggregateImagePropertiesIsolation)
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters.aggregate_instance_extra_specs import (
    AggregateInstanceExtraSpecsFilter)
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters.all_hosts_filter import AllHostsFilter
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters.availability_zone_filter import (
    AvailabilityZoneFilter)
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters.compute_capabilities_filter import (
    ComputeCapabilitiesFilter)
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters.compute_filter import ComputeFilter
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters.image_props_filter import (
    ImagePropertiesFilter)
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters.io_ops_filter import (
    AggregateIoOpsFilter, IoOpsFilter)
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters.jmespath_filter import JmesPathFilter
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters.json_filter import JsonFilter
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters.num_instances_filter import (
    AggregateNumInstancesFilter, NumInstancesFilter)
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters.resource_filter import ResourceFilter

FILTERS = dict((cls.__name__, cls) for cls in (
    ResourceFilter, AllHostsFilter, ComputeFilter, AvailabilityZoneFilter,
    ComputeCapabilitiesFilter, ImagePropertiesFilter, ServerGroupAntiAffinityFilter,
    ServerGroupAffinityFilter, SameHostFilter, DifferentHostFilter,
    AggregateInstanceExtraSpecsFilter, AggregateImagePropertiesIsolation, NumInstancesFilter,
    AggregateNumInstancesFilter, IoOpsFilter, AggregateIoOpsFilter, JsonFilter, JmesPathFilter,
))
