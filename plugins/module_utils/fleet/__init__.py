# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet database: stand-ins for Nova's API and cell databases.

Each hypervisor's libvirt stays the record of its servers; this database is the fleet's index
(host states, instances, ports) and the allocation authority (quota reservations, fixed IPs and
MACs, unique server names), so that a create reads rows instead of asking every host, and two
controllers cannot hand out one address. It can be rebuilt from the hypervisors at any time.

- `db.py`         one connection API over SQLite (the embedded default, a file next to the
                  inventory) and PostgreSQL (for many controllers): placeholders, types, row
                  locks and unique-violation errors of both dialects behind one interface.
- `schema.py`     the tables in Nova's terms and their versioned migrations.
- `ipam.py`       fixed IP and MAC allocation, unique per network (Neutron's IPAM).
- `quotas.py`     quota usages and reservations: count, check and reserve in one transaction.
- `compute_nodes.py`  compute node rows (host state) and service rows (heartbeat, disabled,
                  forced_down); the rows a scheduler reads and who refreshes them.
- `instances.py`  instances, server group members, build requests, unique server names.

Runs on the controller only."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type
