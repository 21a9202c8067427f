# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The API side of the server actions that take a body and the catalog: Nova's
`servers.py` `_action_rebuild` and `_resize` with the compute API's checks of the new image
or flavor (`compute/api.py` `rebuild`, `resize`), against the server's record.

Each returns what the compute side needs (the image to fetch with its kernel and ramdisk,
the new flavor), or raises ValidationError naming the body's field and Nova's message."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.novalite.compute.plugins.module_utils.api import catalog
from ansible_collections.novalite.compute.plugins.module_utils.api.quota import (
    check_metadata_items, resolve_limits, tighter_limits,
)
from ansible_collections.novalite.compute.plugins.module_utils.api.request import (
    check_flavor_image, to_bool,
)
from ansible_collections.novalite.compute.plugins.module_utils.api.schema import validate_action
from ansible_collections.novalite.compute.plugins.module_utils.errors import ValidationError

# What a rebuild body may change besides the image, as the compute side takes it.
REBUILD_FIELDS = ('name', 'metadata', 'description', 'user_data')


def rebuild_request(body, record, catalog_data, context, quotas=None):
    """Nova's rebuild checks for `body` ({'rebuild': {...}}) on the server `record`:
    the schema, the image (found, active, fitting the server's flavor: Nova's
    `_validate_flavor_image_nostatus`), the key pair (the caller's own, as Nova looks it up
    by the context's user), the metadata_items quota.

    Returns {image, kernel, ramdisk, preserve_ephemeral} and each of name, metadata,
    description, user_data, key_name (with public_keys) the body gives: absent keeps the
    server's, as in Nova; a null key_name or user_data removes it."""
    validate_action('rebuild', body)
    req = body['rebuild']
    item = catalog.image(catalog_data, req['imageRef'], 'rebuild.imageRef')
    if item.get('status', 'active') != 'active':
        raise ValidationError('rebuild.imageRef', 'Image %s is not active.' % item['id'])
    flavor = record.get('flavor') or {}
    check_flavor_image(int(flavor.get('memory_mb') or 0), int(flavor.get('root_gb') or 0),
                       item, field='rebuild.imageRef')
    boot = catalog.boot_images(catalog_data, item, 'rebuild.imageRef')
    result = dict(image=catalog.image_build(item), kernel=boot.get('kernel'),
                  ramdisk=boot.get('ramdisk'),
                  preserve_ephemeral=to_bool(req.get('preserve_ephemeral', False)))
    result.update((key, req[key]) for key in REBUILD_FIELDS if key in req)
    if 'metadata' in req:
        limits = tighter_limits(*resolve_limits(quotas, context.get('project_id'),
                                                context.get('user_id')))
        check_metadata_items(limits, len(req['metadata']))
    if 'key_name' in req:
        key = None
        if req['key_name']:
            key = catalog.keypair(catalog_data, req['key_name'], context.get('user_id'),
                                  'rebuild.key_name')
        result['key_name'] = key['name'] if key else None
        result['public_keys'] = {key['name']: key.get('public_key')} if key else {}
    return result


def resize_request(body, record, catalog_data, context, is_admin=False):
    """Nova's resize checks for `body` ({'resize': {'flavorRef': ...}}) on the server
    `record`: the schema, the flavor (found, visible to the caller's project), a flavor
    change (CannotResizeToSameFlavor), no resize to a zero root disk (CannotResizeDisk),
    no smaller disk (the libvirt driver's 'Unable to resize disk down', found here before
    anything changes), the server's image fitting the new flavor when the catalog still has it.

    Returns the new flavor as the record keeps it."""
    validate_action('resize', body)
    ref = str(body['resize']['flavorRef'])
    item = catalog.flavor(catalog_data, ref, 'resize.flavorRef',
                          project_id=context.get('project_id'), is_admin=is_admin)
    new = record_flavor(catalog.flavor_spec(item))
    old = record.get('flavor') or {}
    if str(new['id']) == str(old.get('id')):
        raise ValidationError('resize.flavorRef', 'When resizing, instances must change flavor!')
    if new['root_gb'] == 0 and int(old.get('root_gb') or 0) != 0:
        raise ValidationError('resize.flavorRef', 'Server disk was unable to be resized '
                              'because: Resize to zero disk flavor is not allowed.')
    if (new['root_gb'] < int(old.get('root_gb') or 0)
            or new['ephemeral_gb'] < int(old.get('ephemeral_gb') or 0)):
        raise ValidationError('resize.flavorRef', 'Resize error: Unable to resize disk down.')
    image_id = (record.get('image') or {}).get('id')
    images = [i for i in catalog_data.get('images') or [] if i.get('id') == image_id]
    if images:
        check_flavor_image(new['memory_mb'], new['root_gb'], images[0], field='resize.flavorRef')
    return new


def record_flavor(spec):
    """A request-spec flavor (catalog.flavor_spec) as the server record keeps it."""
    return {'id': spec['flavorid'], 'name': spec['name'], 'vcpus': spec['vcpus'],
            'memory_mb': spec['memory_mb'], 'root_gb': spec['root_gb'],
            'ephemeral_gb': spec['ephemeral_gb'], 'swap': spec['swap'],
            'extra_specs': dict(spec['extra_specs'])}
