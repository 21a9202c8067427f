# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scheduler options: nova.conf names ([filter_scheduler], [scheduler], [DEFAULT]) and
Nova's defaults; `resolve` checks a user's dict and fills in the rest."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math

from ansible_collections.novalite.compute.plugins.module_utils.errors import ValidationError
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters import FILTERS
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.weighers import WEIGHERS

# Nova's default enabled_filters, with the two checks Nova now leaves to placement in front:
# ResourceFilter (the resource fit) and AvailabilityZoneFilter (placement's AZ prefilter,
# query_placement_for_availability_zone). Without placement here, both are filters.
DEFAULT_FILTERS = [
    'ResourceFilter', 'AvailabilityZoneFilter', 'ComputeFilter', 'ComputeCapabilitiesFilter',
    'ImagePropertiesFilter', 'ServerGroupAntiAffinityFilter', 'ServerGroupAffinityFilter',
]

# name: (kind, default, minimum)
OPTIONS = {
    'enabled_filters': ('filters', DEFAULT_FILTERS, None),
    'weight_classes': ('weighers', list(WEIGHERS), None),
    'ram_weight_multiplier': ('float', 1.0, None),
    'cpu_weight_multiplier': ('float', 1.0, None),
    'disk_weight_multiplier': ('float', 1.0, None),
    'io_ops_weight_multiplier': ('float', -1.0, None),
    'num_instances_weight_multiplier': ('float', 0.0, None),
    'soft_affinity_weight_multiplier': ('float', 1.0, 0.0),
    'soft_anti_affinity_weight_multiplier': ('float', 1.0, 0.0),
    'build_failure_weight_multiplier': ('float', 1000000.0, None),
    'hypervisor_version_weight_multiplier': ('float', 1.0, None),
    'host_subset_size': ('int', 1, 1),
    'shuffle_best_same_weighed_hosts': ('bool', False, None),
    'max_instances_per_host': ('int', 50, 1),
    'max_io_ops_per_host': ('int', 8, 0),
    'aggregate_image_properties_isolation_namespace': ('str', None, None),
    'aggregate_image_properties_isolation_separator': ('str', '.', None),
    'image_properties_default_architecture': ('str', None, None),
    'max_attempts': ('int', 3, 1),
    # [DEFAULT] options the filters read.
    'service_down_time': ('int', 60, 1),
    'default_availability_zone': ('str', 'nova', None),
    # Not a nova.conf option: seeds the random pick among host_subset_size hosts (and the
    # shuffle of equal best hosts) so that a run can be repeated. Unset: system randomness.
    'random_seed': ('int', None, None),
    # Not a nova.conf option: how many weighed hosts (best first) each instance's trace
    # shows with their weigher details; the filter steps are always complete.
    'trace_top': ('int', 20, 0),
}

# nova.conf's value for "every weigher Nova ships".
ALL_WEIGHERS = 'nova.scheduler.weights.all_weighers'
_TRUE = ('true', 'yes', 'on', '1')
_FALSE = ('false', 'no', 'off', '0')


def _field(name):
    return 'scheduler.%s' % name


def _class_names(name, value, registry, what):
    """A list of class names (a comma string too, as in nova.conf); dotted paths are
    reduced to the class name so that nova.conf values can be copied as they are."""
    if isinstance(value, str):
        value = [part for part in (item.strip() for item in value.split(',')) if part]
    if not isinstance(value, (list, tuple)):
        raise ValidationError(_field(name), 'must be a list of %s names' % what)
    names = []
    for item in value:
        if what == 'weigher' and item == ALL_WEIGHERS:
            names.extend(WEIGHERS)
            continue
        names.append(str(item).rsplit('.', 1)[-1])
    unknown = [item for item in names if item not in registry]
    if unknown:
        raise ValidationError(_field(name), 'unknown %s %s (known: %s)'
                              % (what, ', '.join(unknown), ', '.join(sorted(registry))))
    return names


def _bool(name, value):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ValidationError(_field(name), 'must be a boolean, got %r' % (value,))


def _number(name, value, kind, minimum):
    if isinstance(value, bool):
        raise ValidationError(_field(name), 'must be a number, got %r' % (value,))
    try:
        number = float(value) if kind == 'float' else int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError(_field(name), 'must be %s, got %r'
                              % ('a number' if kind == 'float' else 'an integer', value))
    if kind == 'float' and not math.isfinite(number):
        raise ValidationError(_field(name), 'must be a finite number, got %r' % (value,))
    if minimum is not None and number < minimum:
        raise ValidationError(_field(name), 'must be at least %s, got %s' % (minimum, number))
    return number


def _convert(name, value):
    kind, default, minimum = OPTIONS[name]
    if value is None:
        return list(default) if isinstance(default, list) else default
    if kind == 'filters':
        return _class_names(name, value, FILTERS, 'filter')
    if kind == 'weighers':
        return _class_names(name, value, WEIGHERS, 'weigher')
    if kind == 'bool':
        return _bool(name, value)
    if kind == 'str':
        return str(value)
    return _number(name, value, kind, minimum)


def resolve(options=None):
    """All options, the given ones checked and converted, the others at Nova's defaults.

    Raises errors.ValidationError naming an unknown option or a bad value."""
    options = options or {}
    if not isinstance(options, dict):
        raise ValidationError('scheduler', 'must be a dict of scheduler options')
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise ValidationError('scheduler', 'unknown option %s (known: %s)'
                              % (', '.join(unknown), ', '.join(sorted(OPTIONS))))
    return dict((name, _convert(name, options.get(name))) for name in OPTIONS)
