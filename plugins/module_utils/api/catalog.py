# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Catalog lookups: the inventory's flavors, images, networks, keypairs, security groups and
server groups stand in for Nova's flavor table, Glance, Neutron and the API database.

Every lookup raises ValidationError naming the request field that referenced the object."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from urllib.parse import urlsplit

from ansible_collections.novalite.compute.plugins.module_utils.errors import ValidationError


def id_from_href(ref):
    """Nova's common.get_id_from_href: the last segment of the URL's path, so a query string
    or fragment is no part of the id ('http://nova/flavors/1?q=4' -> '1')."""
    return urlsplit('%s' % ref).path.split('/')[-1]


def _find(items, ref, kind, field, id_key='id', visible=None):
    """The one item whose id is `ref`, else the one whose name is `ref`.

    `visible(item)` hides items the caller may not see (they count as absent)."""
    items = [i for i in (items or []) if visible is None or visible(i)]
    for item in items:
        if str(item.get(id_key)) == ref:
            return item
    named = [i for i in items if i.get('name') == ref]
    if len(named) > 1:
        raise ValidationError(field, 'Multiple %ss match the name %s; use the %s'
                              % (kind, ref, id_key))
    if not named:
        return None
    return named[0]


def _project_visible(project_id):
    def visible(item):
        owner = item.get('project_id')
        return item.get('shared', True) or owner in (None, project_id)
    return visible


def flavor(catalog, ref, field='server.flavorRef', project_id=None, is_admin=False):
    """Flavor by id or name; a private flavor needs the project in its `projects` list."""
    ref = id_from_href(ref)

    def visible(item):
        return (item.get('is_public', True) or is_admin
                or project_id in (item.get('projects') or []))
    found = _find(catalog.get('flavors'), ref, 'flavor', field, visible=visible)
    if found is None or found.get('disabled'):
        raise ValidationError(field, 'Flavor %s could not be found.' % ref)
    return found


def flavor_spec(item):
    """A catalog flavor in request spec names."""
    return {
        'name': item['name'],
        'flavorid': str(item['id']),
        'vcpus': int(item.get('vcpus') or 0),
        'memory_mb': int(item.get('ram') or 0),
        'root_gb': int(item.get('disk') or 0),
        'ephemeral_gb': int(item.get('ephemeral') or 0),
        'swap': int(item.get('swap') or 0),
        'extra_specs': dict(item.get('extra_specs') or {}),
    }


def image(catalog, ref, field='server.imageRef'):
    """Image by id or name (Glance ids are uuids, names are not unique: ambiguity is an error).
    Not by URL: from 2.37 Nova's schema wants imageRef as a uuid."""
    found = _find(catalog.get('images'), ref, 'image', field)
    if found is None:
        raise ValidationError(field, 'Image %s could not be found.' % ref)
    return found


def image_spec(item):
    """A catalog image as the request spec's `image`."""
    return {
        'id': item['id'],
        'name': item.get('name'),
        'min_ram': int(item.get('min_ram') or 0),
        'min_disk': int(item.get('min_disk') or 0),
        'properties': dict(item.get('properties') or {}),
        'size': int(item.get('size') or 0),
        'disk_format': item.get('disk_format'),
        'container_format': item.get('container_format'),
    }


def image_build(item):
    """A catalog image as an instance's build data `image` (what the host fetches)."""
    return {
        'id': item['id'],
        'name': item.get('name'),
        'location': item.get('location'),
        'checksum': item.get('checksum'),
        'disk_format': item.get('disk_format'),
        'size': int(item.get('size') or 0),
        'properties': dict(item.get('properties') or {}),
    }


def boot_images(catalog, booted, field='server.imageRef'):
    """The kernel and ramdisk the image `booted` boots with, from its properties (compute/api.py
    _handle_kernel_and_ramdisk): {'kernel': {id, location, checksum} or absent, 'ramdisk':
    ...}; 'nokernel' means neither."""
    props = (booted or {}).get('properties') or {}
    kernel_id, ramdisk_id = props.get('kernel_id'), props.get('ramdisk_id')
    found = {}
    if kernel_id == 'nokernel':
        return found
    for key, ref in (('kernel', kernel_id), ('ramdisk', ramdisk_id)):
        if ref is None:
            continue
        try:
            item = image(catalog, ref, field)
        except ValidationError:
            raise ValidationError(field, 'image %s has %s_id %s, which is not an '
                                  'image in the catalog' % (booted['id'], key, ref))
        found[key] = {'id': item['id'], 'location': item.get('location'),
                      'checksum': item.get('checksum')}
    return found


def network(catalog, ref, field, project_id):
    """Network by id or name; an unshared network of another project does not exist for us
    (Neutron hides it the same way)."""
    found = _find(catalog.get('networks'), str(ref), 'network', field,
                  visible=_project_visible(project_id))
    if found is None:
        raise ValidationError(field, 'Network %s could not be found.' % ref)
    return found


def port(catalog, ref, field):
    """A pre-made port (`catalog.ports`, optional: {id, network_id, fixed_ip, mac})."""
    for item in catalog.get('ports') or []:
        if item.get('id') == ref:
            return item
    raise ValidationError(field, 'Port id %s could not be found.' % ref)


def keypair(catalog, name, user_id, field='server.key_name'):
    """Keypairs belong to a user (Nova's KeyPair.get_by_name(context, user_id, name))."""
    for item in catalog.get('keypairs') or []:
        if item.get('name') == name and item.get('user_id') == user_id:
            return item
    raise ValidationError(field, 'Keypair %s not found for user %s' % (name, user_id))


def security_group(catalog, ref, field):
    """Security group by id or name."""
    found = _find(catalog.get('security_groups'), ref, 'security group', field)
    if found is None:
        raise ValidationError(field, 'Security group %s not found.' % ref)
    return found


def server_group(catalog, ref, field, project_id, is_admin=False):
    """Server group by uuid or by name, among the project's groups; an admin finds any
    project's group by uuid (Nova's InstanceGroup.get_by_uuid filters by project unless
    context.is_admin)."""
    groups = catalog.get('server_groups') or []
    mine = [g for g in groups if g.get('project_id') in (None, project_id)]
    for item in groups if is_admin else mine:
        if item.get('uuid') == ref:
            return item
    found = _find(mine, ref, 'server group', field, id_key='uuid')
    if found is None:
        raise ValidationError(field, 'Instance group %s could not be found.' % ref)
    return found
