# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Server group bookkeeping from host states.

Nova's conductor fills a request's instance group with its members and their hosts from the
database (`_populate_group_info`). Here the hypervisors are the record: each host state maps
the uuids of its servers to their group, so the group's members and hosts are read from there.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


def populate_group(group, host_states):
    """Return a copy of `group` with `members` and `hosts` read from the host states.

    `group` is a request spec's instance_group (or None, returned as is)."""
    if not group:
        return group
    members, hosts = [], []
    group_uuid = group['uuid']
    for state in host_states:
        instances = state.get('instances') or {}
        # Most hosts run no server of the group: one scan of the values tells, without
        # building anything for them.
        if group_uuid not in instances.values():
            continue
        members.extend(sorted(uuid for uuid, owner in instances.items() if owner == group_uuid))
        hosts.append(state['host'])
    populated = dict(group)
    populated['members'] = members
    populated['hosts'] = hosts
    return populated
