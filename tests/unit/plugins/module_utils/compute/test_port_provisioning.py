# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A build's DHCP entries added in the background and waited for before the guest runs,
against libvirt's test driver (its networks take DHCP host updates; it cannot start a guest
paused, so the paused start is shown through a connection that reports itself as QEMU's)."""

import shutil

import pytest

libvirt = pytest.importorskip('libvirt')

from ansible_collections.novalite.compute.plugins.module_utils.compute import build  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import port_provisioning  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute.port_provisioning import (  # noqa: E402
    DhcpEntries,
)
from ansible_collections.novalite.compute.plugins.module_utils.errors import ValidationError  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.network import (  # noqa: E402
    add_dhcp_host, dhcp_hosts,
)

from build_fixtures import UUID, params, runner, server  # noqa: E402

NET = 'nltest-unit'


def named(conn, name):
    """name_for of a build whose host name is `name`: None once another entry has it."""
    return lambda network: None if any(e['name'] == name for e in dhcp_hosts(conn, network)) else name


def test_entries_are_added_in_the_background_and_waited_for(host):
    entries = DhcpEntries(host, [(NET, 'fa:16:3e:00:00:01', '10.254.253.21'),
                                 (NET, 'fa:16:3e:00:00:02', '10.254.253.22')], named(host, 'web-1')).start()
    entries.wait()
    assert dhcp_hosts(host, NET) == [{'mac': 'fa:16:3e:00:00:01', 'ip': '10.254.253.21', 'name': 'web-1'},
                                     {'mac': 'fa:16:3e:00:00:02', 'ip': '10.254.253.22', 'name': None}]
    assert entries.seconds is not None and entries.seconds >= 0


def test_an_entry_that_cannot_be_added_is_raised_by_wait(host):
    add_dhcp_host(host, NET, 'fa:16:3e:00:00:09', '10.254.253.21', 'other')
    entries = DhcpEntries(host, [(NET, 'fa:16:3e:00:00:01', '10.254.253.21')], named(host, 'web-1')).start()
    with pytest.raises(ValidationError) as err:
        entries.wait()
    assert err.value.field == 'ip' and 'already given to fa:16:3e:00:00:09' in str(err.value)
    assert [e['mac'] for e in dhcp_hosts(host, NET)] == ['fa:16:3e:00:00:09']


def test_a_name_taken_after_it_was_chosen_leaves_the_lease_unnamed(host):
    """Another build's entry got the name between the choice and the update: libvirt refuses
    the second entry of that name, and the entry is added without one."""
    chosen = []

    def name_for(network):
        if not chosen:  # chosen while the name was free; the other entry lands right after
            chosen.append('web-1')
            add_dhcp_host(host, network, 'fa:16:3e:00:00:09', '10.254.253.29', 'web-1')
            return 'web-1'
        return named(host, 'web-1')(network)
    DhcpEntries(host, [(NET, 'fa:16:3e:00:00:01', '10.254.253.21')], name_for).start().wait()
    assert sorted((e['ip'], e['name']) for e in dhcp_hosts(host, NET)) == [
        ('10.254.253.21', None), ('10.254.253.29', 'web-1')]


def test_a_failure_with_the_name_still_free_is_not_retried(host):
    calls = []

    def name_for(network):
        calls.append(network)
        return 'web-1'
    entries = DhcpEntries(host, [('nltest-missing', 'fa:16:3e:00:00:01', '10.254.253.21')], name_for).start()
    with pytest.raises(libvirt.libvirtError):
        entries.wait()
    assert calls == ['nltest-missing', 'nltest-missing']


class BindingNetwork(object):
    """A network whose guest port is bound at the third look (as libvirt binds it during the
    guest's start); its DHCP updates go to the test driver's network."""

    def __init__(self, net, log):
        self.net, self.log, self.looks = net, log, 0

    def __getattr__(self, name):
        return getattr(self.net, name)

    def listAllPorts(self):
        self.looks += 1
        self.log.append('look')
        return [Port()] if self.looks >= 3 else []

    def update(self, *args):
        self.log.append('update')
        return self.net.update(*args)


