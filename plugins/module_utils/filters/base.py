# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Base class of the host filters and the helpers Nova's filters share (filters/utils.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime


class BaseHostFilter(object):
    """One scheduling rule. Subclasses implement `rejection`.

    `rejection(host_state, spec)` returns None when the host passes, else one short sentence
    an operator understands; `host_passes` is Nova's interface on top of it. `spec` is the
    request spec dict with `instance_uuid` set to the instance being placed."""

    # Set in a subclass when the result cannot change between the instances of one request
    # (Nova's run_filter_once_per_request): it then runs for the first instance only.
    run_filter_once_per_request = False

    def __init__(self, options, now=None):
        self.options = options
        # The time of the request: filters that judge ages compare against it.
        self.now = now or datetime.datetime.now(datetime.timezone.utc)

    @property
    def name(self):
        return type(self).__name__

    def run_filter_for_index(self, index):
        return not (self.run_filter_once_per_request and index > 0)

    def host_passes(self, host_state, spec):
        return self.rejection(host_state, spec) is None

    def rejection(self, host_state, spec):
        raise NotImplementedError()


def get_scheduler_hint(spec, name, default=None):
    """Nova's RequestSpec.get_scheduler_hint: one-element lists stand for their element."""
    value = (spec.get('scheduler_hints') or {}).get(name, default)
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def aggregate_values_from_key(host_state, key):
    """The values of metadata `key` over the host's aggregates (a set)."""
    return set(str(agg.get('metadata', {})[key]) for agg in host_state.aggregates
               if key in (agg.get('metadata') or {}))


def aggregate_metadata_get_by_host(host_state, key=None):
    """All metadata of the host's aggregates: key -> set of values, comma lists split.

    With `key`, only aggregates that carry that key contribute (as in Nova)."""
    metadata = {}
    for agg in host_state.aggregates:
        agg_meta = agg.get('metadata') or {}
        if key is not None and key not in agg_meta:
            continue
        for name, value in agg_meta.items():
            metadata.setdefault(name, set()).update(
                part.strip() for part in str(value).split(','))
    return metadata


def validate_num_values(values, default=None, cast_to=int, based_on=min):
    """The smallest (or `based_on`) of several aggregate values, cast; `default` when none.

    Raises ValueError when a value does not cast, as Nova's does."""
    if not values:
        return default
    return based_on([cast_to(value) for value in values])


def instance_uuids_overlap(host_state, uuids):
    if isinstance(uuids, str):
        uuids = [uuids]
    return bool(set(host_state.instances).intersection(uuids))


def group_label(group):
    return group.get('name') or group.get('uuid') or 'n/a'


def group_policy(group):
    """The policy of a request's instance group (older specs carry a `policies` list)."""
    if not group:
        return None
    if group.get('policy'):
        return group['policy']
    policies = group.get('policies') or []
    return policies[0] if policies else None


def group_servers_on_host(host_state, group):
    """Servers of `group` on the host: Nova counts instances that are group members.

    The host's own record names the group of each of its servers too; those count as well,
    because here no central database keeps a complete member list."""
    members = set(group.get('members') or [])
    return set(uuid for uuid, group_uuid in host_state.instances.items()
               if uuid in members or (group_uuid and group_uuid == group.get('uuid')))
