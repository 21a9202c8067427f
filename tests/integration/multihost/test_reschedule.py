# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reschedule across hosts: a build that really fails on the selected host (claim refused,
libvirtd stopped, image cache not writable) moves to the instance's next alternate; the
failed host keeps nothing of it, and counts the failure when it was the host's fault, which
the BuildFailureWeigher then steers away from until the host builds again.

The weighers stack (fewest free vCPUs first) and the hosts' capacity is set per test, so the
selected host is the first of the testbed, its first alternate the second."""
import os
import re
import shutil

import pytest

from multihost.cross_host import (
    BUILD_TASK, GATHER_TASK, NO_DEBRIS, PACK, PACK_ONLY, debris, delete_servers, host_contents,
    host_states, nano_capacity, run, server_request, servers, start_libvirtd, stop_libvirtd,
    task_results, traces_of, unique_name, write_inventory,
)

pytestmark = pytest.mark.integration


def capacity_inventory(testbed, totals, path, nanos, **first_host_vars):
    """An inventory in which the hosts fit `nanos` m1.nano each (in host order)."""
    host_vars = dict((host, nano_capacity(totals[host], n)) for host, n in zip(testbed.hosts, nanos))
    host_vars[testbed.hosts[0]].update(first_host_vars)
    return write_inventory(testbed, path, host_vars)


def create(inventory, name, scheduler, server=None, **extra_vars):
    # These tests build more servers of one name on purpose: Nova's plain POST /servers
    # (novalite_if_exists: create), not the by-name default that returns the existing one.
    extra_vars.setdefault('novalite_if_exists', 'create')
    return run('create_server', inventory, dict(extra_vars, novalite_server=server_request(name, **(server or {})),
                                                novalite_scheduler=scheduler))


def everything(testbed, **paths_of_first):
    contents = dict((host, host_contents(testbed, host)) for host in testbed.hosts[1:])
    contents[testbed.hosts[0]] = host_contents(testbed, testbed.hosts[0], **paths_of_first)
    return contents


def assert_moved_to_the_alternate(testbed, created, contents, name, failure, others=()):
    """The build failed on the first host (`failure`: a regex of its message) and was built on the second;
    the first host keeps nothing of it and no host keeps anything of no server. `others`:
    servers of the same name made before."""
    first, alternate = testbed.hosts[:2]
    assert created.rc == 0, created
    rounds = task_results(created.output, BUILD_TASK)
    assert rounds[:2] == [{first: 'failed'}, {alternate: 'changed'}], rounds
    assert re.search(failure, created.output), created
    [(server_uuid, server)] = [item for item in servers(contents, name).items() if item[0] not in others]
    assert (server['host'], server['vm_state'], server['running']) == (alternate, 'active', True)
    assert traces_of(contents[first], server_uuid) == []
    for host in testbed.hosts:
        assert debris(contents[host]) == NO_DEBRIS, host


def test_claim_refused_on_a_stale_host_state(prepared_testbed, vcpu_totals, tmp_path):
    """This controller's rows say the first host is empty; another controller (its own
    database) filled it meanwhile. The claim there refuses, the alternate builds."""
    testbed = prepared_testbed
    first = testbed.hosts[0]
    inventory = capacity_inventory(testbed, vcpu_totals, tmp_path / 'inventory', (1, 3, 4))
    name = unique_name('claim')
    before = host_states(inventory, tmp_path / 'before.json')
    try:
        other = run('create_server', inventory, {'novalite_server': server_request(name),
                                                 'novalite_scheduler': PACK_ONLY},
                    database=tmp_path / 'other-controller.sqlite')
        assert other.rc == 0, other
        filler = list(servers({first: host_contents(testbed, first)}, name))
        assert len(filler) == 1, filler

        created = create(inventory, name, PACK_ONLY)
        # Scheduled on the rows: no host was asked, so the first host looked empty.
        assert task_results(created.output, GATHER_TASK) == []
        contents = everything(testbed)
        assert_moved_to_the_alternate(testbed, created, contents, name,
                                      r'failed on %s at step claim: .*VCPU: requested 1, used 1 of capacity 1' % first,
                                      others=filler)
        assert list(contents[first]['domains']) == filler
        # A refused claim is placement's answer, not a fault of the host: nothing counted.
        assert contents[first]['failed_builds'] == before[first]['failed_builds']
    finally:
        delete_servers(testbed, inventory, name)


def test_libvirtd_stopped_on_the_selected_host(prepared_testbed, vcpu_totals, tmp_path):
    """libvirtd stops after the host reported (the state comes from its row)."""
    testbed = prepared_testbed
    first = testbed.hosts[0]
    inventory = capacity_inventory(testbed, vcpu_totals, tmp_path / 'inventory', (2, 3, 4))
    name = unique_name('down')
    before = host_states(inventory, tmp_path / 'before.json')
    try:
        stop_libvirtd(testbed, first)
        try:
            created = create(inventory, name, PACK_ONLY)
        finally:
            start_libvirtd(testbed, first)
        contents = everything(testbed)
        assert_moved_to_the_alternate(testbed, created, contents, name,
                                      r'libvirt \(qemu:///system\): Failed to connect socket')
        assert contents[first]['failed_builds'] == before[first]['failed_builds'] + 1
    finally:
        delete_servers(testbed, inventory, name)


def test_image_cache_not_writable_then_weighed_down_until_a_build_succeeds(prepared_testbed, vcpu_totals, tmp_path):
    """The first host's state path has a file where its image cache directory belongs."""
    testbed = prepared_testbed
    first, alternate = testbed.hosts[:2]
    name = unique_name('image')
    state_path = '/var/lib/novalite/%s' % name                    # as the first host sees it
    on_controller = os.path.join(testbed.state_dir(first), name)
    os.makedirs(on_controller)
    with open(os.path.join(on_controller, '_base'), 'w') as f:
        f.write('not a directory\n')
    inventory = capacity_inventory(testbed, vcpu_totals, tmp_path / 'inventory', (2, 4, 5),
                                   novalite_state_path=state_path)
    try:
        created = create(inventory, name, PACK_ONLY)
        assert_moved_to_the_alternate(testbed, created, everything(testbed, state_path=state_path), name,
                                      r"failed on %s at step image: .*File exists: '%s/_base'" % (first, state_path))
        states = host_states(inventory, tmp_path / 'failed.json')
        assert states[first]['failed_builds'] == 1

        # The cache can be written again, and the first host still packs best: the
        # BuildFailureWeigher sends the next server to the alternate without trying it.
        os.remove(os.path.join(on_controller, '_base'))
        steered = create(inventory, name, PACK)
        assert steered.rc == 0, steered
        assert task_results(steered.output, BUILD_TASK)[0] == {alternate: 'changed'}

        # A build that succeeds on the host resets its count (Nova's _build_succeeded).
        pinned = create(inventory, name, PACK, server={'availability_zone': states[first]['availability_zone']})
        assert pinned.rc == 0, pinned
        assert task_results(pinned.output, BUILD_TASK)[0] == {first: 'changed'}
        assert host_contents(testbed, first, state_path=state_path)['failed_builds'] == 0
    finally:
        delete_servers(testbed, inventory, name)
        shutil.rmtree(on_controller)
