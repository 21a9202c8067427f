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
- `reference.py`  the FilterScheduler in Nova's own structure (every instance filtered and
                  weighed from scratch), and the trace rows both schedulers produce.
- `engine.py`     the same decisions computed incrementally: what requests actually run on.
- `manager.py`    the entry points: `select_destinations` and the filter/weigh views.

Pure Python over dicts; runs on the controller."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type
