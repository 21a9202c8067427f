# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.novalite.compute.plugins.filter.network_types import FilterModule, network_types


def test_types_given_and_inferred_distinct_and_sorted():
    networks = [{'name': 'private', 'libvirt_network': 'novalite-private'},
                {'name': 'tenant'},
                {'name': 'ext', 'network_type': 'flat', 'physical_network': 'physnet1'},
                {'name': 'br', 'bridge': 'br0'},
                {'name': 'tenant2', 'network_type': 'vxlan', 'segmentation_id': 7}]
    assert network_types(networks) == ['flat', 'local', 'vxlan']
    assert network_types([]) == []


def test_an_unknown_type_names_the_field():
    with pytest.raises(AnsibleFilterError, match='network_type'):
        network_types([{'name': 'x', 'network_type': 'gre'}])


def test_registered_by_name():
    assert FilterModule().filters()['network_types'] is network_types
