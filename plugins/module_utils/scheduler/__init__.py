# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The scheduler stage (nova-scheduler: `nova/scheduler/`).

- `host_state.py` Nova's HostState over a host-state dict, and the loaded set (HostStates).
- `options.py`    nova.conf's `[filter_scheduler]`/`[scheduler]` options with Nova's defaults.
- `resources.py`  placement's fit rule (capacity, usage, allocation ratios), shared with the
                  compute claim.
- `filters/`      one class per host filter, registered by name (`nova/scheduler/filters/`).
- `weighers/`     one class per weigher, registered by name (`nova/scheduler/weights/`).
- `driver.py`     what both schedulers share: the base class (filters, weighers, random
                  source) and the four restrictions of a request spec (requested_destination,
                  ignore_hosts, force_hosts, force_nodes), Nova's `get_filtered_hosts`.
- `trace.py`      what a request reports: selections, the trace of each instance,
                  NoValidHost's reason.
- `reference.py`  ReferenceScheduler: Nova's FilterScheduler in its own structure (every
                  instance filtered and weighed from scratch), the reference.
- `engine.py`     SchedulerEngine: the same decisions computed incrementally, what requests
                  actually run on.
- `manager.py`    the entry points: `select_destinations`, `schedule` over loaded host
                  states, and the filter plugins' `passing_hosts` / `weighed_hosts`.

Pure Python over dicts; runs on the controller."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type
