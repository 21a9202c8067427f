# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""novalite.compute.fleet_report: write what hosts reported into the fleet database, in the
controller's process (no module is sent anywhere). See the module's documentation."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from ansible.errors import AnsibleActionFail

from ansible_collections.novalite.compute.plugins.module_utils.compute.server_table import expand_servers
from ansible_collections.novalite.compute.plugins.module_utils.fleet import compute_nodes, instances, runs
from ansible_collections.novalite.compute.plugins.plugin_utils.fleet_database import FleetAction
from ansible_collections.novalite.compute.plugins.modules import fleet_report

# What the controller knows about a host and the host itself does not.
CONTROLLER_FIELDS = ('availability_zone', 'aggregates', 'service_disabled', 'service_disabled_reason')


def with_build_results(args):
    """The options with `build_results` spread into reports (no `known`: the row keeps the
    controller's fields), built servers and heartbeats."""
    args = dict(args, reports=list(args['reports']), built=list(args['built']),
                heartbeats=list(args['heartbeats']))
    for result in args['build_results']:
        if result.get('unreachable'):
            continue
        if result.get('host') and result['host'] not in args['heartbeats']:
            args['heartbeats'].append(result['host'])
        if result.get('host_state'):
            # Failed builds report too: the host counted the failure (BuildFailureWeigher).
            args['reports'].append({'host_state': result['host_state'], 'servers': result.get('servers')})
        # A host's `servers` build carries one entry of `builds` a server.
        for entry in result.get('builds') or [result]:
            if not entry.get('failed') and entry.get('server'):
                args['built'].append(entry['server'])
    return args


def _controller_fields(db, host):
    row = db.row('SELECT host_state FROM compute_nodes WHERE host = ?', (host,))
    if row is None:
        return {}
    stored = json.loads(row['host_state'])
    return dict((key, stored[key]) for key in CONTROLLER_FIELDS if key in stored)


class ActionModule(FleetAction):
    ARGUMENT_SPEC = fleet_report.ARGUMENT_SPEC

    def run(self, tmp=None, task_vars=None):
        result, args = self.start(tmp, task_vars)
        args = with_build_results(args)
        db = self.database(args, task_vars)
        written = {'hosts': [], 'servers': 0, 'forgotten': 0, 'port_conflicts': [], 'abandoned': []}
        try:
            with db.transaction():
                self._write(db, args, written, self._play_context.check_mode)
        except (KeyError, TypeError, ValueError) as exc:
            raise AnsibleActionFail('fleet_report: %s' % exc)
        result.update(changed=bool(written['hosts'] or written['servers'] or written['forgotten']
                                   or written['abandoned']),
                      **written)
        return result

    @staticmethod
    def _write(db, args, written, check_mode=False):
        """Write the reports and heartbeats always: they are what the hosts said, the fleet's
        fact cache (Ansible's fact cache is written in check mode too), and a check-mode create
        schedules on them in the same run. Built servers, forgotten instances and abandoned
        build requests are changes of the fleet: check mode leaves them out."""
        for report in args['reports']:
            state = dict(report['host_state'])
            known = report.get('known')
            if known is None:
                # A build's report: the host does not know its zone, aggregates or whether the
                # operator disabled it; the row keeps what the controller wrote.
                known = _controller_fields(db, state['host'])
            for key in CONTROLLER_FIELDS:
                if key in known:
                    state[key] = known[key]
            compute_nodes.report(db, state)
            written['hosts'].append(state['host'])
            if report.get('servers') is not None:
                servers = expand_servers(state, report['servers'])
                written['port_conflicts'].extend(instances.sync_host(
                    db, state['host'], servers, args['networks'],
                    as_of=compute_nodes.epoch(state.get('updated'))))
                written['servers'] += len(servers)
        for host in args['heartbeats']:
            compute_nodes.heartbeat(db, host)
        if check_mode:
            return
        for server in args['built']:
            written['port_conflicts'].extend(instances.record_build(db, server))
            written['servers'] += 1
        for instance_uuid in args['forget']:
            instances.forget(db, instance_uuid)
            written['forgotten'] += 1
        # After the reports: a dead run's build request is given up once its hosts reported
        # without its instance (a refresh, Nova's update_available_resource, cleans it).
        written['abandoned'] = instances.give_up_abandoned(db, runs.alive)
