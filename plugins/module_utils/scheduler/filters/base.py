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
    an operator understands (Nova's `host_passes` is `rejection(...) is None`). `spec` is the
    request spec dict with `instance_uuid` set to the instance being placed.

    `filter_all` is the same rule over many loaded host states at once (Nova's filter_all);
    subclasses make it fast with values their `prepare` computed once per load, and must
    keep exactly the verdicts and reasons of `rejection`."""

    # Set in a subclass when the result cannot change between the instances of one request
    # (Nova's run_filter_once_per_request): it then runs for the first instance only.
    run_filter_once_per_request = False
    # Within one request a host's verdict changes only when that host takes an instance,
    # unless this is set: then it also changes when the server group learns a host, and
    # the incremental scheduler runs the filter over every candidate again.
    rerun_when_group_grows = False

    def __init__(self, options, now=None):
        self.options = options
        # The time of the request: filters that judge ages compare against it.
        self.now = now or datetime.datetime.now(datetime.timezone.utc)

    @property
    def name(self):
        return type(self).__name__

    def prepare(self, host_states):
        """Compute, once per HostStates, what `filter_all` reads (HostStates.cached)."""

    def load(self, host_states):
        """Read what a verdict depends on beyond one host, across the loaded hosts (the
        scheduler calls it before a request)."""

    def run_filter_for_index(self, index):
        return not (self.run_filter_once_per_request and index > 0)

    def rejection(self, host_state, spec):
        raise NotImplementedError()

    def applies(self, spec):
        """False when every host passes for this request, so no host needs a look."""
        return True

    def suspects(self, host_states, candidates, spec, alive):
        """The candidates (ascending indices) that may fail; the others surely pass.
        `alive[index]` is true for a candidate."""
        return candidates

    def filter_all(self, host_states, candidates, spec, alive):
        """[(index, reason)] of the candidates (ascending indices into
        `host_states.states`) that fail, in index order."""
        states = host_states.states
        removed = []
        for index in self.suspects(host_states, candidates, spec, alive):
            why = self.rejection(states[index], spec)
            if why is not None:
                removed.append((index, why))
        return removed


def same_reason_for_all(host_filter, host_states, candidates, spec, failing):
    """filter_all for a rule whose reason depends on the request only: `failing(index)`
    picks the hosts that fail, `rejection` words the reason once."""
    removed = [index for index in candidates if failing(index)]
    if not removed:
        return []
    why = host_filter.rejection(host_states.states[removed[0]], spec)
    return [(index, why) for index in removed]


def instance_index(host_states):
    """(instance uuid -> index of the host that runs it, or a list of them when several
    records name it; server group uuid -> indices of the hosts that record a server of
    it), over the loaded host states."""
    def build(loaded):
        by_uuid = {}
        by_group = {}
        for index, state in enumerate(loaded.states):
            for uuid, group_uuid in state.instances.items():
                known = by_uuid.setdefault(uuid, index)
                if known != index:
                    by_uuid[uuid] = (known if isinstance(known, list) else [known]) + [index]
                if group_uuid:
                    by_group.setdefault(group_uuid, []).append(index)
        return by_uuid, by_group
    return host_states.cached('instance_index', build)


def _add_hosts(found, by_uuid, uuids):
    for uuid in uuids:
        where = by_uuid.get(uuid)
        if isinstance(where, list):
            found.update(where)
        elif where is not None:
            found.add(where)
    return found


def hosts_running(host_states, uuids):
    """Sorted indices of the loaded hosts that run any of `uuids`."""
    return sorted(_add_hosts(set(), instance_index(host_states)[0], uuids))


def hosts_with_group_servers(host_states, group):
    """Sorted indices of the loaded hosts where `group_servers_on_host` can be non-empty."""
    by_uuid, by_group = instance_index(host_states)
    found = set(by_group.get(group.get('uuid'), ()))
    return sorted(_add_hosts(found, by_uuid, group.get('members') or ()))


def key_ids(host_states, name, key):
    """Number the distinct `key(state)` values: ([id per host], [a host index per id]).
    Rules whose verdict depends on that value only are then judged once per id."""
    def build(loaded):
        ids = {}
        per_host = []
        samples = []
        for index, state in enumerate(loaded.states):
            value = key(state)
            if value not in ids:
                ids[value] = len(samples)
                samples.append(index)
            per_host.append(ids[value])
        return per_host, samples
    return host_states.cached(name, build)


def filter_by_key(host_filter, host_states, candidates, spec, key_name, key):
    """filter_all for a rule whose verdict and reason depend on `key(state)` only."""
    per_host, samples = key_ids(host_states, key_name, key)
    reasons = [host_filter.rejection(host_states.states[sample], spec) for sample in samples]
    if all(why is None for why in reasons):
        return []
    return [(index, reasons[per_host[index]]) for index in candidates
            if reasons[per_host[index]] is not None]


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
    because here no central database keeps a complete member list. Called host by host, so
    no set of the members is built: the host's few instances are looked up instead."""
    instances = host_state.instances
    found = instances.keys() & (group.get('members') or ())
    group_uuid = group.get('uuid')
    if group_uuid and group_uuid in instances.values():
        found.update(uuid for uuid, owner in instances.items() if owner == group_uuid)
    return found
