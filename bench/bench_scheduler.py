#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How fast select_destinations is: a printed table, not a test.

Clusters of 100, 1,000 and 10,000 generated host states (tests/scheduler_helpers.py: four
hardware generations, random usage, three availability zones as aggregates, aggregates with
weight multiplier overrides, servers in server groups, a few disabled, silent or failing
hosts; fixed seeds) are loaded once (HostStates, what the filters and weighers read computed
up front). Then, with Nova's default filters and weighers, random requests (flavors, zones,
server group policies, forced/ignored hosts, image properties) are scheduled:

- single instance: 30 requests, each timed over 3 runs (the fastest counts), the median over
  the requests is reported;
- multi-create: 100 instances in one request, 5 requests, each timed once (median, worst).

Then the same through `select_destinations` from its inputs (the host-state dicts and the
request spec, as the module calls it; a load is reused by a later call with equal host
states); the reference loads the host states from the dicts for each request.

Every request also runs through ReferenceScheduler (Nova's FilterScheduler in its own
structure, every instance from scratch) in the same process; the table gives its median, the ratio, and whether both gave
identical selections, alternates and traces (or the identical NoValidHost) on every case.
Times are wall clock and CPU time of this process (the machine may be shared). Memory is
measured with tracemalloc in separate runs: the host-state dicts, the loaded HostStates per
host, and the peak while scheduling at 10,000 hosts.

