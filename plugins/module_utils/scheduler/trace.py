# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a scheduling request reports, whichever scheduler placed it: the selections, the
trace of each instance (every filter step with the hosts it removed and why, the weighed
hosts with each weigher's values, the alternates), and NoValidHost's one-line reason.

Both schedulers (scheduler/engine.py and scheduler/reference.py) build their results only
through these functions, so their traces can be compared key for key."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.novalite.compute.plugins.module_utils.errors import NoValidHost
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.weighers.base import multipliers

# Hosts a NoValidHost message names before it only counts the rest.
_NAMES_IN_MESSAGE = 10


def make_step(name, hosts_in, removed, labels):
    """One trace step. `removed` is [(host index, reason)] in host name order."""
    reasons = dict(zip(map(labels.__getitem__, [index for index, _why in removed]),
                       [why for _index, why in removed]))
    return {'filter': name, 'hosts_in': hosts_in, 'hosts_out': hosts_in - len(removed),
            'removed': list(reasons), 'reasons': reasons}


def new_trace(index, spec, hosts_in):
    return {'instance_index': index, 'instance_uuid': spec.get('instance_uuid'),
            'hosts_in': hosts_in, 'filters': [], 'weighed': []}


def trace_row(label, weight, details, active):
    """A weighed host; only the weighers in `active` (multiplier not 0 everywhere) shown."""
    return {'host': label, 'weight': weight,
            'weighers': dict((name, value) for name, value in details.items() if name in active)}


def active_weighers(weighers, host_states):
    """Names of the weighers whose multiplier is not 0 on every loaded host: the others add
    nothing to any weight, and traces leave them out."""
    return set(weigher.name for weigher in weighers
               if multipliers(weigher, host_states)[2:] != (0, 0))


def selection(state, weight):
    return {'host': state.host, 'nodename': state.nodename, 'weight': weight}


def with_alternates(selected, alternates, weights, traces):
    """The selections: per instance its host, then the alternates; traces name them."""
    selections = []
    for (state, weight), trace in zip(selected, traces):
        trace['alternates'] = [host.label for host in alternates]
        selections.append([selection(state, weight)]
                          + [selection(host, weights[host.index]) for host in alternates])
    return selections


def record_claims(trace, failed, labels):
    """The hosts whose claim failed before one succeeded (or all of them), in walk order:
    [(host index, reason)]. Left out of the trace when every first claim succeeded."""
    if failed:
        trace['claims_failed'] = dict((labels[index], why) for index, why in failed)


def _names(names):
    if len(names) <= _NAMES_IN_MESSAGE:
        return ', '.join(names)
    return '%s and %d more' % (', '.join(names[:_NAMES_IN_MESSAGE]), len(names) - _NAMES_IN_MESSAGE)


def no_valid_host_reason(trace, num_instances):
    """One line: which step removed the last candidates of this instance, and why."""
    prefix = ''
    if num_instances > 1:
        prefix = 'instance %d of %d (%s): ' % (trace['instance_index'] + 1, num_instances,
                                               trace['instance_uuid'])
    if not trace['hosts_in']:
        return prefix + 'there are no hosts to choose from.'
    if 'claims_failed' in trace and 'selected' not in trace:
        return prefix + 'no host could claim the resources: ' + _detail(
            list(trace['claims_failed']), trace['claims_failed'])
    last = trace['filters'][-1]
    return '%s%s removed %s' % (prefix, last['filter'], _detail(last['removed'], last['reasons']))


def _detail(names, reasons):
    """The hosts and why: once when every host has the same reason."""
    distinct = sorted(set(reasons.values()))
    if len(distinct) == 1:
        return '%s: %s' % (_names(names), distinct[0])
    shown = names[:_NAMES_IN_MESSAGE]
    detail = '; '.join('%s (%s)' % (name, reasons[name]) for name in shown)
    if len(names) > len(shown):
        detail += '; and %d more' % (len(names) - len(shown))
    return detail


def no_valid_host(trace, num_instances, traces):
    """NoValidHost for the instance of `trace`, carrying every trace so far."""
    error = NoValidHost(no_valid_host_reason(trace, num_instances))
    error.trace = traces
    return error
