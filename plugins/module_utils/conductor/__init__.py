# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The conductor stage (nova-conductor's `build_instances` / `schedule_and_build_instances`).

- `server_group.py` fills the request's instance group with its members and hosts
                    (`_populate_group_info`) from the host states.
- `fixed_ips.py`    chooses each instance's fixed IP once for the whole cloud before the cast.
- `migrate.py`      a resize's request spec (the new flavor, `ignore_hosts`) and its
                    destination with alternates (the MigrationTask's select_destinations).
- `manager.py`      the build rounds: which host builds which instance, and the reschedule to
                    the next alternate after a failed build.

Runs on the controller, between the scheduler's selections and the compute hosts' builds."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type