Run: .venv/bin/python bench/bench_scheduler.py [--quick]   (--quick: fewer requests)
"""

import gc
import json
import random
import statistics
import sys
import time
import tracemalloc

import source_tree  # noqa: E402,F401  first: makes the collection importable

from ansible_collections.novalite.compute.plugins.module_utils.errors import (  # noqa: E402
    NoValidHost, UnsupportedPolicyException)
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.engine import SchedulerEngine  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.host_state import HostStates  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.manager import (  # noqa: E402
    schedule, select_destinations)
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.reference import ReferenceScheduler  # noqa: E402
from scheduler_helpers import NOW, load_host_states, random_cluster, random_request  # noqa: E402

SIZES = (100, 1000, 10000)
TARGETS = {(1000, 1): 1.0, (10000, 1): 10.0, (10000, 100): 100.0}   # ms


def run(host_states, spec, reference=False):
    """(outcome, wall ms, cpu ms): the outcome compares both schedulers."""
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        scheduler = ReferenceScheduler if reference else SchedulerEngine
        outcome = ('selected',) + tuple(schedule(host_states, spec, None, NOW, scheduler))
    except NoValidHost as error:
        outcome = ('NoValidHost', error.msg, error.trace)
    except UnsupportedPolicyException as error:
        outcome = ('UnsupportedPolicyException', error.msg, [])
    return outcome, (time.perf_counter() - wall) * 1e3, (time.process_time() - cpu) * 1e3


def run_from_inputs(hosts, spec, reference=False):
    """(outcome, wall ms, cpu ms) of select_destinations from the dicts; the reference
    loads them and runs ReferenceScheduler."""
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        if reference:
            outcome = ('selected',) + tuple(schedule(HostStates(hosts), spec, None, NOW, ReferenceScheduler))
        else:
            outcome = ('selected',) + tuple(select_destinations(hosts, spec, None, NOW))
    except NoValidHost as error:
        outcome = ('NoValidHost', error.msg, error.trace)
    except UnsupportedPolicyException as error:
        outcome = ('UnsupportedPolicyException', error.msg, [])
    return outcome, (time.perf_counter() - wall) * 1e3, (time.process_time() - cpu) * 1e3


def measure_with(runner, states, specs, repeats):
    """Min wall and CPU of `repeats` runs of each spec through `runner` (run or
    run_from_inputs), beside one run of the reference loop on the same inputs."""
    rows = []
    for spec in specs:
        runs = [runner(states, spec) for _repeat in range(repeats)]
        reference = runner(states, spec, reference=True)
        rows.append({
            'wall': min(wall for _outcome, wall, _cpu in runs),
            'cpu': min(cpu for _outcome, _wall, cpu in runs),
            'reference': reference[1],
            'identical': all(outcome == reference[0] for outcome, _wall, _cpu in runs),
            'failed': runs[0][0][0] == 'NoValidHost',
            'trace_bytes': len(json.dumps(runs[0][0][-1])),
        })
    return rows


def measure_from_inputs(hosts, specs, repeats):
    return measure_with(run_from_inputs, hosts, specs, repeats)


def measure(host_states, specs, repeats):
    return measure_with(run, host_states, specs, repeats)


def summary(size, count, rows):
    wall = [row['wall'] for row in rows]
    reference = statistics.median(row['reference'] for row in rows)
    median = statistics.median(wall)
    target = TARGETS.get((size, count))
    verdict = '' if target is None else ('<= %g ms ok' % target if median <= target
                                         else '> %g ms MISSED' % target)
    return ('%6d %4d %5d %9.2f %9.2f %9.2f %11.1f %7.0fx %5d/%-3d %4d %9.0f  %s' % (
        size, count, len(rows), median, max(wall),
        statistics.median(row['cpu'] for row in rows), reference, reference / median,
        sum(row['identical'] for row in rows), len(rows), sum(row['failed'] for row in rows),
        statistics.median(row['trace_bytes'] for row in rows), verdict))


def memory(size):
    """(bytes per host-state dict, bytes per loaded host beyond its dict, peak bytes of one
    100-instance request, peak bytes of it all), by tracemalloc."""
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    hosts, groups = random_cluster(size, size)
    dicts = tracemalloc.get_traced_memory()[0] - base
    host_states = load_host_states(hosts)
    loaded = tracemalloc.get_traced_memory()[0] - base - dicts
    spec = random_request(random.Random(1), hosts, groups, 100)
    loading = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    run(host_states, spec)
    peak = tracemalloc.get_traced_memory()[1]
    overall = max(peak, loading) - base
    tracemalloc.stop()
    return dicts / size, loaded / size, peak - before, overall


def main():
    quick = '--quick' in sys.argv
    singles, multis = (8, 2) if quick else (30, 5)
    print(__doc__.split('\n\n')[0])
    print('\n  hosts inst  reqs    median     worst       cpu   reference   ratio  identical  NVH'
          '  trace B  target')
    print('          (ms, engine: wall median / worst, cpu median; reference: wall median)')
    checked = 0
    for size in SIZES:
        hosts, groups = random_cluster(size, size)
        started = time.perf_counter()
        host_states = load_host_states(hosts)
        load_ms = (time.perf_counter() - started) * 1e3
        rng = random.Random(size)
        for count, number, repeats in ((1, singles, 3), (100, multis, 1)):
            specs = [random_request(rng, hosts, groups, count) for _n in range(number)]
            rows = measure(host_states, specs, repeats)
            checked += len(rows)
            print(summary(size, count, rows))
        print('         (load of %d host states: %.0f ms, once)' % (size, load_ms))
    print('\nselect_destinations from its inputs (host-state dicts; the reference loads them each time)')
    hosts, groups = random_cluster(10000, 10000)
    rng = random.Random(17)
    select_destinations(hosts, random_request(rng, hosts, groups, 1), None, NOW)   # the first load
    for count, number, repeats in ((1, singles, 3), (100, multis, 1)):
        specs = [random_request(rng, hosts, groups, count) for _n in range(number)]
        rows = measure_from_inputs(hosts, specs, repeats)
        checked += len(rows)
        print(summary(10000, count, rows))
    per_dict, per_loaded, peak, overall = memory(10000)
    print('\nmemory at 10,000 hosts (tracemalloc): host-state dicts %.0f B/host; loaded HostStates'
          ' %.0f B/host more;\n  one 100-instance request adds at most %.1f MiB; peak of it all'
          ' (dicts, load, request) %.1f MiB' % (per_dict, per_loaded, peak / 1048576.0,
                                                overall / 1048576.0))
    print('identical selections, alternates and traces in both schedulers: checked on %d cases'
          % checked)


if __name__ == '__main__':
    main()
