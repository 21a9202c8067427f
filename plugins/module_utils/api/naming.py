# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The names of a request's instances: Nova's `utils.sanitize_hostname` and compute/api.py
`_populate_instance_names`.

Apart from request.py because quota_check names the lone survivor of a trimmed multi-create
too, and the fleet_schedule action plugin imports it in every create: request.py would bring
the JSON schema and its jsonschema library into that process for nothing.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

MULTI_INSTANCE_NAME_TEMPLATE = '%(name)s-%(count)d'
HOSTNAME_SEPARATORS_RE = re.compile(r'[ _.]')
HOSTNAME_DROPPED_RE = re.compile(r'[^\w.-]+')


def sanitize_hostname(hostname, default_name=None):
    """Nova's utils.sanitize_hostname: latin-1 only, spaces, underscores and periods become
    hyphens, other non-word characters go, lower case, no leading/trailing '.'/'-', at most
    63 characters; `default_name` when nothing is left."""
    hostname = hostname.encode('latin-1', 'ignore').decode('latin-1')
    hostname = hostname[:63]
    hostname = HOSTNAME_SEPARATORS_RE.sub('-', hostname)
    hostname = HOSTNAME_DROPPED_RE.sub('', hostname)
    hostname = hostname.lower().strip('.-')
    if hostname == '' and default_name is not None:
        return default_name[:63]
    return hostname


def instance_names(display_name, instance_uuid, num_instances, index):
    """(display name, hostname) of one instance of a request, as compute/api.py
    `_populate_instance_names`: a suffix '-N' on both when more than one is built."""
    default_hostname = 'Server-%s' % instance_uuid
    if num_instances == 1:
        return display_name, sanitize_hostname(display_name, default_hostname)
    name = MULTI_INSTANCE_NAME_TEMPLATE % {'name': display_name, 'count': index + 1,
                                           'uuid': instance_uuid}
    if sanitize_hostname(display_name) == '':
        return name, default_hostname
    return name, sanitize_hostname(name)