class Port(object):
    def XMLDesc(self):
        return "<networkport><mac address='FA:16:3E:00:00:01'/></networkport>"


def test_the_entries_follow_the_binding_of_the_guest_ports(host):
    log = []
    network = BindingNetwork(host.networkLookupByName(NET), log)

    class Conn(object):
        def __getattr__(self, name):
            return getattr(host, name)

        def networkLookupByName(self, name):
            return network
    entries = DhcpEntries(Conn(), [(NET, 'fa:16:3e:00:00:01', '10.254.253.21')], lambda net: None).start()
    while network.looks < 3:
        pass  # the guest's start is under way: the thread looks, and adds once the port is bound
    entries.wait()
    assert log == ['look', 'look', 'look', 'update']
    assert [e['mac'] for e in dhcp_hosts(host, NET)] == ['fa:16:3e:00:00:01']


def test_a_cancelled_build_adds_no_entry(host):
    entries = DhcpEntries(host, [(NET, 'fa:16:3e:00:00:01', '10.254.253.21')], lambda net: None)
    entries.cancel()  # the build failed before its guest's start: the thread never ran
    entries.start().cancel()
    assert dhcp_hosts(host, NET) == [] and entries.error is None


class QemuLike(object):
    """The test driver's connection, reporting itself as QEMU's; its domains start "paused"
    as the test driver can (started, then suspended) and note what they saw on resume."""

    def __init__(self, conn):
        self.conn, self.seen = conn, []

    def __getattr__(self, name):
        return getattr(self.conn, name)

    def getType(self):
        return 'QEMU'

    def defineXML(self, xml):
        return PausableDomain(self.conn.defineXML(xml), self)


class PausableDomain(object):
    def __init__(self, dom, conn):
        self.dom, self.conn = dom, conn

    def __getattr__(self, name):
        return getattr(self.dom, name)

    def createWithFlags(self, flags):
        self.conn.seen.append(('create', flags))
        self.dom.createWithFlags(0)
        if flags & libvirt.VIR_DOMAIN_START_PAUSED:
            self.dom.suspend()

    def resume(self):
        self.conn.seen.append(('resume', [e['mac'] for e in dhcp_hosts(self.conn.conn, NET)]))
        self.dom.resume()


@pytest.mark.skipif(shutil.which('qemu-img') is None, reason='needs qemu-img')
def test_a_qemu_guest_starts_paused_and_runs_once_its_entry_is_in_place(host, tmp_path, catalog):
    conn = QemuLike(host)
    result = build.Builder(conn, params(tmp_path, server(catalog)), runner).build()
    mac = result['server']['ports'][0]['mac']
    assert conn.seen == [('create', libvirt.VIR_DOMAIN_START_PAUSED), ('resume', [mac])]
    assert host.lookupByUUIDString(UUID).state()[0] == libvirt.VIR_DOMAIN_RUNNING
    assert set(result['network_timings']) == {'plug', 'firewall', 'dhcp', 'dhcp_wait'}


@pytest.mark.skipif(shutil.which('qemu-img') is None, reason='needs qemu-img')
def test_a_failed_entry_fails_the_paused_guest_at_the_network_step_and_leaves_nothing(
        host, tmp_path, catalog, monkeypatch):
    def refused(*_args):
        raise libvirt.libvirtError('network update refused')
    monkeypatch.setattr(port_provisioning, 'add_dhcp_host', refused)
    conn = QemuLike(host)
    with pytest.raises(build.BuildError) as err:
        build.Builder(conn, params(tmp_path, server(catalog)), runner).build()
    assert (err.value.step, err.value.reschedule) == ('network', False)
    assert 'network update refused' in err.value.cause
    assert conn.seen == [('create', libvirt.VIR_DOMAIN_START_PAUSED)]
    assert host.listAllDomains() == [] and dhcp_hosts(host, NET) == []
    assert not (tmp_path / 'instances' / UUID).exists()
