# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Security group rules (Neutron's model and defaults) and the nftables ruleset of a host.
tests/integration/test_firewall_real.py loads these rulesets and sends traffic through them."""

import os

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.compute import firewall
from ansible_collections.novalite.compute.plugins.module_utils.errors import ValidationError

GROUPS = [
    {'id': 'd-1', 'name': 'default', 'rules': []},
    {'id': 'w-1', 'name': 'web', 'rules': [
        {'direction': 'ingress', 'protocol': 'tcp', 'port_range_min': 80, 'port_range_max': 81},
        {'direction': 'ingress', 'protocol': 'icmp', 'port_range_min': 8, 'remote_group_id': 'd-1'},
    ]},
    {'id': 'c-1', 'name': 'closed', 'default_rules': False, 'rules': []},
]


def fw_port(dev, mac, ip, groups):
    return firewall.firewall_port({'mac': mac, 'fixed_ip': ip}, dev, groups)


def chain(text, family, name):
    """The lines of one chain of the rendered ruleset."""
    table = text.split('table %s novalite {' % family)[1]
    body = table.split('  chain %s {\n' % name)[1].split('\n  }')[0]
    return [line.strip() for line in body.splitlines()]


def test_neutron_defaults():
    rules = firewall.group_rules(GROUPS)
    assert [(r['direction'], r['ethertype'], r['remote_group']) for r in rules['default']] == [
        ('egress', 'IPv4', None), ('egress', 'IPv6', None),
        ('ingress', 'IPv4', 'default'), ('ingress', 'IPv6', 'default')]
    assert [r['direction'] for r in rules['web']] == ['egress', 'egress', 'ingress', 'ingress']
    assert rules['web'][3]['remote_group'] == 'default'   # an id resolves to the group's name
    assert rules['closed'] == []


@pytest.mark.parametrize('rule, message', [
    ({'direction': 'in'}, r'security_groups\[g\].rules\[0\].direction: must be ingress or egress'),
    ({'direction': 'ingress', 'ethertype': 'IPv5'}, r'rules\[0\].ethertype: must be IPv4 or IPv6'),
    ({'direction': 'ingress', 'protocol': 'tcpx'}, r'rules\[0\].protocol: must be one of'),
    ({'direction': 'ingress', 'protocol': 300}, r'rules\[0\].protocol: must be a protocol name or a number'),
    ({'direction': 'ingress', 'protocol': 'gre', 'port_range_min': 1},
     r'rules\[0\].protocol: must be one of .*for a port range'),
    ({'direction': 'ingress', 'protocol': 'tcp', 'port_range_min': 90, 'port_range_max': 80},
     r'rules\[0\].port_range_max: port_range_min <= port_range_max'),
    ({'direction': 'ingress', 'protocol': 'icmp', 'port_range_max': 0},
     r'rules\[0\].port_range_min: must be an ICMP type'),
    ({'direction': 'ingress', 'remote_ip_prefix': '10.0.0.0/8', 'remote_group_id': 'g'},
     r'rules\[0\]: remote_ip_prefix and remote_group_id are mutually exclusive'),
    ({'direction': 'ingress', 'remote_ip_prefix': 'fd00::/8'},
     r'rules\[0\].remote_ip_prefix: must be an IPv4 prefix'),
    ({'direction': 'ingress', 'remote_group_id': 'nope'}, r'rules\[0\].remote_group_id: is not a security group'),
    ({'direction': 'ingress', 'protocol': 'ipv6-icmp'}, r'rules\[0\].protocol: ipv6-icmp needs ethertype IPv6'),
])
def test_bad_rules_name_the_field(rule, message):
    with pytest.raises(ValidationError, match=message):
        firewall.group_rules([{'id': 'g', 'name': 'g', 'default_rules': False, 'rules': [rule]}])


def test_rule_normalisation():
    rule = firewall.normalize_rule({'direction': 'ingress', 'ethertype': 'IPv6', 'protocol': 'icmp',
                                    'remote_ip_prefix': 'fd00::1/8'}, 'r', {})
    assert rule['protocol'] == 58 and rule['remote_ip_prefix'] == 'fd00::/8'
    rule = firewall.normalize_rule({'direction': 'egress', 'protocol': '17', 'port_range_min': 53}, 'r', {})
    assert (rule['protocol'], rule['port_range_min'], rule['port_range_max']) == (17, 53, 53)


def test_members_add_this_hosts_ports_to_the_fleet():
    ports = [fw_port('tapa', 'fa:16:3e:00:00:01', '10.1.0.5', ['default', 'web'])]
    assert firewall.members(ports, {'default': ['10.1.0.20', '10.1.0.3']}) == {
        'default': ['10.1.0.3', '10.1.0.5', '10.1.0.20'], 'web': ['10.1.0.5']}


def test_ruleset_anti_spoofing_and_marks():
    ports = [fw_port('tapb', 'FA:16:3E:00:00:02', '10.1.0.6', ['web']),
             fw_port('tapa', 'fa:16:3e:00:00:01', '10.1.0.5', ['default'])]
    text = firewall.render(ports, GROUPS)
    # ports are numbered in name order, whatever the order given
    spoof = chain(text, 'bridge', 'from_1')
    assert spoof[0] == 'ether saddr != fa:16:3e:00:00:01 drop'
    assert 'arp saddr ip != { 0.0.0.0, 10.1.0.5 } drop' in spoof
    assert 'udp sport 67 udp dport 68 drop' in spoof
    assert 'ether type ip ip saddr != { 10.1.0.5 } drop' in spoof
    assert 'ether type ip6 ip6 saddr != { ::, fe80::f816:3eff:fe00:1 } drop' in spoof
    assert spoof[-1] == 'meta mark set 0x10000001'
    forward = chain(text, 'bridge', 'forward_ports')
    assert 'iifname vmap { "tapa" : jump from_1, "tapb" : jump from_2 }' in forward
    assert 'oifname "tapb" meta mark set meta mark or 0x00020000' in forward


def test_ruleset_security_group_chains():
    ports = [fw_port('tapa', 'fa:16:3e:00:00:01', '10.1.0.5', ['default']),
             fw_port('tapb', 'fa:16:3e:00:00:02', '10.1.0.6', ['web']),
             fw_port('tapc', 'fa:16:3e:00:00:03', '10.1.0.7', ['closed'])]
    text = firewall.render(ports, GROUPS, {'default': ['10.1.0.30']})
    ingress_a = chain(text, 'inet', 'ingress_1')
    # default: ingress from its members, here and elsewhere; nothing else
    assert ingress_a[1:] == ['meta nfproto ipv4 ip saddr { 10.1.0.5, 10.1.0.30 } accept', 'drop']
    ingress_b = chain(text, 'inet', 'ingress_2')
    assert ingress_b[1:] == [
        'meta nfproto ipv4 meta l4proto 6 th dport 80-81 accept',
        'meta nfproto ipv4 ip saddr { 10.1.0.5, 10.1.0.30 } meta l4proto 1 icmp type 8 accept', 'drop']
    assert chain(text, 'inet', 'egress_2')[-3:] == ['meta nfproto ipv4 return', 'meta nfproto ipv6 return', 'drop']
    # no rule: only the always-allowed DHCP and neighbour discovery get out
    assert chain(text, 'inet', 'egress_3')[-1] == 'drop'
    assert not any(line.startswith('meta nfproto ipv4 return') for line in chain(text, 'inet', 'egress_3'))
    forward = chain(text, 'inet', 'forward_ports')
    assert forward[1:4] == ['meta mark and 0x10000000 == 0x0 accept', 'ct state invalid drop',
                            'ct state established,related accept']


def test_empty_remote_group_matches_nothing():
    text = firewall.render([fw_port('tapb', 'fa:16:3e:00:00:02', '10.1.0.6', ['web'])], GROUPS)
    assert not any('icmp type 8' in line for line in chain(text, 'inet', 'ingress_1'))


def test_no_ports_empty_tables_and_unknown_group():
    text = firewall.render([], GROUPS)
    assert 'table bridge novalite {\n}' in text and 'table inet novalite {\n}' in text
    with pytest.raises(ValidationError, match='security_groups: port tapa is in security group nope'):
        firewall.render([fw_port('tapa', 'fa:16:3e:00:00:01', '10.1.0.5', ['nope'])], GROUPS)


class FakeNft(object):
    """Records nft calls; `tables` says whether `nft list table` finds ours."""

    def __init__(self, tables=True, load_rc=0, sysctl=True):
        self.calls, self.tables, self.load_rc, self.sysctl = [], tables, load_rc, sysctl

    def __call__(self, argv):
        self.calls.append(argv)
        if argv[0] == 'sysctl':
            return (0, '', '') if self.sysctl else (255, '', 'sysctl: cannot stat /proc/sys/net/bridge/bridge-nf-call-iptables')
        if argv[1] == 'list':
            return (0 if self.tables else 1), '', ''
        return self.load_rc, '', 'Error: syntax error' if self.load_rc else ''


def test_apply_only_when_the_text_differs(tmp_path):
    nft = FakeNft()
    text = firewall.render([], GROUPS)
    assert firewall.apply(nft, str(tmp_path), text) is True
    assert nft.calls[-2:] == [['sysctl', '-q', '-w', 'net.bridge.bridge-nf-call-iptables=1',
                               'net.bridge.bridge-nf-call-ip6tables=1'],
                              ['nft', '-f', str(tmp_path / 'firewall.nft.new')]]
    assert (tmp_path / 'firewall.nft').read_text() == text
    nft.calls[:] = []
    assert firewall.apply(nft, str(tmp_path), text) is False
    assert all(call[:2] == ['nft', 'list'] for call in nft.calls)
    # tables flushed behind our back: loaded again
    nft.tables = False
    assert firewall.apply(nft, str(tmp_path), text) is True
    # check mode changes nothing
    other = firewall.render([fw_port('tapa', 'fa:16:3e:00:00:01', '10.1.0.5', ['default'])], GROUPS)
    nft.calls[:] = []
    assert firewall.apply(nft, str(tmp_path), other, check_mode=True) is True
    assert (tmp_path / 'firewall.nft').read_text() == text and not any(c[0] == 'sysctl' or c[1] == '-f' for c in nft.calls)


def test_apply_failure_keeps_the_last_good_ruleset(tmp_path):
    with pytest.raises(firewall.FirewallError, match='nft -f .* failed .rc 1.: Error: syntax error'):
        firewall.apply(FakeNft(load_rc=1), str(tmp_path), 'bad')
    assert not os.path.exists(str(tmp_path / 'firewall.nft'))


def test_without_br_netfilter_the_error_says_so(tmp_path):
    with pytest.raises(firewall.FirewallError, match='cannot stat .* security groups need the br_netfilter module'):
        firewall.apply(FakeNft(sysctl=False), str(tmp_path), 'text')


def test_fleet_members_from_every_shape_of_server():
    servers = [{'security_groups': ['default'], 'addresses': {'tenant': [{'addr': '10.1.0.12'}]}},
               {'security_groups': ['web'], 'addresses': {}}]
    records = [{'security_groups': ['default', 'web'], 'ports': [{'fixed_ip': '10.1.0.9'}]}]
    instances = [{'security_groups': ['default'], 'networks': [{'fixed_ip': '10.1.0.100'}, {'fixed_ip': None}]}]
    assert firewall.fleet_members(servers, records, instances) == {
        'default': ['10.1.0.9', '10.1.0.12', '10.1.0.100'], 'web': ['10.1.0.9']}
