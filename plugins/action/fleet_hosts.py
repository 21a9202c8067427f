# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""novalite.compute.fleet_hosts: the hosts whose rows are too old, and the hosts whose rulesets
a membership change touches, read in the controller's process. See the module's documentation."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible.errors import AnsibleActionFail

from ansible_collections.novalite.compute.plugins.module_utils.compute.firewall import group_rules
from ansible_collections.novalite.compute.plugins.module_utils.errors import ValidationError
from ansible_collections.novalite.compute.plugins.module_utils.fleet import compute_nodes, instances, security_groups
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.options import resolve
from ansible_collections.novalite.compute.plugins.modules import fleet_hosts
from ansible_collections.novalite.compute.plugins.plugin_utils.fleet_database import (
    FleetAction)


class ActionModule(FleetAction):
    ARGUMENT_SPEC = fleet_hosts.ARGUMENT_SPEC

    def run(self, tmp=None, task_vars=None):
        result, args = self.start(tmp, task_vars)
        db = self.database(args, task_vars)
        now = time.time()
        gathered = dict((row['host'], row['updated_at'])
                        for row in db.rows('SELECT host, updated_at FROM compute_nodes'))
        heartbeat_max_age = args['heartbeat_max_age']
        if heartbeat_max_age is None:
            heartbeat_max_age = resolve(args['scheduler'])['service_down_time'] // 2
        result.update(
            changed=False,
            stale=compute_nodes.stale_hosts(db, args['hosts'], args['max_age'], now=now,
                                            heartbeat_max_age=None if heartbeat_max_age < 0 else heartbeat_max_age),
            ages=dict((host, round(now - gathered[host], 3) if host in gathered else None)
                      for host in args['hosts']),
            server_hosts=self._server_hosts(db, args),
            **self._rulesets(db, args))
        return result

    @staticmethod
    def _server_hosts(db, args):
        found = set(instances.hosts_with_uuids(db, args['server_uuids']))
        if args['server_names']:
            if not args['project_id']:
                raise AnsibleActionFail('fleet_hosts: project_id is required with server_names')
            found.update(instances.hosts_with_names(db, args['project_id'], args['server_names']))
        return [host for host in args['hosts'] if host in found]

    @staticmethod
    def _rulesets(db, args):
        if not args['member_changes']:
            return {'security_group_hosts': [], 'security_group_members': {}}
        try:
            rules = group_rules(args['security_groups'])
        except ValidationError as exc:
            raise AnsibleActionFail('fleet_hosts: %s' % exc.msg)
        touched = set(security_groups.hosts_to_refresh(db, rules, args['member_changes']))
        members = security_groups.members(db)
        if members == args['members_used']:
            # Another controller's members arriving since would make them differ.
            touched -= set(args['built_hosts'])
        return {'security_group_hosts': [host for host in args['hosts'] if host in touched],
                'security_group_members': members}
