# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import bisect
import datetime
import itertools

from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters.base import BaseHostFilter

_UTC = datetime.timezone.utc
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=_UTC)
_MICROSECOND = datetime.timedelta(microseconds=1)
_KEY = 'ComputeFilter.heartbeats'


def parse_updated(value):
    """A host state's `updated` (ISO 8601, or seconds since the epoch) as an aware datetime."""
    if isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(value, _UTC)
    text = str(value).strip()
    if text.endswith('Z'):
        text = text[:-1] + '+00:00'
    stamp = datetime.datetime.fromisoformat(text)
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=_UTC)


def last_report(state):
    """The time the host's service last reported: its `heartbeat` when the host state has one
    (host states read from the fleet database: the service's own report, separate from the
    age of the resource data), else `updated` (a host state just gathered from the host)."""
    heartbeat = state.get('heartbeat')
    return heartbeat if heartbeat not in (None, '') else state.updated


def _heartbeats(host_states):
    """(sorted heartbeat times in microseconds, their host indices, indices of the hosts
    that are disabled or whose `updated` is not a time: those always get a look)."""
    beats = []
    always = []
    for index, state in enumerate(host_states.states):
        if state.service_disabled or state.forced_down:
            always.append(index)
        elif last_report(state) not in (None, ''):
            try:
                beats.append(((parse_updated(last_report(state)) - _EPOCH) // _MICROSECOND, index))
            except (TypeError, ValueError, OverflowError):
                always.append(index)
    beats.sort()
    return [beat for beat, _index in beats], [index for _beat, index in beats], always


class ComputeFilter(BaseHostFilter):
    """Only enabled compute services that were heard from lately (Nova's ComputeFilter).

    A service that is `forced_down` is down (Nova's servicegroup API checks it before any
    heartbeat). Otherwise it is up when its last report (`heartbeat`, else `updated`:
    `last_report`) is at most `service_down_time` seconds away from now (Nova's servicegroup DB
    driver compares the absolute difference). A host state without either time carries no
    heartbeat to judge and is taken as up."""

    run_filter_once_per_request = True

    def rejection(self, host_state, spec):
        if host_state.service_disabled:
            reason = host_state.get('service_disabled_reason')
            return 'compute service disabled' + (': %s' % reason if reason else '')
        if host_state.forced_down:
            return 'compute service forced down'
        reported = last_report(host_state)
        if reported in (None, ''):
            return None
        try:
            updated = parse_updated(reported)
        except (TypeError, ValueError):
            key = 'heartbeat' if reported is host_state.get('heartbeat') else 'updated'
            return '%s %r is not a time, so the service is taken as down' % (key, reported)
        return self._silence(abs((self.now - updated).total_seconds()))

    def _silence(self, elapsed):
        if elapsed > self.options['service_down_time']:
            return ('compute service not heard from for %d s (service_down_time %d s)'
                    % (elapsed, self.options['service_down_time']))
        return None

    def prepare(self, host_states):
        host_states.cached(_KEY, _heartbeats)

    def filter_all(self, host_states, candidates, spec, alive):
        """Only disabled hosts, unreadable heartbeats, and heartbeats more than
        service_down_time away from now can fail; the silence is counted in whole
        microseconds, as timedelta.total_seconds() counts it."""
        if self.now.tzinfo is None:
            return super(ComputeFilter, self).filter_all(host_states, candidates, spec, alive)
        times, indices, always = host_states.cached(_KEY, _heartbeats)
        now = (self.now - _EPOCH) // _MICROSECOND
        window = self.options['service_down_time'] * 1000000
        first = bisect.bisect_left(times, now - window)
        last = bisect.bisect_right(times, now + window)
        removed = []
        for index in always:
            why = self.rejection(host_states.states[index], spec) if alive[index] else None
            if why is not None:
                removed.append((index, why))
        for position in itertools.chain(range(first), range(last, len(times))):
            why = self._silence(abs(now - times[position]) / 1000000) if alive[indices[position]] else None
            if why is not None:
                removed.append((indices[position], why))
        removed.sort()
        return removed
