# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A resize to another host step by step, between two hosts of libvirt's test driver (each
its own in-memory libvirt, its own state and instances paths) with the real qemu-img: the
controller's copy of the files is done here as the playbook does it (the files the source
names, the backing files the destination lacks). Each host's usage, records, files and DHCP
entries at each step; confirm and revert; a finish that fails leaves nothing there. The
server is built in `nova` (hv1's zone); hv2 is in az2: the record's zone follows it there and
back on a revert."""

import os
import shutil

import pytest

libvirt = pytest.importorskip('libvirt')

from ansible_collections.novalite.compute.plugins.module_utils.compute import build  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import claims  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import layout  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import migration  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import reconcile  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import resize  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record as sr  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import teardown  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute.host_settings import HostSettings  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute.lifecycle import LifecycleError  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute.resource_tracker import (  # noqa: E402
    gather_host_state,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import (  # noqa: E402
    domain_by_uuid,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.domain_xml import (  # noqa: E402
    managed_fields,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.network import dhcp_hosts  # noqa: E402

from build_fixtures import UUID, image_catalog, open_test_host, params, runner, server  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which('qemu-img') is None, reason='needs qemu-img')
BIGGER = {'id': '7', 'name': 'm1.bigger', 'vcpus': 3, 'memory_mb': 512, 'root_gb': 2,
          'ephemeral_gb': 2, 'swap': 128, 'extra_specs': {}}
NET = 'nltest-unit'
ZONES = {'hv1': 'nova', 'hv2': 'az2'}


class Host(object):
    def __init__(self, name, root):
        os.makedirs(str(root))
        self.name, self.root, self.zone = name, root, ZONES[name]
        self.conn = open_test_host(root)
        self.paths = dict(instances_path=str(root / 'instances'), state_path=str(root / 'state'))

    def step(self, step, **more):
        data = dict(self.paths, server=UUID, step=step, host=self.name, virt_type='qemu',
                    shutdown_timeout=0, boot_timeout=5, request_id='req-%s' % step,
                    context={'project_id': 'demo', 'user_id': 'demo-user', 'roles': ['member']})
        data.update(more)
        return migration.run_step(self.conn, data, runner)

    def usage(self):
        settings = HostSettings(**self.paths)
        state, table = gather_host_state(self.conn, settings, host=self.name, availability_zone=None,
                                         aggregates=[], virt_type='qemu',
                                         claims=claims.list_claims(self.paths['state_path']))
        return (state['vcpus_used'], state['memory_mb_used']), sorted(state['instances'])

    def listing(self):
        path = self.paths['instances_path']
        return sorted(os.listdir(path)) if os.path.isdir(path) else []   # none made here yet

    def macs(self):
        return sorted(entry['mac'] for entry in dhcp_hosts(self.conn, NET))


@pytest.fixture
def hosts(tmp_path):
    source, dest = Host('hv1', tmp_path / 'hv1'), Host('hv2', tmp_path / 'hv2')
    catalog = image_catalog(tmp_path)
    build.Builder(source.conn, params(tmp_path / 'hv1', server(catalog)), runner).build()
    yield source, dest
    source.conn.close()
    dest.conn.close()


def transfer(migrated, prepared):
    """The playbook's fetch and copy: the files to the destination's staging directory, the
    backing files and kernel/ramdisk its image cache lacks under its _base/."""
    staging = prepared['paths']['staging']
    os.makedirs(os.path.join(staging, '_base'))
    for item in migrated['files']['files']:
        shutil.copy(item['path'], os.path.join(staging, item['name']))
    needed = set(migrated['files']['backing'].values()) | set(migrated['files']['links'].values())
    for path in needed:
        if os.path.basename(path) not in prepared['cached']:
            shutil.copy(path, os.path.join(staging, '_base', os.path.basename(path)))


def migrate(source, dest, new_flavor=BIGGER):
    prepared = dest.step('prep', new_flavor=new_flavor, migration={'source_compute': source.name,
                                                                   'dest_compute': dest.name})
    migrated = source.step('migrate', migration={'source_compute': source.name, 'dest_compute': dest.name})
    transfer(migrated, prepared)
    finished = dest.step('finish', new_flavor=new_flavor, record=migrated['server'], old_xml=migrated['old_xml'],
                         files=migrated['files'], availability_zone=dest.zone)
    source.step('commit')
    dest.step('finished')
    return prepared, migrated, finished


def test_resize_to_another_host_then_confirm(hosts):
    source, dest = hosts
    old_flavor = sr.read_record(domain_by_uuid(source.conn, UUID))['flavor']
    assert source.usage() == ((2, 256), [UUID]) and dest.usage() == ((0, 0), [])
    (mac,) = source.macs()

    prepared = dest.step('prep', new_flavor=BIGGER, migration={'source_compute': 'hv1', 'dest_compute': 'hv2'})
    # the claim counts on the destination before anything moves
    assert dest.usage() == ((3, 512), [UUID]) and prepared['cached'] == []
    migrated = source.step('migrate', migration={'source_compute': 'hv1', 'dest_compute': 'hv2'})
    assert migrated['server']['task_state'] == 'resize_migrated' and 'was_running' not in migrated
    # where the files wait on the source is the source's own business: its steps find them by uuid
    assert 'source_dir' not in migrated
    # whether the guest ran travels with the record, for `finished` to start it again
    assert migrated['server']['migration']['old_vm_state'] == 'active'
    assert [item['name'] for item in migrated['files']['files']] == ['disk', 'disk.eph0', 'disk.swap', 'disk.config']
    assert sorted(migrated['files']['links']) == ['kernel', 'ramdisk'] and list(migrated['files']['backing']) == ['disk']
    assert source.listing() == [UUID + '_resize']
    assert not domain_by_uuid(source.conn, UUID).isActive()
    transfer(migrated, prepared)
    dest.step('finish', new_flavor=BIGGER, record=migrated['server'], old_xml=migrated['old_xml'],
              files=migrated['files'], availability_zone=dest.zone)
    source.step('commit')
    done = dest.step('finished')['server']

    # the server is the destination's, in its zone, VERIFY_RESIZE, with the new flavor and its old one
    assert (done['host'], done['availability_zone'], done['vm_state'], done['task_state']) == (
        'hv2', 'az2', 'resized', None)
    assert sr.read_record(domain_by_uuid(dest.conn, UUID))['availability_zone'] == 'az2'
    assert done['request_spec'] == migrated['server']['request_spec']     # what the create asked for
    assert (done['flavor'], done['old_flavor']) == (BIGGER, old_flavor)
    assert (done['migration']['source_compute'], done['migration']['dest_compute']) == ('hv1', 'hv2')
    assert [(e['event'], e['result']) for e in done['actions'][-1]['events']] == [
        ('compute_prep_resize', 'Success'), ('compute_resize_instance', 'Success'),
        ('compute_finish_resize', 'Success')]
    moved = domain_by_uuid(dest.conn, UUID)
    assert moved.isActive()
    fields = managed_fields(moved.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
    assert (fields['vcpus'], fields['memory_mb']) == (3, 512)
    inst = os.path.join(dest.paths['instances_path'], UUID)
    assert all(d['source'].startswith(inst + '/') for d in fields['disks'])
    assert sorted(os.listdir(inst)) == ['disk', 'disk.config', 'disk.eph0', 'disk.swap', 'kernel', 'ramdisk']
    assert os.readlink(os.path.join(inst, 'kernel')).startswith(os.path.join(dest.paths['state_path'], '_base'))
    assert dest.macs() == [mac] and dest.usage() == ((3, 512), [UUID])
    assert not claims.has_claim(dest.paths['state_path'], UUID)
    assert not os.path.exists(prepared['paths']['staging'])
    # the source counts its shut-off copy at the old flavor; it is no server of the source
    copy = sr.read_record(domain_by_uuid(source.conn, UUID))
    assert sr.is_source_copy(copy) and copy['flavor'] == old_flavor and copy['availability_zone'] == 'nova'
    assert source.usage() == ((2, 256), [])
    assert sr.list_servers(source.conn, source_copies=False) == []

    source.step('confirm_source')
    confirmed = resize.resize_action(dest.conn, dict(dest.paths, server=UUID, action='confirm', virt_type='qemu',
                                                     shutdown_timeout=0, boot_timeout=5), runner)['server']
    assert (confirmed['vm_state'], confirmed['old_flavor'], confirmed['migration']) == ('active', None, None)
    assert confirmed['availability_zone'] == 'az2'
    assert source.usage() == ((0, 0), []) and source.listing() == [] and source.macs() == []
    assert domain_by_uuid(source.conn, UUID) is None
    assert dest.usage() == ((3, 512), [UUID])


def test_resize_to_another_host_then_revert(hosts):
    source, dest = hosts
    old_flavor = sr.read_record(domain_by_uuid(source.conn, UUID))['flavor']
    migrate(source, dest)
    with pytest.raises(LifecycleError) as info:
        resize.resize_action(dest.conn, dict(dest.paths, server=UUID, action='revert', virt_type='qemu'), runner)
    assert 'runs on both hosts' in str(info.value)

    handed = dest.step('revert_dest')['server']
    assert handed['availability_zone'] == 'az2'
    assert domain_by_uuid(dest.conn, UUID) is None and dest.listing() == [] and dest.macs() == []
    assert dest.usage() == ((0, 0), [])
    back = source.step('revert_source', record=handed)['server']
    # back in the source's zone (Nova's revert_resize), the zone asked for untouched
    assert (back['host'], back['availability_zone'], back['vm_state'], back['task_state']) == (
        'hv1', 'nova', 'active', None)
    assert back['request_spec'] == handed['request_spec']
    assert sr.read_record(domain_by_uuid(source.conn, UUID))['availability_zone'] == 'nova'
    assert (back['flavor'], back['old_flavor'], back['migration']) == (old_flavor, None, None)
    assert [e['event'] for e in back['actions'][-1]['events']] == [
        'compute_revert_resize', 'compute_finish_revert_resize']
    dom = domain_by_uuid(source.conn, UUID)
    assert dom.isActive() and source.listing() == [UUID]
    assert managed_fields(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))['vcpus'] == 2
    assert source.usage() == ((2, 256), [UUID])


def test_a_finish_that_fails_leaves_nothing_on_the_destination_and_the_source_takes_it_back(hosts):
    source, dest = hosts
    prepared = dest.step('prep', new_flavor=BIGGER, migration={'source_compute': 'hv1', 'dest_compute': 'hv2'})
    migrated = source.step('migrate', migration={'source_compute': 'hv1', 'dest_compute': 'hv2'})
    transfer(migrated, prepared)
    os.unlink(os.path.join(prepared['paths']['staging'], 'disk.config'))     # lost on the way
    with pytest.raises(migration.MigrationStepError):
        dest.step('finish', new_flavor=BIGGER, record=migrated['server'], old_xml=migrated['old_xml'],
                  files=migrated['files'], availability_zone=dest.zone)
    assert domain_by_uuid(dest.conn, UUID) is None and dest.listing() == [] and dest.macs() == []
    assert dest.usage() == ((0, 0), []) and not os.path.exists(prepared['paths']['staging'])
    aborted = source.step('abort', reason='finish failed')['server']
    assert (aborted['vm_state'], aborted['task_state'], aborted['migration']) == ('active', None, None)
    assert aborted['availability_zone'] == 'nova'
    assert aborted['fault']['message'] and aborted['actions'][-1]['message'] == 'Error'
    assert domain_by_uuid(source.conn, UUID).isActive() and source.listing() == [UUID]
    assert source.usage() == ((2, 256), [UUID])


def test_a_finish_without_the_destinations_zone_is_refused_before_anything_changes(hosts):
    source, dest = hosts
    prepared = dest.step('prep', new_flavor=BIGGER, migration={'source_compute': 'hv1', 'dest_compute': 'hv2'})
    migrated = source.step('migrate', migration={'source_compute': 'hv1', 'dest_compute': 'hv2'})
    transfer(migrated, prepared)
    staged = sorted(os.listdir(prepared['paths']['staging']))
    with pytest.raises(migration.MigrationStepError) as info:
        dest.step('finish', new_flavor=BIGGER, record=migrated['server'], old_xml=migrated['old_xml'],
                  files=migrated['files'])
    assert str(info.value) == 'availability_zone: the zone of this host (the destination) is required for finish'
    # nothing moved: the claim held, the files still staged, the source still migrating
    assert domain_by_uuid(dest.conn, UUID) is None
    assert not os.path.exists(os.path.join(dest.paths['instances_path'], UUID))
    assert claims.has_claim(dest.paths['state_path'], UUID)
    assert sorted(os.listdir(prepared['paths']['staging'])) == staged
    assert sr.read_record(domain_by_uuid(source.conn, UUID))['task_state'] == 'resize_migrated'
    # given, the same finish goes through
    dest.step('finish', new_flavor=BIGGER, record=migrated['server'], old_xml=migrated['old_xml'],
              files=migrated['files'], availability_zone=dest.zone)
    assert sr.read_record(domain_by_uuid(dest.conn, UUID))['availability_zone'] == 'az2'


def test_a_claim_that_does_not_fit_is_refused_and_nothing_is_held(hosts):
    source, dest = hosts
    huge = dict(BIGGER, memory_mb=10 ** 6)
    with pytest.raises(migration.MigrationStepError) as info:
        dest.step('prep', new_flavor=huge, migration={'source_compute': 'hv1', 'dest_compute': 'hv2'})
    assert 'Insufficient compute resources for instance %s' % UUID in str(info.value)
    assert dest.usage() == ((0, 0), [])


def test_check_mode_of_the_revert_on_the_source_needs_its_copy(hosts):
    source, dest = hosts
    params = dict(source.paths, server=UUID, step='revert_source', virt_type='qemu', is_admin=False)
    with pytest.raises(migration.MigrationStepError):
        migration.check_step(source.conn, params)        # not resized yet: no source copy
    migrate(source, dest)
    assert migration.check_step(source.conn, params) == {'changed': True}
    assert sr.read_record(domain_by_uuid(source.conn, UUID))['vm_state'] == 'resized'


# ---- a run killed between the finish and `finished` --------------------------------------------

def finish_only(source, dest):
    """The steps up to the destination's finish; the destination's record."""
    prepared = dest.step('prep', new_flavor=BIGGER, migration={'source_compute': 'hv1', 'dest_compute': 'hv2'})
    migrated = source.step('migrate', migration={'source_compute': 'hv1', 'dest_compute': 'hv2'})
    assert migrated['server']['migration']['status'] == 'post-migrating'
    transfer(migrated, prepared)
    return dest.step('finish', new_flavor=BIGGER, record=migrated['server'], old_xml=migrated['old_xml'],
                     files=migrated['files'], availability_zone=dest.zone)['server']


def reconciled(host):
    return reconcile.reconcile(host.conn, HostSettings(**host.paths))


def test_the_destination_keeps_the_guest_off_until_the_source_hands_the_server_over(hosts):
    source, dest = hosts
    finished = finish_only(source, dest)
    assert (finished['task_state'], finished['migration']['status']) == ('resize_finish', 'finished')
    assert not domain_by_uuid(dest.conn, UUID).isActive()     # the source may still take it back
    assert migration.is_in_doubt(finished)
    source.step('commit')
    done = dest.step('finished')['server']
    assert (done['vm_state'], done['task_state'], done['power_state']) == ('resized', None, 1)
    assert domain_by_uuid(dest.conn, UUID).isActive() and not migration.is_in_doubt(done)


def test_killed_after_the_source_committed_the_destination_has_the_server(hosts):
    """Nova: once the source has handed the server over, the destination has it."""
    source, dest = hosts
    finish_only(source, dest)
    source.step('commit')
    # the run dies here, before the destination's `finished`
    on_dest, on_source = reconciled(dest), reconciled(source)
    assert (on_dest['actions'], on_source['actions'], on_source['in_doubt']) == ([], [], [])
    assert on_dest['in_doubt'] == [{'instance_uuid': UUID, 'dest_compute': 'hv2', 'source_compute': 'hv1'}]
    assert domain_by_uuid(dest.conn, UUID) is not None and source.listing() == [UUID + '_resize']

    answer = source.step('source_state')
    assert answer == {'changed': False, 'state': 'committed'}
    check = migration.check_step(dest.conn, dict(dest.paths, server=UUID, step='settle', source_state='committed'))
    assert check == {'changed': True, 'action': 'resize_finished'}
    settled = dest.step('settle', source_state=answer['state'])
    assert settled['action'] == 'resize_finished'
    assert (settled['server']['vm_state'], settled['server']['task_state']) == ('resized', None)
    assert settled['server']['availability_zone'] == 'az2'
    assert domain_by_uuid(dest.conn, UUID).isActive() and not domain_by_uuid(source.conn, UUID).isActive()
    assert dest.usage() == ((3, 512), [UUID]) and source.usage() == ((2, 256), [])
    assert reconciled(dest)['in_doubt'] == [] and dest.step('settle', source_state='reverted')['action'] is None
    # and confirmed as any resize
    source.step('confirm_source')
    assert domain_by_uuid(source.conn, UUID) is None and source.listing() == []


def test_killed_before_the_source_committed_the_source_takes_the_server_back(hosts):
    source, dest = hosts
    finish_only(source, dest)
    # the run dies here, before the source's `commit`: the source's pass reverts it
    assert reconciled(dest)['in_doubt'] == [{'instance_uuid': UUID, 'dest_compute': 'hv2', 'source_compute': 'hv1'}]
    assert [a['action'] for a in reconciled(source)['actions']] == ['resize_reverted']
    back = sr.read_record(domain_by_uuid(source.conn, UUID))
    assert (back['vm_state'], back['task_state'], back['migration']) == ('active', None, None)
    assert back['availability_zone'] == 'nova'
    assert domain_by_uuid(source.conn, UUID).isActive() and not domain_by_uuid(dest.conn, UUID).isActive()

    answer = source.step('source_state')['state']
    assert answer == 'reverted'
    assert dest.step('settle', source_state=answer)['action'] == 'resize_dest_dropped'
    assert domain_by_uuid(dest.conn, UUID) is None and dest.listing() == [] and dest.macs() == []
    assert dest.usage() == ((0, 0), []) and source.usage() == ((2, 256), [UUID])
    assert reconciled(dest)['in_doubt'] == []


def test_a_source_not_decided_yet_leaves_the_destination_as_it_is(hosts):
    source, dest = hosts
    finish_only(source, dest)
    assert source.step('source_state')['state'] == 'migrating'
    assert dest.step('settle', source_state='migrating') == {'changed': False, 'action': None}
    assert migration.is_in_doubt(sr.read_record(domain_by_uuid(dest.conn, UUID)))
    with pytest.raises(migration.MigrationStepError) as info:
        dest.step('settle', source_state='finished')
    assert "source_state: 'finished' is not one of committed, reverted, migrating, absent" in str(info.value)
    source.conn.lookupByUUIDString(UUID).undefine()
    assert source.step('source_state')['state'] == 'absent'


def test_a_guest_that_does_not_start_after_the_hand_over_leaves_the_server_in_error_on_its_destination(
        hosts, monkeypatch):
    """The source committed: the playbook's rescue (unclaim, abort) must not remove the server."""
    source, dest = hosts
    finish_only(source, dest)
    source.step('commit')

    def refused(dom, timeout):
        raise TimeoutError('domain did not reach RUNNING in %d s' % timeout)
    monkeypatch.setattr(migration, 'start_domain', refused)
    with pytest.raises(migration.MigrationStepError) as info:
        dest.step('finished')
    assert 'did not reach RUNNING' in str(info.value)
    dest.step('unclaim')
    assert source.step('abort', reason='finished failed')['changed'] is False
    record = sr.read_record(domain_by_uuid(dest.conn, UUID))
    assert (record['vm_state'], record['task_state'], record['flavor']) == ('error', None, BIGGER)
    assert (record['fault']['message'], record['actions'][-1]['message']) == ('TimeoutError', 'Error')
    assert 'did not reach RUNNING' in record['fault']['details']
    assert dest.listing() == [UUID] and sr.is_source_copy(sr.read_record(domain_by_uuid(source.conn, UUID)))
    assert reconciled(dest)['in_doubt'] == [] and reconciled(dest)['actions'] == []


# ---- a server between two hosts deleted (Nova's delete of a RESIZED instance) ----------------

def deleted_where_found(home, peer):
    """The delete playbook's order for a server found on `home`: its record names `peer`
    (server_record.resize_peer), whose part goes first, then the server on `home`."""
    record = sr.read_record(domain_by_uuid(home.conn, UUID))
    assert sr.resize_peer(record) == peer.name
    for host in (peer, home):
        assert teardown.delete(host.conn, UUID, host.paths['instances_path'], host.paths['state_path'])['changed']


def nothing_left(source, dest):
    for host in (source, dest):
        assert domain_by_uuid(host.conn, UUID) is None and host.listing() == [], host.name
        assert host.macs() == [] and host.usage() == ((0, 0), []), host.name
        assert claims.list_claims(host.paths['state_path']) == [], host.name
        assert not os.path.exists(layout.migration_staging_dir(host.paths['state_path'], UUID))
        # nothing for either host's reconciler to revert, drop or settle later
        assert reconciled(host)['actions'] == [] and reconciled(host)['in_doubt'] == [], host.name
    assert source.step('source_state')['state'] == 'absent'


@pytest.mark.parametrize('committed', [False, True], ids=['before-commit', 'after-commit'])
@pytest.mark.parametrize('found_on', ['dest', 'source'])
def test_a_server_in_doubt_is_deleted_on_both_hosts_wherever_it_is_found(hosts, committed, found_on):
    """Killed after the destination's finish (in doubt), before or after the source's commit:
    the source keeps its record (resizing) or its copy, the destination its finished domain.
    Either record names the other host, and the delete leaves nothing on either."""
    source, dest = hosts
    finish_only(source, dest)
    if committed:
        source.step('commit')
    assert migration.is_in_doubt(sr.read_record(domain_by_uuid(dest.conn, UUID)))
    if found_on == 'dest':
        deleted_where_found(dest, source)
    else:
        deleted_where_found(source, dest)
    nothing_left(source, dest)


def test_a_server_whose_resize_died_before_the_finish_is_deleted_with_the_destinations_claim(hosts):
    """Killed after the files were staged on the destination, before its finish: the source's
    record names the destination, where the claim and the staged files go with the server."""
    source, dest = hosts
    prepared = dest.step('prep', new_flavor=BIGGER, migration={'source_compute': 'hv1', 'dest_compute': 'hv2'})
    transfer(source.step('migrate', migration={'source_compute': 'hv1', 'dest_compute': 'hv2'}), prepared)
    assert dest.usage() == ((3, 512), [UUID]) and os.listdir(prepared['paths']['staging'])
    deleted_where_found(source, dest)
    nothing_left(source, dest)
