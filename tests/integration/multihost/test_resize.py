# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resize to another host (cold migration) through the playbooks, on a real guest: refused
over the upsize quota; m1.nano to m1.small with the scheduler's destination refusing the
claim (another controller filled it behind this one's rows) so its alternate takes it,
confirmed; then m1.small to m1.micro on another host, reverted. At each step, each host's usage (its own report and the fleet database's row)
and what it holds are checked: the destination counts the new flavor, the source its shut-off
copy with the old one, and after the confirm or revert nothing is left where the server is
not. The wall time of each playbook run is printed (pytest -s shows it).

The testbed has one zone a host (hv1 az1, hv2 az2, hv3 az3): a server that asked for no zone
moves to any of them, one that asked for az1 is resized nowhere but on hv1 (Nova's
RequestSpec.availability_zone, kept in the record's `request_spec`). The record's own zone
(OS-EXT-AZ:availability_zone) is its host's: the destination's after a resize (Nova's migrate
task), kept by the confirm, the source's again after a revert (Nova's revert_resize); the zone
asked for stays what the create asked.

A run killed (the controller's process group and the paused module, SIGKILL) after the
destination's finish: before the source's commit the server ends back on its source, after it
resized on its destination, once the reconcile playbook has run; never only the source's
hidden copy, never two guests running.

Capacities (vCPUs through the allocation ratio): hv1 3, hv2 3, hv3 6; the weighers stack
(fewest free vCPUs first), so from hv1 the scheduler picks hv2 then hv3."""
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import time

import pytest

from conftest import REPO
from multihost.cross_host import (
    NO_DEBRIS, PACK_ONLY, _command, _env, debris, delete_servers, host_contents, host_states,
    nano_capacity, run, server_request, servers, start_libvirtd, stop_libvirtd, traces_of, unique_name,
    write_inventory,
)

pytestmark = pytest.mark.integration

from ansible_collections.novalite.compute.plugins.module_utils.compute import journal  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.fleet import compute_nodes  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.fleet.db import Database  # noqa: E402

NANO, SMALL, MICRO = 1, 2, 1          # vCPUs
DISK_SECTORS = {'m1.nano': 1 * 2097152, 'm1.small': 2 * 2097152}


def timed(label, playbook, inventory, extra_vars):
    start = time.monotonic()
    done = run(playbook, inventory, extra_vars)
    print('wall time %-24s %5.1f s  rc=%d' % (label, time.monotonic() - start, done.rc))
    return done


def flat(text):
    """`text` with every run of whitespace as one space (a long message may be wrapped)."""
    return ' '.join(text.split())


def fleet_rows(inventory, hosts, server_uuid):
    """({host: vcpus used in its row}, the server's instance row host) in the fleet database."""
    with Database('sqlite:///' + os.path.join(inventory, '.fleet.sqlite')) as db:
        states = compute_nodes.host_states(db, hosts)
        row = db.row('SELECT host, vcpus FROM instances WHERE uuid = ?', (server_uuid,))
    return dict((state['host'], state['vcpus_used']) for state in states), row


def records(contents, server_uuid):
    """{host: (vm_state, flavor vCPUs, running)} of the server's domains on each host."""
    found = {}
    for host, held in contents.items():
        dom = held['domains'].get(server_uuid)
        if dom is not None:
            found[host] = (dom['record']['vm_state'], dom['record']['vcpus'], dom['running'])
    return found


def capacity_vars(testbed, vcpu_totals):
    """Each host's variables for the capacities of this module (hv1 3, hv2 3, hv3 6 m1.nano)."""
    return dict((host, nano_capacity(vcpu_totals[host], n)) for host, n in zip(testbed.hosts, (3, 3, 6)))


def created_on(testbed, inventory, name, host, zone=None):
    """Create the m1.nano server `name`, in `zone` when given (PACK_ONLY puts it on `host`,
    the first by name of the emptiest hosts); its uuid there."""
    asked = {'availability_zone': zone} if zone else {}
    created = run('create_server', inventory, {
        'novalite_server': server_request(name, **asked), 'novalite_scheduler': PACK_ONLY})
    assert created.rc == 0, created
    (server_uuid,) = [u for u, dom in host_contents(testbed, host)['domains'].items()
                      if dom['record'] and dom['record']['name'] == name]
    return server_uuid


_ZONES = r"""
import json, sys
import libvirt
from xml.etree import ElementTree
dom = libvirt.open('qemu:///system').lookupByUUIDString(sys.argv[1])
root = ElementTree.fromstring(dom.metadata(
    libvirt.VIR_DOMAIN_METADATA_ELEMENT, 'http://novalite.compute/xmlns/server/1.0', 0))
def child(elem, name):
    # the record's children come back without their namespace: match local names
    return next((c for c in elem if c.tag.split('}')[-1] == name), None)
def value(elem):
    return None if elem is None or elem.get('type') == 'null' else elem.text
spec = child(root, 'request_spec')
asked = (None if spec is None or spec.get('type') == 'null'
         else {'availability_zone': value(child(spec, 'availability_zone'))})
print(json.dumps([value(child(root, 'availability_zone')), asked]))
"""


def record_zones(testbed, host, server_uuid):
    """(the record's availability_zone, its request_spec) on `host`, read inside the host."""
    found = testbed.enter(host, os.path.join(REPO, '.venv', 'bin', 'python'), '-c', _ZONES, server_uuid)
    assert found.returncode == 0, found.stdout
    return tuple(json.loads(found.stdout))


def listed_zones(listed):
    """The OS-EXT-AZ:availability_zone of each server server_list showed."""
    return re.findall(r'^\s+OS-EXT-AZ:availability_zone: (\S+)$', listed.output, re.M)


def console_line(inventory, target, line, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        shown = run('console_log', inventory, target)
        if shown.rc == 0 and line in shown.output:
            return
        assert time.monotonic() < deadline, shown
        time.sleep(2)


def test_resize_to_another_host_confirm_then_revert(prepared_testbed, vcpu_totals, tmp_path):
    testbed = prepared_testbed
    hv1, hv2, hv3 = testbed.hosts
    inventory = write_inventory(testbed, tmp_path / 'inventory', capacity_vars(testbed, vcpu_totals))
    name = unique_name('migrate')
    cross = {'novalite_allow_resize_to_same_host': False, 'novalite_scheduler': PACK_ONLY}

    def everything():
        return dict((host, host_contents(testbed, host)) for host in testbed.hosts)

    def settled(expected):
        """Each host holds the server's domains as `expected` and no debris."""
        held = everything()
        assert records(held, server_uuid) == expected
        for host in testbed.hosts:
            assert debris(held[host]) == NO_DEBRIS, host

    def counted(label, reported, rows, instance_row):
        """The vCPUs each host counts: in the fleet database's rows of the hosts the run
        reported (`rows`), the server's instance row (`instance_row`'s fields), and as every
        host reports now (`reported`)."""
        found, row = fleet_rows(inventory, testbed.hosts, server_uuid)
        assert dict((host, found[host]) for host in rows) == rows
        assert dict((key, row[key]) for key in instance_row) == instance_row
        states = host_states(inventory, tmp_path / ('%s.json' % label))
        assert dict((host, states[host]['vcpus_used']) for host in testbed.hosts) == reported

    try:
        server_uuid = created_on(testbed, inventory, name, hv1)
        target = {'novalite_server_id': server_uuid}
        # asked for no zone: its host's zone is its own, and none is asked of a resize
        assert record_zones(testbed, hv1, server_uuid) == ('az1', {'availability_zone': None})
        console_line(inventory, target, 'NOVALITE-DISK vda sectors=%d' % DISK_SECTORS['m1.nano'])

        # Nova's upsize quota check: 1 core more over a limit of 1, nothing changes
        refused = run('resize_server', inventory, dict(target, **cross, novalite_flavor='m1.small',
                                                       novalite_quotas={'defaults': {'cores': 1}}))
        assert refused.rc != 0, refused
        assert 'Quota exceeded for cores: Requested 1, but already used 1 of 1 cores' in flat(refused.output), refused
        assert records(everything(), server_uuid) == {hv1: ('active', NANO, True)}

        # Another controller (a database of its own) fills hv2 behind this one's rows, fresh
        # just before (and not refreshed by the resize: no heartbeat age check this once): the
        # scheduler's choice, hv2, refuses the claim and its alternate hv3 takes the server.
        host_states(inventory, tmp_path / 'before-filler.json')
        filler = run('create_server', inventory, {
            'novalite_server': server_request(name + '-filler', flavorRef='m1.small', availability_zone='az2'),
            'novalite_scheduler': PACK_ONLY}, database=tmp_path / 'other-controller.sqlite')
        assert filler.rc == 0, filler
        resized = timed('resize (to an alternate)', 'resize_server', inventory,
                        dict(target, **dict(cross, novalite_scheduler=dict(PACK_ONLY, service_down_time=600)),
                             novalite_flavor='m1.small', schedule_heartbeat_max_age=-1))
        assert resized.rc == 0, resized
        assert re.search(r'Insufficient compute resources for instance %s: VCPU: requested 2, used 2 of '
                         r'capacity 3' % server_uuid, flat(resized.output)), resized
        held = everything()
        assert records(held, server_uuid) == {hv1: ('resized', NANO, False), hv3: ('resized', SMALL, True)}
        assert server_uuid + '_resize' in held[hv1]['instances'] and server_uuid not in held[hv1]['instances']
        assert held[hv2]['domains'].get(server_uuid) is None and held[hv2]['claims'] == []
        assert held[hv3]['claims'] == []
        # both hosts report at the end of the run: the source counts its old flavor, the
        # destination its new one, and the instance's row is the destination's
        counted('resized', {hv1: NANO, hv2: SMALL, hv3: SMALL}, {hv1: NANO, hv3: SMALL},
                {'host': hv3, 'vcpus': SMALL})
        # in its destination's zone; the source's copy keeps the source's, and what the
        # create asked for (no zone) is unchanged
        assert record_zones(testbed, hv3, server_uuid) == ('az3', {'availability_zone': None})
        assert record_zones(testbed, hv1, server_uuid) == ('az1', {'availability_zone': None})
        # shown once, on its destination and in its zone, VERIFY_RESIZE with both flavors
        listed = run('server_list', inventory, target)
        assert listed.rc == 0, listed
        assert re.findall(r'^\s+OS-EXT-SRV-ATTR:host: (\S+)$', listed.output, re.M) == [hv3], listed
        assert listed_zones(listed) == ['az3'], listed
        assert 'VERIFY_RESIZE' in re.findall(r'^\s+status: (\S+)$', listed.output, re.M), listed
        console_line(inventory, target, 'NOVALITE-DISK vda sectors=%d' % DISK_SECTORS['m1.small'])

        confirmed = timed('confirm (cross-host)', 'confirm_resize', inventory, target)
        assert confirmed.rc == 0, confirmed
        settled({hv3: ('active', SMALL, True)})
        counted('confirmed', {hv1: 0, hv2: SMALL, hv3: SMALL}, {hv1: 0, hv3: SMALL}, {'host': hv3})
        assert record_zones(testbed, hv3, server_uuid) == ('az3', {'availability_zone': None})

        # m1.small -> m1.micro (an ephemeral and a swap disk more) from hv3: to hv2 (1 vCPU
        # free beside the filler: the weighers stack), reverted
        resized = timed('resize (second)', 'resize_server', inventory,
                        dict(target, **cross, novalite_flavor='m1.micro'))
        assert resized.rc == 0, resized
        held = everything()
        assert records(held, server_uuid) == {hv3: ('resized', SMALL, False), hv2: ('resized', MICRO, True)}
        counted('resized-again', {hv1: 0, hv2: SMALL + MICRO, hv3: SMALL}, {hv2: SMALL + MICRO, hv3: SMALL},
                {'host': hv2, 'vcpus': MICRO})
        assert record_zones(testbed, hv2, server_uuid) == ('az2', {'availability_zone': None})
        assert record_zones(testbed, hv3, server_uuid) == ('az3', {'availability_zone': None})   # its copy
        reverted = timed('revert (cross-host)', 'revert_resize', inventory, target)
        assert reverted.rc == 0, reverted
        settled({hv3: ('active', SMALL, True)})
        counted('reverted', {hv1: 0, hv2: SMALL, hv3: SMALL}, {hv2: SMALL, hv3: SMALL},
                {'host': hv3, 'vcpus': SMALL})
        # back in its source's zone
        assert record_zones(testbed, hv3, server_uuid) == ('az3', {'availability_zone': None})
        listed = run('server_list', inventory, target)
        assert listed.rc == 0, listed
        assert listed_zones(listed) == ['az3'], listed
        console_line(inventory, target, 'NOVALITE-DISK vda sectors=%d' % DISK_SECTORS['m1.small'])
    finally:
        delete_servers(testbed, inventory, name)
    held = everything()
    for host in testbed.hosts:
        assert debris(held[host]) == NO_DEBRIS, host
        assert server_uuid not in held[host]['domains']


def test_a_destination_that_fails_to_finish_leaves_the_server_on_its_source(prepared_testbed, vcpu_totals, tmp_path):
    """The scheduler's choice, hv2, claims the new flavor but cannot finish (a file where its
    image cache belongs): nothing of the server stays there and it runs again on hv1, with the
    fault recorded."""
    testbed = prepared_testbed
    hv1, hv2, hv3 = testbed.hosts
    name = unique_name('unfinished')
    state_path = '/var/lib/novalite/%s' % name                     # as hv2 sees it
    on_controller = os.path.join(testbed.state_dir(hv2), name)
    os.makedirs(on_controller)
    with open(os.path.join(on_controller, '_base'), 'w') as f:
        f.write('not a directory\n')
    host_vars = capacity_vars(testbed, vcpu_totals)
    host_vars[hv2]['novalite_state_path'] = state_path
    inventory = write_inventory(testbed, tmp_path / 'inventory', host_vars)
    try:
        server_uuid = created_on(testbed, inventory, name, hv1)
        target = {'novalite_server_id': server_uuid}
        failed = timed('resize (finish fails)', 'resize_server', inventory, dict(
            target, novalite_flavor='m1.small', novalite_allow_resize_to_same_host=False,
            novalite_scheduler=PACK_ONLY))
        assert failed.rc != 0, failed
        assert 'Resize of instance %s to %s failed' % (server_uuid, hv2) in flat(failed.output), failed
        assert "File exists: '%s/_base'" % state_path in flat(failed.output), failed
        held = dict((host, host_contents(testbed, host)) for host in (hv1, hv3))
        held[hv2] = host_contents(testbed, hv2, state_path=state_path)
        assert records(held, server_uuid) == {hv1: ('active', NANO, True)}
        for host in testbed.hosts:
            assert debris(held[host]) == NO_DEBRIS, host
        assert held[hv1]['instances'] == [server_uuid] and held[hv2]['instances'] == []
        assert os.listdir(os.path.join(on_controller, '_staging')) == []
        shown = run('server_list', inventory, target)
        assert shown.rc == 0 and re.findall(r'^\s+status: (\S+)$', shown.output, re.M)[:1] == ['ACTIVE'], shown
        states = host_states(inventory, tmp_path / 'after.json')
        assert (states[hv1]['vcpus_used'], states[hv2]['vcpus_used']) == (NANO, 0)
    finally:
        delete_servers(testbed, inventory, name)
        shutil.rmtree(on_controller)


def test_a_server_that_asked_for_a_zone_is_not_resized_out_of_it(prepared_testbed, vcpu_totals, tmp_path):
    """Created in az1 (hv1's zone), it asks for az1 again when resized: with its own host
    ignored no host is left, and it stays as it was on hv1."""
    testbed = prepared_testbed
    hv1 = testbed.hosts[0]
    name = unique_name('zoned')
    inventory = write_inventory(testbed, tmp_path / 'inventory', capacity_vars(testbed, vcpu_totals))
    try:
        server_uuid = created_on(testbed, inventory, name, hv1, zone='az1')
        assert record_zones(testbed, hv1, server_uuid) == ('az1', {'availability_zone': 'az1'})
        refused = timed('resize (zone kept)', 'resize_server', inventory, dict(
            novalite_server_id=server_uuid, novalite_flavor='m1.small',
            novalite_allow_resize_to_same_host=False, novalite_scheduler=PACK_ONLY))
        assert refused.rc != 0, refused
        assert 'No valid host was found.' in flat(refused.output), refused
        assert re.search(r'AvailabilityZoneFilter removed .*in availability zone az\d, az1 requested',
                         flat(refused.output)), refused
        held = dict((host, host_contents(testbed, host)) for host in testbed.hosts)
        assert records(held, server_uuid) == {hv1: ('active', NANO, True)}
        for host in testbed.hosts:
            assert debris(held[host]) == NO_DEBRIS, host
    finally:
        delete_servers(testbed, inventory, name)


# ---- a run killed between the finish on the destination and its `finished` ------------------

def pausing(testbed, host_vars, hosts, point, pause_name):
    """`host_vars` with the modules on `hosts` run by a Python whose environment selects the
    pause point `point` (journal.pause_point), pause file /var/lib/novalite/<pause_name>: a
    wrapper in each host's state directory (Ansible takes the interpreter as one path)."""
    python = os.path.join(REPO, '.venv', 'bin', 'python')
    for host in hosts:
        with open(os.path.join(testbed.state_dir(host), pause_name + '.python'), 'w') as f:
            f.write('#!/bin/sh\nexport %s=%s %s=/var/lib/novalite/%s\nexec %s "$@"\n' % (
                journal.PAUSE_AT_ENV, point, journal.PAUSE_FILE_ENV, pause_name, python))
        os.chmod(f.name, 0o755)
        host_vars[host]['ansible_python_interpreter'] = '/var/lib/novalite/%s.python' % pause_name
    return host_vars


def unpaused(testbed, pause_name):
    """The pause wrappers of `pause_name` removed from every host."""
    for host in testbed.hosts:
        path = os.path.join(testbed.state_dir(host), pause_name + '.python')
        if os.path.exists(path):
            os.unlink(path)


@contextlib.contextmanager
def cleaned_up(testbed, inventory, name, pause_name):
    """Around a killed resize: its servers (named `name`...) deleted and its pause wrappers
    removed however the test ends; once it passed, no host holds a server of `name` or debris."""
    try:
        yield
    finally:
        delete_servers(testbed, inventory, name)
        unpaused(testbed, pause_name)
    held = dict((host, host_contents(testbed, host)) for host in testbed.hosts)
    assert servers(held, name) == {}, held
    for host in testbed.hosts:
        assert debris(held[host]) == NO_DEBRIS, host


def resize_killed_at(testbed, inventory, hosts, pause_name, extra_vars):
    """Run resize_server until a module on one of `hosts` pauses, then SIGKILL the run (the
    controller's whole process group, as a killed job) and the paused module; that host."""
    proc = subprocess.Popen(_command('resize_server', inventory, extra_vars), cwd=REPO, env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                            start_new_session=True)
    files = dict((host, os.path.join(testbed.state_dir(host), pause_name)) for host in hosts)
    try:
        deadline = time.monotonic() + 300
        paused = []
        while not paused and proc.poll() is None and time.monotonic() < deadline:
            paused = [host for host, path in files.items() if os.path.exists(path)]
            time.sleep(0.05)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        output = proc.communicate()[0]
        assert paused, 'the resize never paused (rc %s):\n%s' % (proc.returncode, output)
        (host,) = paused
        deadline = time.monotonic() + 5
        pid = ''
        while not pid and time.monotonic() < deadline:       # written just after it is created
            with open(files[host]) as f:
                pid = f.read().strip()
        testbed.enter(host, 'kill', '-9', pid)
        return host
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        for path in files.values():
            if os.path.exists(path):
                os.unlink(path)


@contextlib.contextmanager
def killed_resize(testbed, vcpu_totals, tmp_path, prefix, step):
    """A server created on the first host and resized to another (m1.nano to m1.small), the run
    and its paused module killed as `step` starts: `resize_finished` on the destination (after
    the source's commit) or `resize_commit` on the source (before it). Yields the inventory,
    the server's name and uuid and the host where the run paused; cleaned_up after."""
    hv1, hv2, hv3 = testbed.hosts
    paused_on = (hv1,) if step == 'resize_commit' else (hv2, hv3)
    name = unique_name(prefix)
    pause_name = 'pause-' + name
    inventory = write_inventory(testbed, tmp_path / 'inventory', pausing(
        testbed, capacity_vars(testbed, vcpu_totals), paused_on, step, pause_name))
    with cleaned_up(testbed, inventory, name, pause_name):
        server_uuid = created_on(testbed, inventory, name, hv1)
        host = resize_killed_at(testbed, inventory, paused_on, pause_name, dict(
            novalite_server_id=server_uuid, novalite_flavor='m1.small',
            novalite_allow_resize_to_same_host=False, novalite_scheduler=PACK_ONLY))
        yield inventory, name, server_uuid, host


def test_a_resize_killed_after_the_source_committed_ends_resized_on_its_destination(
        prepared_testbed, vcpu_totals, tmp_path):
    """Killed (controller and module) as the destination's `finished` starts, after the source
    handed the server over: each host's pass alone cannot tell whether the source committed;
    the reconcile playbook asks the source and the destination keeps the server, resized and
    running (VERIFY_RESIZE), the source its shut-off copy until the confirm."""
    testbed = prepared_testbed
    hv1 = testbed.hosts[0]
    with killed_resize(testbed, vcpu_totals, tmp_path, 'killed-committed', 'resize_finished') as (
            inventory, name, server_uuid, dest):
        target = {'novalite_server_id': server_uuid}
        held = dict((host, host_contents(testbed, host)) for host in testbed.hosts)
        # the window: the source copy (handed over), the destination finished with its guest off
        assert records(held, server_uuid) == {hv1: ('resized', NANO, False), dest: ('resized', SMALL, False)}

        reconciled = timed('reconcile (in doubt)', 'reconcile', inventory, {})
        assert reconciled.rc == 0, reconciled
        assert 'resize_finished %s' % server_uuid in reconciled.output, reconciled
        held = dict((host, host_contents(testbed, host)) for host in testbed.hosts)
        assert records(held, server_uuid) == {hv1: ('resized', NANO, False), dest: ('resized', SMALL, True)}
        for host in testbed.hosts:
            # the source copy's files wait beside as <uuid>_resize until the confirm
            kept = [server_uuid + '_resize'] if host == hv1 else []
            assert debris(held[host]) == dict(NO_DEBRIS, dirs_without_domain=kept), host
        # the fleet database follows the hosts' reports: the row is the destination's
        refreshed = run('refresh_hypervisors', inventory)
        assert refreshed.rc == 0, refreshed
        rows, row = fleet_rows(inventory, testbed.hosts, server_uuid)
        assert (row['host'], row['vcpus']) == (dest, SMALL) and rows[hv1] == NANO and rows[dest] == SMALL
        listed = run('server_list', inventory, target)
        assert listed.rc == 0, listed
        assert re.findall(r'^\s+OS-EXT-SRV-ATTR:host: (\S+)$', listed.output, re.M) == [dest], listed
        assert 'VERIFY_RESIZE' in re.findall(r'^\s+status: (\S+)$', listed.output, re.M), listed
        console_line(inventory, target, 'NOVALITE-DISK vda sectors=%d' % DISK_SECTORS['m1.small'])
        # a second pass finds nothing more to settle
        again = run('reconcile', inventory)
        assert again.rc == 0 and 'resize_finished' not in again.output, again

        confirmed = run('confirm_resize', inventory, target)
        assert confirmed.rc == 0, confirmed
        held = dict((host, host_contents(testbed, host)) for host in testbed.hosts)
        assert records(held, server_uuid) == {dest: ('active', SMALL, True)}


def test_a_resize_killed_before_the_source_committed_ends_back_on_its_source(
        prepared_testbed, vcpu_totals, tmp_path):
    """Killed as the source's `commit` starts, the destination finished (its guest off): the
    source never handed the server over, so its pass reverts the resize (the guest running
    again on its disks) and the reconcile playbook removes the destination's server."""
    testbed = prepared_testbed
    hv1, hv2, hv3 = testbed.hosts
    with killed_resize(testbed, vcpu_totals, tmp_path, 'killed-uncommitted', 'resize_commit') as (
            inventory, name, server_uuid, paused):
        assert paused == hv1
        target = {'novalite_server_id': server_uuid}
        held = dict((host, host_contents(testbed, host)) for host in testbed.hosts)
        (dest,) = [host for host in (hv2, hv3) if server_uuid in held[host]['domains']]
        assert records(held, server_uuid) == {hv1: ('active', NANO, False), dest: ('resized', SMALL, False)}

        reconciled = timed('reconcile (taken back)', 'reconcile', inventory, {})
        assert reconciled.rc == 0, reconciled
        assert 'resize_dest_dropped %s' % server_uuid in reconciled.output, reconciled
        held = dict((host, host_contents(testbed, host)) for host in testbed.hosts)
        assert records(held, server_uuid) == {hv1: ('active', NANO, True)}
        assert held[hv1]['instances'] == [server_uuid] and held[dest]['instances'] == []
        for host in testbed.hosts:
            assert debris(held[host]) == NO_DEBRIS, host
        refreshed = run('refresh_hypervisors', inventory)
        assert refreshed.rc == 0, refreshed
        rows, row = fleet_rows(inventory, testbed.hosts, server_uuid)
        assert (row['host'], row['vcpus']) == (hv1, NANO) and rows[hv1] == NANO and rows[dest] == 0
        console_line(inventory, target, 'NOVALITE-DISK vda sectors=%d' % DISK_SECTORS['m1.nano'])


# ---- a server in doubt deleted (Nova's delete of a RESIZED instance) ----------------------

def leftovers_of(testbed, inventory, server_uuid):
    """Anything of the server anywhere: on each host its domain, instance directory, source
    copy's <uuid>_resize, claim, staged migration files or recorded delete, and any debris;
    in the fleet database its instance row, reservation and ports (the quota counts the live
    rows and the reservations). Empty when it is gone."""
    found = {}
    for host in testbed.hosts:
        held = host_contents(testbed, host)
        state = testbed.state_dir(host)
        traces = traces_of(held, server_uuid)
        traces += [what for what, present in (
            ('source copy files', server_uuid + '_resize' in held['instances']),
            ('staged files', os.path.exists(os.path.join(state, '_staging', 'migrate-' + server_uuid))),
            ('recorded delete', os.path.exists(os.path.join(state, 'deleted', server_uuid + '.json'))))
            if present]
        if traces or debris(held) != NO_DEBRIS:
            found[host] = (traces, debris(held))
    with Database('sqlite:///' + os.path.join(inventory, '.fleet.sqlite')) as db:
        for table, column in (('instances', 'uuid'), ('reservations', 'uuid'), ('ports', 'instance_uuid')):
            count = db.row('SELECT COUNT(*) AS n FROM %s WHERE %s = ?' % (table, column), (server_uuid,))['n']
            if count:
                found['fleet ' + table] = count
    return found


def deleted_in_doubt(testbed, inventory, name, server_uuid, tmp_path):
    """Delete the server by its uuid and check that nothing of it is left anywhere, then again
    once every host has reported and run its reconciler (which would find what a host kept:
    a source's resize to revert, a row to write again); each host counts nothing after."""
    deleted = timed('delete (in doubt)', 'delete_server', inventory, {'novalite_server_id': server_uuid})
    assert deleted.rc == 0, deleted
    assert leftovers_of(testbed, inventory, server_uuid) == {}
    refreshed = run('refresh_hypervisors', inventory)
    assert refreshed.rc == 0, refreshed
    assert leftovers_of(testbed, inventory, server_uuid) == {}
    assert servers(dict((host, host_contents(testbed, host)) for host in testbed.hosts), name) == {}
    rows, _row = fleet_rows(inventory, testbed.hosts, server_uuid)
    assert rows == dict((host, 0) for host in testbed.hosts)
    states = host_states(inventory, tmp_path / 'after-delete.json')
    assert dict((host, states[host]['vcpus_used']) for host in testbed.hosts) == rows


def test_a_server_in_doubt_after_the_source_committed_is_deleted_on_both_hosts(
        prepared_testbed, vcpu_totals, tmp_path):
    """Killed as the destination's `finished` starts (the source handed the server over, its
    shut-off copy kept; the destination finished, its guest off), then deleted by its uuid
    before any reconcile: as Nova's delete of a RESIZED instance (the resize confirmed on
    the source, then the instance deleted on its host), both hosts lose everything of it."""
    testbed = prepared_testbed
    hv1 = testbed.hosts[0]
    with killed_resize(testbed, vcpu_totals, tmp_path, 'doubt-committed', 'resize_finished') as (
            inventory, name, server_uuid, dest):
        held = dict((host, host_contents(testbed, host)) for host in testbed.hosts)
        assert records(held, server_uuid) == {hv1: ('resized', NANO, False), dest: ('resized', SMALL, False)}
        deleted_in_doubt(testbed, inventory, name, server_uuid, tmp_path)


def test_a_server_in_doubt_before_the_source_committed_is_deleted_on_both_hosts(
        prepared_testbed, vcpu_totals, tmp_path):
    """Killed as the source's `commit` starts (the source's record still resizing, its files
    aside; the destination finished, its guest off), then deleted by its uuid before any
    reconcile: the source's record names the destination, whose server goes too."""
    testbed = prepared_testbed
    hv1, hv2, hv3 = testbed.hosts
    with killed_resize(testbed, vcpu_totals, tmp_path, 'doubt-uncommitted', 'resize_commit') as (
            inventory, name, server_uuid, paused):
        assert paused == hv1
        held = dict((host, host_contents(testbed, host)) for host in testbed.hosts)
        (dest,) = [host for host in (hv2, hv3) if server_uuid in held[host]['domains']]
        assert records(held, server_uuid) == {hv1: ('active', NANO, False), dest: ('resized', SMALL, False)}
        deleted_in_doubt(testbed, inventory, name, server_uuid, tmp_path)


def test_a_server_in_doubt_whose_source_libvirtd_is_down_is_deleted_and_its_copy_goes_once_it_is_back(
        prepared_testbed, vcpu_totals, tmp_path):
    """Killed after the source's commit, then deleted while the source's libvirtd is down: the
    destination's server goes, the source records the delete of its copy (`deferred`) and the
    run warns; once libvirtd is back, the source's reconciler removes the copy."""
    testbed = prepared_testbed
    hv1 = testbed.hosts[0]
    with killed_resize(testbed, vcpu_totals, tmp_path, 'doubt-source-down', 'resize_finished') as (
            inventory, name, server_uuid, dest):
        stop_libvirtd(testbed, hv1)
        try:
            deleted = run('delete_server', inventory, {'novalite_server_id': server_uuid})
            assert deleted.rc == 0, deleted
            assert re.search(r'WARNING: %s did not answer for the part of %s \(%s\) it holds: Delete of instance %s '
                             r'is not done' % (hv1, name, server_uuid, server_uuid), flat(deleted.output)), deleted
            held = host_contents(testbed, dest)
            assert traces_of(held, server_uuid) == [] and debris(held) == NO_DEBRIS
            assert os.path.exists(os.path.join(testbed.state_dir(hv1), 'deleted', server_uuid + '.json'))
        finally:
            start_libvirtd(testbed, hv1)
        reconciled = run('reconcile', inventory)
        assert reconciled.rc == 0, reconciled
        assert leftovers_of(testbed, inventory, server_uuid) == {}


def test_a_server_in_doubt_whose_source_is_unreachable_stays_whole_until_a_later_delete(
        prepared_testbed, vcpu_totals, tmp_path):
    """Killed after the source's commit, then deleted while the source cannot be reached: its
    copy cannot go, so the server stays whole on its destination (a source copy alone would be
    shown by no lookup) and the run names both hosts; in reach again, a delete removes it all."""
    testbed = prepared_testbed
    hv1 = testbed.hosts[0]
    # The same hosts, the source's SSH port closed: the controller cannot reach it.
    cut_off = write_inventory(testbed, tmp_path / 'cut-off', {hv1: {'ansible_port': 1}})
    with killed_resize(testbed, vcpu_totals, tmp_path, 'doubt-source-away', 'resize_finished') as (
            inventory, name, server_uuid, dest):
        deleted = run('delete_server', cut_off, {'novalite_server_id': server_uuid})
        assert deleted.rc != 0, deleted
        assert ('Server %s (%s) on %s was not deleted (its part on %s, the other host of its resize, was not: '
                'unreachable: ' % (name, server_uuid, dest, hv1)) in flat(deleted.output), deleted
        held = dict((host, host_contents(testbed, host)) for host in testbed.hosts)
        assert records(held, server_uuid) == {hv1: ('resized', NANO, False), dest: ('resized', SMALL, False)}
        again = run('delete_server', inventory, {'novalite_server_id': server_uuid})
        assert again.rc == 0, again
        assert leftovers_of(testbed, inventory, server_uuid) == {}
