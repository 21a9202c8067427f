# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rebuild and resize bodies checked as Nova's API and compute API check them."""

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.api import server_actions
from ansible_collections.novalite.compute.plugins.module_utils.errors import QuotaExceeded, ValidationError

from request_fixtures import CONTEXT, IMG_BIG, IMG_DEMO, IMG_KERNEL, IMG_QUEUED, IMG_RAMDISK, catalog

NANO = {'id': '1', 'name': 'm1.nano', 'vcpus': 1, 'memory_mb': 128, 'root_gb': 1,
        'ephemeral_gb': 0, 'swap': 0, 'extra_specs': {}}
RECORD = {'uuid': 'u', 'flavor': NANO, 'image': {'id': IMG_DEMO, 'name': 'novalite-demo'}}


def test_rebuild_gives_the_image_its_boot_files_and_only_the_fields_given():
    spec = server_actions.rebuild_request({'rebuild': {'imageRef': IMG_DEMO, 'name': 'web-2'}},
                                          RECORD, catalog(), CONTEXT)
    assert spec['image']['id'] == IMG_DEMO and spec['image']['location']
    assert (spec['kernel']['id'], spec['ramdisk']['id']) == (IMG_KERNEL, IMG_RAMDISK)
    assert spec['name'] == 'web-2' and spec['preserve_ephemeral'] is False
    assert not set(spec) & {'metadata', 'user_data', 'key_name', 'description'}


def test_rebuild_key_is_the_callers_own_and_null_removes_it():
    spec = server_actions.rebuild_request({'rebuild': {'imageRef': IMG_DEMO, 'key_name': 'demo'}},
                                          RECORD, catalog(), CONTEXT)
    assert spec['public_keys'] == {'demo': 'ssh-ed25519 AAAAC3Nz demo'}
    spec = server_actions.rebuild_request({'rebuild': {'imageRef': IMG_DEMO, 'key_name': None,
                                                       'user_data': None}},
                                          RECORD, catalog(), CONTEXT)
    assert (spec['key_name'], spec['public_keys'], spec['user_data']) == (None, {}, None)
    with pytest.raises(ValidationError) as err:
        server_actions.rebuild_request({'rebuild': {'imageRef': IMG_DEMO, 'key_name': 'alien'}},
                                       RECORD, catalog(), CONTEXT)
    assert err.value.field == 'rebuild.key_name'


@pytest.mark.parametrize('body, rule', [
    ({'imageRef': IMG_QUEUED}, 'Image %s is not active.' % IMG_QUEUED),
    ({'imageRef': IMG_BIG}, "Flavor's memory is too small for requested image."),
    ({'imageRef': IMG_DEMO, 'personality': []}, 'is not an allowed property'),
])
def test_rebuild_refusals(body, rule):
    with pytest.raises(ValidationError) as err:
        server_actions.rebuild_request({'rebuild': body}, RECORD, catalog(), CONTEXT)
    assert rule in err.value.rule


def test_rebuild_metadata_quota():
    with pytest.raises(QuotaExceeded):
        server_actions.rebuild_request(
            {'rebuild': {'imageRef': IMG_DEMO, 'metadata': {'a': '1', 'b': '2'}}}, RECORD,
            catalog(), CONTEXT, quotas={'defaults': {'metadata_items': 1}})


def test_resize_gives_the_new_flavor_as_the_record_keeps_it():
    new = server_actions.resize_request({'resize': {'flavorRef': 'm1.small'}}, RECORD,
                                        catalog(), CONTEXT)
    assert new == {'id': '2', 'name': 'm1.small', 'vcpus': 2, 'memory_mb': 2048, 'root_gb': 10,
                   'ephemeral_gb': 2, 'swap': 512, 'extra_specs': {'hw:cpu_policy': 'shared'}}


@pytest.mark.parametrize('ref, record, rule', [
    ('1', RECORD, 'When resizing, instances must change flavor!'),
    ('m1.nano', RECORD, 'When resizing, instances must change flavor!'),
    ('3', RECORD, 'Server disk was unable to be resized because: Resize to zero disk flavor '
                  'is not allowed.'),
    ('1', dict(RECORD, flavor=dict(NANO, id='2', root_gb=10)),
     'Resize error: Unable to resize disk down.'),
    ('2', dict(RECORD, flavor=dict(NANO, id='9', root_gb=10, ephemeral_gb=5)),
     'Resize error: Unable to resize disk down.'),
    ('7', RECORD, 'Flavor 7 could not be found.'),
    ('6', RECORD, 'Flavor 6 could not be found.'),
    ('', RECORD, 'must be a non-empty string'),
])
def test_resize_refusals(ref, record, rule):
    with pytest.raises(ValidationError) as err:
        server_actions.resize_request({'resize': {'flavorRef': ref}}, record, catalog(), CONTEXT)
    assert err.value.field == 'resize.flavorRef' and err.value.rule == rule


def test_resize_checks_the_servers_image_against_the_new_flavor():
    record = dict(RECORD, image={'id': IMG_BIG})
    tight = catalog(flavors=catalog()['flavors'] + [
        {'id': '9', 'name': 'tight', 'vcpus': 1, 'ram': 1024, 'disk': 2, 'ephemeral': 0}])
    with pytest.raises(ValidationError) as err:
        server_actions.resize_request({'resize': {'flavorRef': '9'}}, record, tight, CONTEXT)
    assert err.value.rule.startswith("Flavor's disk is smaller than the minimum size specified "
                                     "in image metadata.")
    # an image the catalog no longer has is not checked (the record keeps only its id)
    gone = dict(RECORD, image={'id': 'gone'})
    assert server_actions.resize_request({'resize': {'flavorRef': '9'}}, gone, tight,
                                         CONTEXT)['id'] == '9'
