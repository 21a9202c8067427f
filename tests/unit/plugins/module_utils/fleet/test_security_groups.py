# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ports' security groups in the fleet database: remote groups' members and the hosts a
membership change touches, read from rows."""

import time

from ansible_collections.novalite.compute.plugins.module_utils.compute.firewall import group_rules
from ansible_collections.novalite.compute.plugins.module_utils.fleet import (
    compute_nodes, instances, ipam, schema, security_groups)

from fleet_fixtures import old_compute_node

FLAVOR = {'name': 'm1.nano', 'vcpus': 1, 'memory_mb': 128, 'root_gb': 1}
CATALOG = [
    {'name': 'default'},
    {'name': 'web', 'rules': [{'direction': 'ingress', 'ethertype': 'IPv4', 'protocol': 'tcp',
                               'port_range_min': 80, 'port_range_max': 80}]},
    {'name': 'db', 'rules': [{'direction': 'ingress', 'ethertype': 'IPv4', 'protocol': 'tcp',
                              'port_range_min': 5432, 'port_range_max': 5432, 'remote_group_id': 'web'}]},
]


def record(uuid, host, ip, groups):
    return {'uuid': uuid, 'name': uuid, 'project_id': 'p1', 'user_id': 'u1', 'flavor': FLAVOR,
            'vm_state': 'active', 'host': host, 'security_groups': groups,
            'ports': [{'id': 'port-' + uuid, 'network_id': 'n1', 'network_name': 'private',
                       'mac': 'fa:16:3e:00:00:%02x' % int(ip.rsplit('.', 1)[1]), 'fixed_ip': ip}]}


def test_members_and_hosts_come_from_the_ports_groups(fleet):
    instances.record_build(fleet, record('a', 'hv1', '10.0.0.11', ['default']))
    instances.record_build(fleet, record('b', 'hv2', '10.0.0.12', ['web']))
    instances.record_build(fleet, record('c', 'hv3', '10.0.0.13', ['db']))
    instances.record_build(fleet, record('d', 'hv3', '10.0.0.9', ['default', 'web']))
    assert security_groups.members(fleet) == {'default': ['10.0.0.9', '10.0.0.11'],
                                              'web': ['10.0.0.9', '10.0.0.12'], 'db': ['10.0.0.13']}
    rules = group_rules(CATALOG)
    # default's rules name default (ingress from its members); db's rules name web.
    assert security_groups.referencing(rules, ['web']) == ['db']
    assert security_groups.hosts_to_refresh(fleet, rules, ['web']) == ['hv3']
    assert security_groups.hosts_to_refresh(fleet, rules, ['default']) == ['hv1', 'hv3']
    assert security_groups.hosts_to_refresh(fleet, rules, ['db']) == []


def test_bindings_follow_the_ports_and_the_reports(fleet):
    instances.record_build(fleet, record('a', 'hv1', '10.0.0.11', ['default']))
    # The host reports the server in another group now.
    instances.sync_host(fleet, 'hv1', [record('a', 'hv1', '10.0.0.11', ['web'])])
    assert security_groups.members(fleet) == {'web': ['10.0.0.11']}
    instances.forget(fleet, 'a')
    assert security_groups.members(fleet) == {}
    assert fleet.scalar('SELECT COUNT(*) FROM securitygroupportbindings') == 0


def test_ports_being_built_are_members_before_they_have_a_host(fleet):
    port = ipam.allocate_port(fleet, {'network_id': 'n1', 'network_name': 'private', 'cidr': '10.0.0.0/24',
                                      'allocation_pools': [{'start': '10.0.0.20', 'end': '10.0.0.20'}]}, 'new')
    security_groups.bind_instance(fleet, 'new', ['default', 'default'])
    assert security_groups.members(fleet) == {'default': [port['fixed_ip']]}
    assert security_groups.hosts_to_refresh(fleet, group_rules(CATALOG), ['default']) == []


def test_the_upgrade_that_adds_bindings_makes_every_host_report_again(tmp_path):
    url = 'sqlite:///%s' % (tmp_path / 'fleet.sqlite')
    with schema.Database(url) as db:
        schema.upgrade(db, target=2)
        old_compute_node(db, 'hv1', time.time())
        assert compute_nodes.stale_hosts(db, ['hv1'], 300) == []
        assert schema.upgrade(db, target=3) == [3]
        assert compute_nodes.stale_hosts(db, ['hv1'], 300) == ['hv1']
