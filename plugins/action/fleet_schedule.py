# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""novalite.compute.fleet_schedule: quota reservation, ports and selections in one transaction
of the fleet database, in the controller's process. See the module's documentation."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


from ansible_collections.novalite.compute.plugins.module_utils.api import quota
from ansible_collections.novalite.compute.plugins.module_utils.compute.network import NetworkError
from ansible_collections.novalite.compute.plugins.module_utils.compute.segments import network_type
from ansible_collections.novalite.compute.plugins.module_utils.errors import (
    NoValidHost, QuotaExceeded, ValidationError)
from ansible_collections.novalite.compute.plugins.module_utils.fleet import (
    compute_nodes, instances as fleet_instances, ipam, quotas, runs, security_groups)
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.manager import schedule
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.options import resolve
from ansible_collections.novalite.compute.plugins.modules import fleet_schedule
from ansible_collections.novalite.compute.plugins.modules.quota_check import trim_instances
from ansible_collections.novalite.compute.plugins.plugin_utils.fleet_database import (
    FleetAction, RollBack, this_run)

# The create playbook imports this many build rounds (playbooks/create_server.yml): one per
# attempt, so max_attempts may not ask for more.
BUILD_ROUNDS = 10

# One cache per worker process (see plugin_utils/fleet_database.py).
_HOST_STATES = compute_nodes.HostStateCache()


class Failed(Exception):
    def __init__(self, msg, **extra):
        super(Failed, self).__init__(msg)
        self.msg, self.extra = msg, extra


def reserve_and_schedule(db, args, check_mode=False, cache=None, owner=None):
    """The module's result; raises Failed (nothing written) or RollBack's caller's result.
    `owner` is the run that will build the instances (runs.owner)."""
    context = args['context']
    spec = dict(args['request_spec'], project_id=context['project_id'], user_id=context['user_id'])
    outcome = {}
    try:
        with db.transaction():
            outcome = _in_transaction(db, args, spec, cache or _HOST_STATES, owner)
            if check_mode:
                raise RollBack()
    except RollBack:
        pass
    except QuotaExceeded as exc:
        raise Failed(exc.msg, overs=exc.overs, trace=[])
    except NoValidHost as exc:
        raise Failed(exc.msg, trace=getattr(exc, 'trace', []))
    except (ValidationError, NetworkError) as exc:
        raise Failed(getattr(exc, 'msg', None) or str(exc), trace=[])
    except KeyError as exc:
        raise Failed('request_spec.%s: is required' % exc.args[0], trace=[])
    return outcome


def _in_transaction(db, args, spec, cache, owner):
    attempts = resolve(args['scheduler'])['max_attempts']
    if attempts > BUILD_ROUNDS:
        raise ValidationError('scheduler.max_attempts', 'must be at most %d (the build rounds of the '
                              'create playbook), got %d' % (BUILD_ROUNDS, attempts))
    # What dead runs left is given back before it is counted.
    fleet_instances.give_up_abandoned(db, runs.alive)
    reserved = quotas.reserve(db, spec, args['quotas'])
    num = reserved['num_instances']
    spec.update(instance_uuids=reserved['instance_uuids'], num_instances=num)
    kept = trim_instances(args['instances'], num)
    for inst in kept:
        fleet_instances.claim_name(db, args['unique_server_name_scope'], spec['project_id'],
                                   inst.get('name'), inst['uuid'])
    fleet_instances.add_build_requests(db, spec, kept, owner)
    kept = [_with_ports(db, inst) for inst in kept]
    if spec.get('instance_group'):
        spec['instance_group'] = fleet_instances.populate_group(db, spec['instance_group'])
    host_states = cache.get(db, args['hosts'])
    selections, trace = schedule(host_states, spec, args['scheduler'])
    fleet_instances.set_build_hosts(db, dict(
        (inst['uuid'], [item['host'] for item in selection]) for inst, selection in zip(kept, selections)))
    zones = dict((state.host, state.availability_zone) for state in host_states.states)
    usage = dict(reserved['usage'])
    usage.update(quota.catalog_usage(args['catalog'], spec['project_id'], spec['user_id']))
    return {'num_instances': num, 'limits': reserved['limits'], 'usage': usage,
            'request_spec': spec, 'instances': kept, 'selections': selections, 'trace': trace,
            # the remote groups' members, this request's instances included
            'security_group_members': security_groups.members(db),
            'vxlan_peers': compute_nodes.vxlan_peers(db, args['hosts']) if _has_vxlan(kept) else [],
            'host_zones': dict((host, zones[host]) for host in
                               sorted(set(item['host'] for sel in selections for item in sel)))}


def _has_vxlan(instances):
    """Whether an instance has a port on a VXLAN network: only then do the builds need the
    peers (a result of 1,000 addresses is not sent to every build for nothing)."""
    return any(network_type(network) == 'vxlan'
               for inst in instances for network in inst.get('networks') or [])


def _with_ports(db, inst):
    networks = []
    for index, network in enumerate(inst.get('networks') or []):
        field = 'server.networks[%d].fixed_ip (%s)' % (index, inst.get('name'))
        port = ipam.allocate_port(db, dict(network, field=field), inst['uuid'])
        networks.append(dict(network, fixed_ip=port['fixed_ip'], port_id=port['id'], mac=port['mac']))
    security_groups.bind_instance(db, inst['uuid'], inst.get('security_groups'))
    return dict(inst, networks=networks)


class ActionModule(FleetAction):
    ARGUMENT_SPEC = fleet_schedule.ARGUMENT_SPEC

    def run(self, tmp=None, task_vars=None):
        result, args = self.start(tmp, task_vars)
        db = self.database(args, task_vars)
        try:
            outcome = reserve_and_schedule(db, args, self._play_context.check_mode, owner=this_run())
        except Failed as exc:
            result.update(failed=True, msg=exc.msg, **exc.extra)
            return result
        result.update(changed=not self._play_context.check_mode, **outcome)
        return result
