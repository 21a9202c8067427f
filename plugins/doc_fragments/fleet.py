# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """The fleet database option and the attributes of the action plugins that use it
    (DOCUMENTATION, the twin of args_common.FLEET_ARG_SPEC); SCHEDULE, what the fleet actions
    that place servers (fleet_schedule, fleet_resize) take besides their request, the twin of
    args_common.FLEET_SCHEDULE_ARG_SPEC."""

    DOCUMENTATION = r'''
options:
  database:
    description:
      - The fleet database - a C(sqlite:///) URL or a file path (SQLite), or a
        C(postgresql://) URL (PostgreSQL, through psycopg 3 or psycopg2, for many controllers).
      - Defaults to the inventory variable C(novalite_fleet_database), else C(.fleet.sqlite)
        next to the inventory (inside an inventory directory). A new database is created and
        migrated to the latest schema on first use.
    type: str
requirements:
  - psycopg (3) or psycopg2 on the controller, for a PostgreSQL database
attributes:
  action:
    support: full
    description: An action plugin; everything runs in the controller's process, nothing is
      sent to a host.
  check_mode:
    support: full
    description: Runs the same steps inside a transaction that is rolled back, so it reports
      what a real run would do and writes nothing.
  diff_mode:
    support: none
    description: Rows are not diffed.
  platform:
    support: full
    platforms: posix
    description: The controller.
'''

    SCHEDULE = r'''
options:
  hosts:
    description: The hypervisors to schedule on (their rows in the database; a host without one is left out).
    type: list
    elements: str
    required: true
  scheduler:
    description: nova.conf C([filter_scheduler]) and C([scheduler]) options, as for M(novalite.compute.select_destinations).
    type: dict
    default: {}
  quotas:
    description: Quota defaults and per-project/per-user overrides (C(novalite_quotas)).
    type: dict
    default: {}
'''
