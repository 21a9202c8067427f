# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""libvirt_network on the real qemu:///system: an isolated network with dnsmasq, driven
through the module (check, diff, idempotence) and the DHCP host helpers."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import subprocess
import sys
import time

import pytest

libvirt = pytest.importorskip('libvirt')

from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt import network as ln  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import open_connection  # noqa: E402

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(os.geteuid() != 0, reason='qemu:///system needs root')]

NET = 'nltest-net'
CIDR = '10.254.254.0/24'  # isolated: no <forward>, traffic stays on this machine
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)


def run_module(args, check=False, diff=False):
    """Run the module through the ansible CLI; returns (status, result dict)."""
    cmd = [os.path.join(BIN, 'ansible'), 'localhost', '-o', '-m', 'novalite.compute.libvirt_network',
           '-a', json.dumps(args)] + (['--check'] if check else []) + (['--diff'] if diff else [])
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, 'build', 'src'),
               ANSIBLE_NOCOLOR='1', ANSIBLE_LOCALHOST_WARNING='0',
               ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    out = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         universal_newlines=True, timeout=120, check=False).stdout
    line = [x for x in out.splitlines() if x.startswith('localhost | ')]
    assert line, out
    status, _sep, payload = line[-1][len('localhost | '):].partition(' => ')
    return status, json.loads(payload)


@pytest.fixture
def conn():
    c = open_connection('qemu:///system')
    ln.NetworkManager(c, NET, 'absent').run()  # leftovers of an interrupted run
    yield c
    ln.NetworkManager(c, NET, 'absent').run()
    c.close()


def dnsmasq_pid(name):
    try:
        with open('/run/libvirt/network/%s.pid' % name) as f:
            pid = int(f.read().strip())
        with open('/proc/%d/comm' % pid) as f:
            return pid if f.read().strip() == 'dnsmasq' else None
    except (IOError, OSError, ValueError):
        return None


def dnsmasq_hosts(name):
    path = '/var/lib/libvirt/dnsmasq/%s.hostsfile' % name
    if not os.path.exists(path):
        return ''
    with open(path) as f:
        return f.read()


def test_isolated_network_with_dhcp_hosts(conn):
    args = {'name': NET, 'cidr': CIDR, 'dhcp_start': '10.254.254.100',
            'dhcp_end': '10.254.254.200', 'autostart': False}

    status, predicted = run_module(args, check=True, diff=True)
    assert status == 'CHANGED' and predicted['actions'] == ['define', 'start']
    assert ln.network_by_name(conn, NET) is None  # check mode defined nothing

    status, created = run_module(args)
    assert status == 'CHANGED' and created['actions'] == predicted['actions']
    net = created['network']
    assert (net['forward_mode'], net['ipv4'], net['active']) == ('none', '10.254.254.1/24', True)
    assert net['dhcp'] == {'start': '10.254.254.100', 'end': '10.254.254.200'}
    assert dnsmasq_pid(NET), 'no dnsmasq serves %s' % NET

    status, again = run_module(args, diff=True)
    assert status == 'SUCCESS' and again['changed'] is False and again['actions'] == []

    # static host entries reach the running dnsmasq (live) and the definition (config)
    mac = 'fa:16:3e:7e:57:01'
    assert ln.add_dhcp_host(conn, NET, mac, '10.254.254.20', 'nltest-vm') is True
    assert ln.add_dhcp_host(conn, NET, mac, '10.254.254.20', 'nltest-vm') is False
    assert ln.dhcp_hosts(conn, NET) == [{'mac': mac, 'ip': '10.254.254.20', 'name': 'nltest-vm'}]
    assert '%s,10.254.254.20,nltest-vm' % mac in dnsmasq_hosts(NET)
    assert ln.add_dhcp_host(conn, NET, mac, '10.254.254.21', 'nltest-vm') is True
    assert '%s,10.254.254.21,nltest-vm' % mac in dnsmasq_hosts(NET)

    # a changed range redefines and restarts; the host entry and UUID survive
    status, changed = run_module(dict(args, dhcp_end='10.254.254.150'), diff=True)
    assert status == 'CHANGED' and changed['actions'] == ['define', 'restart']
    assert changed['network']['uuid'] == net['uuid'] and changed['network']['active']
    assert ln.dhcp_hosts(conn, NET) == [{'mac': mac, 'ip': '10.254.254.21', 'name': 'nltest-vm'}]
    assert dnsmasq_pid(NET)

    assert ln.remove_dhcp_host(conn, NET, mac) is True
    assert ln.remove_dhcp_host(conn, NET, mac) is False
    assert ln.dhcp_hosts(conn, NET) == [] and mac not in dnsmasq_hosts(NET)

    status, gone = run_module({'name': NET, 'state': 'absent'})
    assert status == 'CHANGED' and gone['actions'] == ['destroy', 'undefine']
    assert ln.network_by_name(conn, NET) is None
    deadline = time.time() + 10
    while dnsmasq_pid(NET) and time.time() < deadline:
        time.sleep(0.1)
    assert dnsmasq_pid(NET) is None
