# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The security group ruleset filters for real: a hypervisor network namespace with a Linux
bridge (plugged by segments.py) and three guests, each a network namespace behind a veth pair
named like a tap, load what firewall.render gives and ping one another."""

from __future__ import absolute_import, division, print_function

import os
import subprocess

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.compute import firewall, segments

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(os.geteuid() != 0, reason='network namespaces need root')]

NET = {'network_id': 'f1e2d3c4-0000-4000-8000-00000000fw01', 'network_type': 'vxlan',
       'segmentation_id': 4242}
MACS = {1: 'fa:16:3e:00:aa:01', 2: 'fa:16:3e:00:aa:02', 3: 'fa:16:3e:00:aa:03'}
IPS = {1: '10.97.0.11', 2: '10.97.0.12', 3: '10.97.0.13'}
GROUPS = [
    {'id': 'g-default', 'name': 'default', 'rules': []},
    # egress anywhere (Neutron's default for a new group), no ingress at all
    {'id': 'g-shut', 'name': 'shut', 'rules': []},
]
PING_OPEN = {'direction': 'ingress', 'protocol': 'icmp', 'remote_group_id': 'g-default'}


def sh(*argv):
    return subprocess.run(list(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=30, check=False)


def ok(*argv):
    proc = sh(*argv)
    assert proc.returncode == 0, '%s: %s' % (' '.join(argv), proc.stdout)
    return proc.stdout


class Host(object):
    """The hypervisor namespace and its guests; names carry the pid: several runs may share
    this machine."""

    def __init__(self):
        tag = os.getpid() % 100000
        self.ns = 'nlfw%d' % tag
        self.guests = dict((i, 'nlfw%dg%d' % (tag, i)) for i in MACS)
        self.taps = dict((i, 'tapfw%d%d' % (tag, i)) for i in MACS)

    def run(self, argv):
        proc = sh('ip', 'netns', 'exec', self.ns, *argv)
        return proc.returncode, proc.stdout, ''

    def guest(self, i, *argv):
        return sh('ip', 'netns', 'exec', self.guests[i], *argv)

    def ping(self, src, dst):
        return self.guest(src, 'busybox', 'ping', '-c', '1', '-W', '1', IPS[dst]).returncode == 0

    def ports(self, groups):
        return [firewall.firewall_port({'mac': MACS[i], 'fixed_ip': IPS[i]}, self.taps[i], groups[i])
                for i in MACS]


@pytest.fixture
def host(tmp_path):
    h = Host()
    try:
        ok('ip', 'netns', 'add', h.ns)
        seg = segments.segment(NET, local_ip='127.0.0.1')
        assert segments.ensure(h.run, seg)                    # plugged from nothing
        assert segments.ensure(h.run, seg) == []              # and idempotent
        for i, guest in h.guests.items():
            ok('ip', 'netns', 'add', guest)
            ok('ip', 'link', 'add', h.taps[i], 'netns', h.ns, 'type', 'veth', 'peer', 'name', 'eth0',
               'netns', guest)
            ok('ip', '-n', h.ns, 'link', 'set', h.taps[i], 'master', seg['bridge'], 'up')
            ok('ip', '-n', guest, 'link', 'set', 'eth0', 'address', MACS[i], 'up')
            ok('ip', '-n', guest, 'addr', 'add', IPS[i] + '/24', 'dev', 'eth0')
        h.state = str(tmp_path)
        yield h
    finally:
        for name in list(h.guests.values()) + [h.ns]:
            sh('ip', 'netns', 'del', name)


def load(host, groups, catalog=None):
    text = firewall.render(host.ports(groups), GROUPS if catalog is None else catalog)
    return firewall.apply(host.run, host.state, text)


def test_default_group_stateful_rules_follow_the_catalog(host):
    assert host.ping(1, 2) and host.ping(3, 1)                 # nothing enforced yet
    groups = {1: ['default'], 2: ['default'], 3: ['shut']}
    assert load(host, groups) is True
    assert load(host, groups) is False                         # applied once
    assert host.ping(1, 2) and host.ping(2, 1)                 # members of default reach each other
    assert not host.ping(1, 3)                                 # shut has no ingress rule
    assert not host.ping(3, 1)                                 # 3 is not a member of default
    # a rule opens it: ICMP from the members of default
    opened = [GROUPS[0], dict(GROUPS[1], rules=[PING_OPEN])]
    assert load(host, groups, opened) is True
    assert host.ping(1, 3)
    # stateful: 3 may not reach 1, but 1's echo request gets its reply back through 1's ingress
    assert not host.ping(3, 1)


def test_a_guest_sends_only_from_its_own_addresses(host):
    load(host, {1: ['default'], 2: ['default'], 3: ['default']})
    assert host.ping(1, 2)
    # another IP: neither its ARP nor its IP gets out
    host.guest(1, 'ip', 'addr', 'flush', 'dev', 'eth0')
    host.guest(1, 'ip', 'addr', 'add', '10.97.0.99/24', 'dev', 'eth0')
    host.guest(2, 'ip', 'neigh', 'flush', 'all')
    assert not host.guest(1, 'busybox', 'ping', '-c', '1', '-W', '1', IPS[2]).returncode == 0
    host.guest(1, 'ip', 'addr', 'flush', 'dev', 'eth0')
    host.guest(1, 'ip', 'addr', 'add', IPS[1] + '/24', 'dev', 'eth0')
    assert host.ping(1, 2)
    # another MAC
    host.guest(1, 'ip', 'link', 'set', 'eth0', 'address', 'fa:16:3e:00:aa:99')
    host.guest(1, 'ip', 'neigh', 'flush', 'all')
    assert not host.ping(1, 2)
    host.guest(1, 'ip', 'link', 'set', 'eth0', 'address', MACS[1])
    assert host.ping(1, 2)
