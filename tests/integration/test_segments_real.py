# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Segments plugged for real, in a private network namespace: vxlan (device, flood entries
following the peers) and flat (the interface itself, or an operator's bridge as it is); each
a second time without a change. The "physical" interface is a veth end (this machine's kernel
has no dummy driver), and vlan segments are left to the unit tests: it has no 802.1Q either."""

from __future__ import absolute_import, division, print_function

import json
import os
import subprocess

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.compute import segments

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(os.geteuid() != 0, reason='network namespaces need root')]

NET = {'network_id': 'c0ffee00-0000-4000-8000-000000000001'}


@pytest.fixture
def ns():
    name = 'nlseg%d' % (os.getpid() % 100000)
    subprocess.run(['ip', 'netns', 'add', name], check=True)
    yield name
    subprocess.run(['ip', 'netns', 'del', name], check=False)


def runner(ns):
    def run(argv):
        proc = subprocess.run(['ip', 'netns', 'exec', ns] + list(argv), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, universal_newlines=True, timeout=30, check=False)
        return proc.returncode, proc.stdout, proc.stderr
    return run


def link(ns, name):
    out = runner(ns)(['ip', '-d', '-j', 'link', 'show', name])[1]
    return json.loads(out)[0]


def test_vxlan_segment_and_its_peers(ns):
    run = runner(ns)
    seg = segments.segment(dict(NET, network_type='vxlan', segmentation_id=4100), local_ip='10.99.9.1',
                           peers=['10.99.9.1', '10.99.9.2', '10.99.9.3'])
    assert segments.ensure(run, seg)
    assert segments.ensure(run, seg) == []
    vxlan = link(ns, 'vxlan-4100')
    assert vxlan['master'] == 'brqc0ffee00-00' and vxlan['mtu'] == 1450 and 'UP' in vxlan['flags']
    assert vxlan['linkinfo']['info_data']['learning'] is False
    assert segments.current(run, seg)[1] == ['10.99.9.2', '10.99.9.3']
    # the inventory changed: one peer gone, one new
    moved = dict(seg, peers=['10.99.9.3', '10.99.9.4'])
    assert [c[2] for c in segments.ensure(run, moved)] == ['append', 'del']
    assert segments.current(run, moved)[1] == ['10.99.9.3', '10.99.9.4']
    assert segments.ensure(run, moved) == []


def test_flat_segments(ns):
    run = runner(ns)
    for argv in (['ip', 'link', 'add', 'phys1', 'type', 'veth', 'peer', 'name', 'phys1p'],
                 ['ip', 'link', 'add', 'br-ext', 'type', 'bridge']):
        assert run(argv)[0] == 0
    flat_net = dict(NET, network_id='f1a70000-0000', network_type='flat', physical_network='p1')
    flat = segments.segment(flat_net, interface_mappings={'p1': 'phys1'})
    assert segments.ensure(run, flat) and segments.ensure(run, flat) == []
    assert link(ns, 'phys1')['master'] == 'brqf1a70000-00'
    on_bridge = segments.segment(dict(flat_net, physical_network='ext'), bridge_mappings={'ext': 'br-ext'})
    assert segments.ensure(run, on_bridge) == []
