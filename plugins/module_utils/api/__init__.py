# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The API stage (nova-api's `servers.create` and what it calls before the conductor).

- `schema.py`   Nova's JSON schema of the create body (microversion 2.74), checked with the
                jsonschema library, its errors as (field, rule).
- `request.py`  checks the `server` object of a `POST /servers` body as Nova's schema and
                `servers.py`/`compute/api.py` do, and builds the request spec.
- `naming.py`   the names and hostnames of a request's instances (`sanitize_hostname`,
                `_populate_instance_names`).
- `policy.py`   oslo.policy's rule language and Nova's default rules (`os_compute_api:*`).
- `catalog.py`  the inventory's flavors, images, networks, keypairs, security groups and server
                groups, standing in for Nova's flavor table, Glance and Neutron.
- `quota.py`    Nova's counted quotas: limits, usage from existing servers, check and recheck.
- `survey.py`   an AWX survey's answers turned, as data, into the `server` object.
- `job_context.py` the request context of an AWX job, from the job's user.

Runs on the controller; nothing here talks to a hypervisor."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type
