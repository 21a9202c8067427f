# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build rounds: which host builds which instance, and what happens after a failed build.

Nova's conductor casts each instance to its selected host; when the build fails there, the
compute host asks for a reschedule and the conductor moves the instance to its next alternate,
until the alternates run out. Here the hypervisors build their instances in parallel, one
round at a time: `assignments` says which host builds what in a round, `collect` reads the
round's results (each host's one `server_build` result, with an entry of `builds` a server)
and decides the next one.

The state handed from round to round:
  pending   {instance uuid: index into its selection list (0 = the selected host)}
  built     [server records]
  errors    {instance uuid: [messages of the failed attempts]}
  failures  [one message per instance no host could build]
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.novalite.compute.plugins.module_utils.compute.build_batch import instance_result


def initial_state(instances):
    return {'pending': dict((inst['uuid'], 0) for inst in instances),
            'built': [], 'errors': {}, 'failures': []}


def _selection_hosts(instances, selections):
    """{instance uuid: [host, alternate, ...]}; selections are in the instances' order."""
    if len(selections) < len(instances):
        raise ValueError('%d instances but only %d selections' % (len(instances), len(selections)))
    return dict((inst['uuid'], [item['host'] for item in selection])
                for inst, selection in zip(instances, selections))


def assignments(state, instances, selections, host_zones=None):
    """{host: [instance build data]} for the pending instances of this round. With
    `host_zones` ({host: zone}), an instance that asked for no zone gets its host's, as Nova's
    conductor sets the instance's availability_zone from the selected host."""
    hosts = _selection_hosts(instances, selections)
    plan = {}
    for inst in instances:
        attempt = state['pending'].get(inst['uuid'])
        if attempt is None:
            continue
        host = hosts[inst['uuid']][attempt]
        if host_zones and not inst.get('availability_zone') and host_zones.get(host):
            inst = dict(inst, availability_zone=host_zones[host])
        plan.setdefault(host, []).append(inst)
    return plan


def _give_up(state, inst, errors):
    state['failures'].append('Build of %s (%s) failed after %d attempt(s): %s'
                             % (inst.get('name'), inst['uuid'], len(errors), ' | '.join(errors)))


def collect(state, instances, selections, host_results, last_round=False):
    """The state after a round, from what each host's build task registered.

    `host_results` maps a host to its registered `server_build` result for the round: one entry
    of `builds` a server (`instance_uuid`, `failed`, `msg`, `reschedule`, `server`), or a
    failure of the whole task (`unreachable`, an image that could not be transferred) that is
    each of its servers' failure (`build_batch.instance_result`). An assigned instance whose
    host has no result (it never ran) counts as a failure that another host may fix."""
    hosts = _selection_hosts(instances, selections)
    new = {'pending': {}, 'built': list(state['built']),
           'errors': dict((k, list(v)) for k, v in state['errors'].items()),
           'failures': list(state['failures'])}
    for inst in instances:
        uuid = inst['uuid']
        attempt = state['pending'].get(uuid)
        if attempt is None:
            continue
        host = hosts[uuid][attempt]
        result = instance_result(host_results[host], uuid) if host in host_results else None
        if result and not result.get('failed') and not result.get('unreachable') and result.get('server'):
            new['built'].append(result['server'])
            continue
        if result is None:
            message, reschedule = '%s: the host did not report a result (unreachable?)' % host, True
        else:
            message = '%s: %s' % (host, result.get('msg') or 'failed')
            reschedule = bool(result.get('reschedule', result.get('unreachable', False)))
        errors = new['errors'].setdefault(uuid, [])
        errors.append(message)
        if reschedule and attempt + 1 < len(hosts[uuid]) and not last_round:
            new['pending'][uuid] = attempt + 1
        else:
            _give_up(new, inst, errors)
    return new
