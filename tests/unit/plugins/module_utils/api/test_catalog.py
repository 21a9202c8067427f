# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Catalog lookups and their conversions to request spec names."""

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.api import catalog
from ansible_collections.novalite.compute.plugins.module_utils.errors import ValidationError

from request_fixtures import CATALOG, GROUP_THEIRS, GROUP_WEB, IMG_DEMO, NET_MINE, NET_THEIRS


def test_flavor_by_id_name_and_href():
    for ref in ('2', 2, 'm1.small', 'https://nova/flavors/2', 'https://nova/flavors/2?q=4#x'):
        assert catalog.flavor(CATALOG, ref)['id'] == '2'


def test_href_id_is_the_last_path_segment():
    # common.get_id_from_href: a trailing slash leaves an empty id
    assert catalog.id_from_href('https://nova/flavors/2/') == ''
    assert catalog.id_from_href('http://www.foo.com/bar/abc123?q=4') == 'abc123'


def test_flavor_id_wins_over_name():
    cat = {'flavors': [{'id': 'a', 'name': 'b'}, {'id': 'b', 'name': 'c'}]}
    assert catalog.flavor(cat, 'b')['name'] == 'c'


@pytest.mark.parametrize('ref,rule', [
    ('twin', 'Multiple flavors match the name twin; use the id'),
    ('none', 'Flavor none could not be found.'),
    ('7', 'Flavor 7 could not be found.'),
    ('private', 'Flavor private could not be found.'),
])
def test_flavor_errors(ref, rule):
    with pytest.raises(ValidationError) as info:
        catalog.flavor(CATALOG, ref, 'f', project_id='demo')
    assert (info.value.field, info.value.rule) == ('f', rule)


def test_flavor_spec():
    assert catalog.flavor_spec(catalog.flavor(CATALOG, 'm1.small')) == {
        'name': 'm1.small', 'flavorid': '2', 'vcpus': 2, 'memory_mb': 2048, 'root_gb': 10,
        'ephemeral_gb': 2, 'swap': 512, 'extra_specs': {'hw:cpu_policy': 'shared'}}


def test_image_lookups_and_specs():
    item = catalog.image(CATALOG, 'novalite-demo')
    assert item['id'] == IMG_DEMO
    spec = catalog.image_spec(item)
    assert set(spec) == {'id', 'name', 'min_ram', 'min_disk', 'properties', 'size',
                         'disk_format', 'container_format'}
    assert set(catalog.image_build(item)) == {'id', 'name', 'location', 'checksum',
                                              'disk_format', 'size', 'properties'}
    with pytest.raises(ValidationError, match='Multiple images'):
        catalog.image(CATALOG, 'twin')


def test_network_visibility():
    assert catalog.network(CATALOG, 'mine', 'n', 'demo')['id'] == NET_MINE
    with pytest.raises(ValidationError, match='Network mine could not be found.'):
        catalog.network(CATALOG, 'mine', 'n', 'other')
    assert catalog.network(CATALOG, NET_THEIRS, 'n', 'other')['name'] == 'theirs'


def test_keypair_belongs_to_user():
    assert catalog.keypair(CATALOG, 'demo', 'demo-user')['type'] == 'ssh'
    with pytest.raises(ValidationError) as info:
        catalog.keypair(CATALOG, 'demo', 'someone')
    assert (info.value.field, info.value.rule) == ('server.key_name',
                                                   'Keypair demo not found for user someone')


def test_security_group_by_id_or_name():
    assert catalog.security_group(CATALOG, 'web', 's')['name'] == 'web'
    with pytest.raises(ValidationError, match='Security group x not found.'):
        catalog.security_group(CATALOG, 'x', 's')


def test_server_group_lookup():
    assert catalog.server_group(CATALOG, 'web', 'g', 'demo')['uuid'] == GROUP_WEB
    assert catalog.server_group(CATALOG, GROUP_THEIRS, 'g', 'demo', is_admin=True)[
        'name'] == 'theirs'
    with pytest.raises(ValidationError, match='Instance group %s could not be found.'
                       % GROUP_THEIRS):
        catalog.server_group(CATALOG, GROUP_THEIRS, 'g', 'demo')
    with pytest.raises(ValidationError, match='Instance group theirs could not be found.'):
        catalog.server_group(CATALOG, 'theirs', 'g', 'demo')


def test_port_lookup():
    with pytest.raises(ValidationError, match='Port id x could not be found.'):
        catalog.port(CATALOG, 'x', 'p')
