# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Nova's affinity filters: same_host / different_host hints and hard server group policies."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters.base import (
    BaseHostFilter, get_scheduler_hint, group_label, group_policy, group_servers_on_host,
    hosts_running, hosts_with_group_servers, instance_index, instance_uuids_overlap,
    same_reason_for_all)


def _as_list(uuids):
    return [uuids] if isinstance(uuids, str) else list(uuids)


class DifferentHostFilter(BaseHostFilter):
    """Hint `different_host`: none of the named servers may run on the host."""

    run_filter_once_per_request = True

    def rejection(self, host_state, spec):
        uuids = get_scheduler_hint(spec, 'different_host')
        if uuids and instance_uuids_overlap(host_state, uuids):
            here = sorted(set(_as_list(uuids)).intersection(host_state.instances))
            return 'runs %s, named in different_host' % ', '.join(here)
        return None

    def applies(self, spec):
        return bool(get_scheduler_hint(spec, 'different_host'))

    def prepare(self, host_states):
        instance_index(host_states)

    def suspects(self, host_states, candidates, spec, alive):
        uuids = _as_list(get_scheduler_hint(spec, 'different_host'))
        return [index for index in hosts_running(host_states, uuids) if alive[index]]


class SameHostFilter(BaseHostFilter):
    """Hint `same_host`: at least one of the named servers must run on the host."""

    run_filter_once_per_request = True

    def rejection(self, host_state, spec):
        uuids = get_scheduler_hint(spec, 'same_host')
        if uuids and not instance_uuids_overlap(host_state, uuids):
            return 'runs none of the same_host servers %s' % ', '.join(_as_list(uuids))
        return None

    def applies(self, spec):
        return bool(get_scheduler_hint(spec, 'same_host'))

    def prepare(self, host_states):
        instance_index(host_states)

    def filter_all(self, host_states, candidates, spec, alive):
        running = set(hosts_running(host_states, _as_list(get_scheduler_hint(spec, 'same_host'))))
        return same_reason_for_all(self, host_states, candidates, spec,
                                   lambda index: index not in running)


class ServerGroupAntiAffinityFilter(BaseHostFilter):
    """Policy `anti-affinity`: fewer than `max_server_per_host` (default 1) servers of
    the group on the host. Runs for every instance: each pick adds a server to a host."""

    def rejection(self, host_state, spec):
        group = spec.get('instance_group')
        if group_policy(group) != 'anti-affinity':
            return None
        # A move may check the host the instance is already on; that host stays possible.
        if spec.get('instance_uuid') in host_state.instances:
            return None
        limit = int((group.get('rules') or {}).get('max_server_per_host') or 1)
        count = len(group_servers_on_host(host_state, group))
        if count < limit:
            return None
        if limit == 1:
            return 'group %s already has a server there' % group_label(group)
        return 'group %s already has %d servers there (max_server_per_host %d)' % (
            group_label(group), count, limit)

    def applies(self, spec):
        return group_policy(spec.get('instance_group')) == 'anti-affinity'

    def prepare(self, host_states):
        instance_index(host_states)

    def suspects(self, host_states, candidates, spec, alive):
        group = spec['instance_group']
        if int((group.get('rules') or {}).get('max_server_per_host') or 1) < 1:
            return candidates
        # A host without servers of the group counts 0, under any limit of 1 or more.
        return [index for index in hosts_with_group_servers(host_states, group) if alive[index]]


class ServerGroupAffinityFilter(BaseHostFilter):
    """Policy `affinity`: once the group has hosts, only those hosts."""

    rerun_when_group_grows = True

    def rejection(self, host_state, spec):
        group = spec.get('instance_group')
        if group_policy(group) != 'affinity':
            return None
        hosts = group.get('hosts') or []
        if hosts and host_state.host not in hosts:
            return 'group %s is on %s' % (group_label(group), ', '.join(sorted(set(hosts))))
        return None

    def applies(self, spec):
        group = spec.get('instance_group')
        return group_policy(group) == 'affinity' and bool(group.get('hosts'))

    def filter_all(self, host_states, candidates, spec, alive):
        # Reads host names only, which taking an instance never changes.
        hosts = set(spec['instance_group']['hosts'])
        states = host_states.states
        return same_reason_for_all(self, host_states, candidates, spec,
                                   lambda index: states[index].host not in hosts)
