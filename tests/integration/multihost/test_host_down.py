# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A hypervisor that cannot answer - its libvirtd stopped, or unreachable over SSH - fails
nothing it does not hold: a create whose servers were built elsewhere succeeds and names it
as a warning; a delete of servers on several hosts deletes the others, names the host and
why, and leaves its server for later. With libvirtd down the delete of a uuid is recorded on
the host and the next reconcile run does it (Nova's delete of an instance whose compute
service is down, and `_cleanup_running_deleted_instances`); an unreachable host keeps the
server until a delete once it is back."""
import pytest

from multihost.cross_host import (
    NO_DEBRIS, PACK_ONLY, debris, delete_servers, host_contents, run, server_request, servers,
    start_libvirtd, stop_libvirtd, unique_name, write_inventory,
)

pytestmark = pytest.mark.integration


class Stopped(object):
    """A host's libvirtd stopped for the with-block, and always started again."""

    def __init__(self, testbed, host):
        self.testbed, self.host, self.down = testbed, host, False

    def __enter__(self):
        stop_libvirtd(self.testbed, self.host)
        self.down = True
        return self

    def start(self):
        if self.down:
            start_libvirtd(self.testbed, self.host)
            self.down = False

    def __exit__(self, *exc):
        self.start()


def flat(output):
    """The output with its lines joined: Ansible wraps a long message over several lines."""
    return ' '.join(output.split())


def create_in(inventory, name, zone):
    created = run('create_server', inventory, {
        'novalite_server': server_request(name, availability_zone=zone), 'novalite_if_exists': 'create'})
    assert created.rc == 0, created
    return created


def everywhere(testbed, name):
    return servers(dict((host, host_contents(testbed, host)) for host in testbed.hosts), name)


def assert_no_debris(testbed):
    for host in testbed.hosts:
        assert debris(host_contents(testbed, host)) == NO_DEBRIS, host


def test_a_create_succeeds_when_an_unrelated_hypervisor_has_libvirtd_down(prepared_testbed, tmp_path):
    testbed = prepared_testbed
    down = testbed.hosts[-1]
    inventory = write_inventory(testbed, tmp_path / 'inventory', {})
    name = unique_name('up')
    try:
        with Stopped(testbed, down):
            created = run('create_server', inventory, {'novalite_server': server_request(name),
                                                       'novalite_scheduler': PACK_ONLY})
        assert created.rc == 0, created
        assert '%s could not report its host state: libvirt (qemu:///system): Failed to connect socket' % down \
            in flat(created.output), created
        [(server_uuid, server)] = everywhere(testbed, name).items()
        assert server['host'] != down and (server['vm_state'], server['running']) == ('active', True)
    finally:
        delete_servers(testbed, inventory, name)


def test_a_delete_while_libvirtd_is_down_is_recorded_and_the_reconciler_does_it(prepared_testbed, tmp_path):
    testbed = prepared_testbed
    down, up = testbed.hosts[:2]
    inventory = write_inventory(testbed, tmp_path / 'inventory', {})
    name = unique_name('gone')
    try:
        create_in(inventory, name + '-a', 'az1')
        create_in(inventory, name + '-b', 'az2')
        found = everywhere(testbed, name)
        on_down = [u for u, s in found.items() if s['host'] == down]
        on_up = [u for u, s in found.items() if s['host'] == up]
        assert len(on_down) == 1 and len(on_up) == 1, found
        with Stopped(testbed, down) as libvirtd:
            deleted = run('delete_server', inventory, {'novalite_server_id': on_down + on_up})
            # The other host's server went meanwhile; this one's answer names the host and why.
            assert list(servers({up: host_contents(testbed, up)}, name)) == []
            libvirtd.start()
        assert deleted.rc != 0, deleted
        assert ("No server with a name or ID of '%s' exists on the hypervisors that answered; %s did not "
                "answer and may hold it (libvirt (qemu:///system): Failed to connect socket" % (on_down[0], down)) \
            in flat(deleted.output), deleted
        assert 'the delete is recorded there, for its reconciler once libvirtd is back' in flat(deleted.output), deleted
        # Back: the server is there still, until the reconciler does the recorded delete.
        assert list(everywhere(testbed, name)) == on_down
        reconciled = run('reconcile', inventory)
        assert reconciled.rc == 0, reconciled
        assert 'deleted=1' in reconciled.output, reconciled
        assert everywhere(testbed, name) == {}
        assert_no_debris(testbed)
    finally:
        delete_servers(testbed, inventory, name)


def test_a_delete_with_a_hypervisor_unreachable_deletes_the_others_and_keeps_its_server(prepared_testbed, tmp_path):
    testbed = prepared_testbed
    away, up = testbed.hosts[:2]
    inventory = write_inventory(testbed, tmp_path / 'inventory', {})
    # The same hosts, the first one's SSH port closed: the controller cannot reach it.
    cut_off = write_inventory(testbed, tmp_path / 'cut-off', {away: {'ansible_port': 1}})
    name = unique_name('away')
    try:
        create_in(inventory, name + '-a', 'az1')
        create_in(inventory, name + '-b', 'az2')
        found = everywhere(testbed, name)
        on_away = [u for u, s in found.items() if s['host'] == away]
        on_up = [u for u, s in found.items() if s['host'] == up]
        deleted = run('delete_server', cut_off, {'novalite_server_id': on_away + on_up})
        assert deleted.rc != 0, deleted
        assert ("No server with a name or ID of '%s' exists on the hypervisors that answered; %s did not "
                "answer and may hold it (unreachable: " % (on_away[0], away)) in flat(deleted.output), deleted
        assert list(everywhere(testbed, name)) == on_away
        # Back within reach: a delete removes it.
        again = run('delete_server', inventory, {'novalite_server_id': on_away})
        assert again.rc == 0, again
        assert everywhere(testbed, name) == {}
        assert_no_debris(testbed)
    finally:
        delete_servers(testbed, inventory, name)
