# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.novalite.compute.plugins.filter.security_group_members import FilterModule


def test_members_of_the_fleet_and_of_the_request():
    members = FilterModule().filters()['security_group_members']
    servers = [{'security_groups': ['default'], 'addresses': {'tenant': [{'addr': '10.82.0.12'}]}}]
    instances = [{'security_groups': ['default', 'web'], 'networks': [{'fixed_ip': '10.82.0.11'}]}]
    assert members(servers, instances) == {'default': ['10.82.0.11', '10.82.0.12'], 'web': ['10.82.0.11']}
    assert members(servers) == {'default': ['10.82.0.12']}


def test_a_bad_address_fails_the_filter():
    with pytest.raises(AnsibleFilterError, match="security_group_members: 'not-an-ip' is not an IP address"):
        FilterModule().filters()['security_group_members'](
            [{'security_groups': ['default'], 'ports': [{'fixed_ip': 'not-an-ip'}]}])
