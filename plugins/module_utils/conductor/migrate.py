# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The destination of a resize: Nova's compute API `resize` (the request spec with the new
flavor, `ignore_hosts`, the zone the create asked for) and the conductor's MigrationTask (`select_destinations` for one
instance, the selected host and its alternates, which the caller walks when a destination's
claim fails: the migrate task's reschedule).

Pure Python over a server record (as the domain metadata keeps it) and loaded host states;
the fleet_resize action runs it against the fleet database's rows."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.novalite.compute.plugins.module_utils.scheduler.manager import schedule
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.options import resolve


def flavor_spec(flavor):
    """A record's flavor (server_record's shape) as a request spec's (Nova's Flavor names)."""
    return {'name': flavor.get('name'), 'flavorid': str(flavor.get('id')),
            'vcpus': int(flavor.get('vcpus') or 0), 'memory_mb': int(flavor.get('memory_mb') or 0),
            'root_gb': int(flavor.get('root_gb') or 0),
            'ephemeral_gb': int(flavor.get('ephemeral_gb') or 0),
            'swap': int(flavor.get('swap') or 0), 'extra_specs': dict(flavor.get('extra_specs') or {})}


def ignore_hosts(record, allow_resize_to_same_host):
    """Nova's `filter_properties['ignore_hosts']` of a resize: the server's own host, unless
    `allow_resize_to_same_host`."""
    return [] if allow_resize_to_same_host else [record['host']]


def requested_availability_zone(record):
    """The zone the server's create asked for, as the record keeps it (`request_spec`, from
    api/request.stored_request_spec): Nova's RequestSpec.availability_zone, which a resize
    schedules with. None when the create asked for none, and for a record written before the
    record kept it: what was asked is not known (the record's `availability_zone` is the
    zone of its host, which a server that asked for none got too), and
    pinning to that zone would keep such a server from every other zone."""
    return (record.get('request_spec') or {}).get('availability_zone') or None


def resize_request_spec(record, new_flavor, image=None, allow_resize_to_same_host=False, group=None):
    """The RequestSpec of a resize of `record` to `new_flavor` (record shape): the server's
    own uuid, project, user, networks and security groups, the new flavor, `ignore_hosts`.

    `image`: the catalog's image spec of the server's image (catalog.image_spec), when the
    catalog still has it (its properties steer ImagePropertiesFilter); `group`: the server's
    group with its members and hosts (fleet/instances.populate_group), for the group's
    filters. The spec's `availability_zone` is the zone the create asked for
    (`requested_availability_zone`), so AvailabilityZoneFilter keeps a server that asked for
    a zone in it, and a server that asked for none may move to any zone."""
    record_image = record.get('image') or {}
    return {
        'instance_uuids': [record['uuid']], 'num_instances': 1,
        'flavor': flavor_spec(new_flavor),
        'image': image or {'id': record_image.get('id'), 'name': record_image.get('name'),
                           'min_ram': 0, 'min_disk': 0, 'properties': {}},
        'availability_zone': requested_availability_zone(record), 'force_hosts': [], 'force_nodes': [],
        'ignore_hosts': ignore_hosts(record, allow_resize_to_same_host),
        'requested_destination': None, 'scheduler_hints': {},
        'instance_group': group,
        'project_id': record.get('project_id'), 'user_id': record.get('user_id'),
        'security_groups': list(record.get('security_groups') or []),
        'requested_networks': [{'network_id': port.get('network_id'), 'fixed_ip': port.get('fixed_ip'),
                                'port_id': port.get('id')} for port in record.get('ports') or []],
        'is_bfv': False,
    }


def select_destinations(host_states, request_spec, scheduler_options):
    """The migrate task's selection: ([selected host, alternates...] as `{host, nodename,
    weight, availability_zone}`, trace). Raises NoValidHost (with its trace) when no host fits.

    `availability_zone` is Nova's Selection.availability_zone: the zone the server's record
    takes on that host (the migrate task sets the instance's zone from it)."""
    selections, trace = schedule(host_states, request_spec, scheduler_options)
    default_zone = resolve(scheduler_options)['default_availability_zone']
    zones = dict((state.host, state.availability_zone or default_zone) for state in host_states.states)
    return [dict(item, availability_zone=zones[item['host']]) for item in selections[0]], trace
