# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reconciler against libvirt's test driver for a server whose action died in each task
state (Nova's _init_instance): the record ends consistent with the files and the domain, each
decision is reported, and a server whose action still runs (its instance lock held) is left
alone."""

import os

import pytest

libvirt = pytest.importorskip('libvirt')

from ansible_collections.novalite.compute.plugins.module_utils.compute import layout  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import reconcile  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import claims  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import resize  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record as sr  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute.lifecycle import instance_lock  # noqa: E402

UUID = '00000000-0000-4000-8000-0000000000a1'
SMALL = {'name': 'small', 'vcpus': 1, 'memory_mb': 64, 'root_gb': 1, 'ephemeral_gb': 0, 'swap': 0}
BIG = dict(SMALL, name='big', vcpus=2, memory_mb=128)


def domain_xml(flavor):
    return ("<domain type='test'><name>instance-%s</name><uuid>%s</uuid>"
            "<memory unit='MiB'>%d</memory><vcpu>%d</vcpu><os><type>hvm</type></os>"
            "<devices/></domain>" % (UUID, UUID, flavor['memory_mb'], flavor['vcpus']))


def define(conn, task_state, action, vm_state='active', flavor=SMALL, running=True, **record):
    """A server left by a run that died in `task_state` of the instance action `action`."""
    dom = conn.defineXML(domain_xml(flavor))
    if running:
        dom.create()
    values = dict(uuid=UUID, name='srv', host='hv1', vm_state=vm_state, task_state=task_state,
                  flavor=flavor, created=sr.now_iso(), actions=[sr.new_action(action, 'req-1')])
    values.update(record)
    rec = sr.new_record(**values)
    sr.add_event(rec, action, 'compute_%s_instance' % action, None, rec['created'], None)
    sr.write_record(dom, rec)
    return dom


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as handle:
        handle.write(text)


def read(path):
    with open(path) as handle:
        return handle.read()


def files(directory):
    return sorted(os.listdir(directory)) if os.path.isdir(directory) else None


def record_of(conn):
    return sr.read_record(conn.lookupByUUIDString(UUID))


def run(conn, settings, **options):
    return reconcile.reconcile(conn, settings, **options)


def decisions(result):
    return [(item['action'], item['subject']) for item in result['actions']]


def last_action(record):
    return record['actions'][-1]


# ---- rebuild ---------------------------------------------------------------------------------

def test_rebuild_killed_after_the_swap_gets_its_old_disks_back_and_is_in_error(host, settings):
    inst = layout.instance_dir(settings.instances_path, UUID)
    for name in ('disk', 'disk.config'):
        write(os.path.join(inst, name), 'new ' + name)
        write(os.path.join(inst, name + '.pre-rebuild'), 'old ' + name)
    define(host, 'rebuild_spawning', 'rebuild')
    result = run(host, settings)
    assert decisions(result) == [('rebuild_interrupted', UUID)]
    assert not result['errors']
    assert files(inst) == ['disk', 'disk.config']
    assert read(os.path.join(inst, 'disk')) == 'old disk'
    assert read(os.path.join(inst, 'disk.config')) == 'old disk.config'
    record = record_of(host)
    assert (record['vm_state'], record['task_state']) == ('error', None)
    assert 'interrupted in task state rebuild_spawning' in record['fault']['message']
    assert 'old disks were put back (disk, disk.config)' in record['fault']['message']
    assert last_action(record)['message'] == 'Error'
    assert last_action(record)['events'][-1]['result'] == 'Error'
    # the guest stopped before its files moved; a second pass finds nothing
    assert not host.lookupByUUIDString(UUID).isActive()
    assert decisions(run(host, settings)) == []


def test_rebuild_killed_before_the_swap_loses_its_new_files_and_keeps_its_guest(host, settings):
    inst = layout.instance_dir(settings.instances_path, UUID)
    write(os.path.join(inst, 'disk'), 'old disk')
    write(os.path.join(inst, 'disk.rebuild'), 'new disk')
    define(host, 'rebuilding', 'rebuild')
    assert decisions(run(host, settings)) == [('rebuild_interrupted', UUID)]
    assert files(inst) == ['disk'] and read(os.path.join(inst, 'disk')) == 'old disk'
    record = record_of(host)
    assert (record['vm_state'], record['task_state']) == ('error', None)
    assert 'not swapped yet' in record['fault']['message']
    assert host.lookupByUUIDString(UUID).isActive()


# ---- resize ----------------------------------------------------------------------------------

def resized_server(conn, settings, task_state, old_vm_state='active', definition=True):
    """A resize that died after its old files went aside: the new flavor's definition and
    files in place, the old ones in <dir>_resize."""
    inst = layout.instance_dir(settings.instances_path, UUID)
    old = layout.resize_dir(settings.instances_path, UUID)
    write(os.path.join(old, 'disk'), 'old disk')
    if definition:
        write(os.path.join(old, resize.OLD_DEFINITION), domain_xml(SMALL))
    write(os.path.join(inst, 'disk'), 'grown disk')
    migration = {'migration_type': 'resize', 'status': 'finished', 'old_vm_state': old_vm_state}
    define(conn, task_state, 'resize', flavor=BIG, old_flavor=SMALL, migration=migration,
           running=False)
    return inst, old


@pytest.mark.parametrize('task_state', ['resize_migrated', 'resize_finish'])
def test_resize_killed_after_the_move_is_reverted_and_its_guest_started(host, settings, task_state):
    inst, old = resized_server(host, settings, task_state)
    assert decisions(run(host, settings)) == [('resize_reverted', UUID)]
    assert files(old) is None and files(inst) == ['disk']
    assert read(os.path.join(inst, 'disk')) == 'old disk'
    dom = host.lookupByUUIDString(UUID)
    assert dom.maxMemory() == 64 * 1024 and dom.isActive()
    record = record_of(host)
    assert (record['vm_state'], record['task_state']) == ('active', None)
    assert (record['flavor'], record['old_flavor'], record['migration']) == (SMALL, None, None)
    assert last_action(record)['message'] == 'Error'
    assert decisions(run(host, settings)) == []


def test_resize_of_a_stopped_server_is_reverted_with_its_guest_off(host, settings):
    resized_server(host, settings, 'resize_finish', old_vm_state='stopped')
    assert decisions(run(host, settings)) == [('resize_reverted', UUID)]
    assert not host.lookupByUUIDString(UUID).isActive()
    assert record_of(host)['vm_state'] == 'stopped'


def test_resize_killed_before_its_definition_was_written_keeps_the_domain(host, settings):
    inst, old = resized_server(host, settings, 'resize_migrating', definition=False)
    assert decisions(run(host, settings)) == [('resize_reverted', UUID)]
    assert files(old) is None and read(os.path.join(inst, 'disk')) == 'old disk'
    record = record_of(host)
    assert (record['vm_state'], record['flavor']) == ('active', SMALL)


def test_a_resize_from_another_host_whose_finish_died_leaves_nothing_here(host, settings):
    """The destination of a resize to another host (hv1 here, the server came from hv2): its
    finish died before it ended (migration still `post-migrating`), so the source never
    handed it over and takes the server back; nothing of it stays on this host."""
    inst = layout.instance_dir(settings.instances_path, UUID)
    write(os.path.join(inst, 'disk'), 'copied disk')
    claims.migration_claim(settings.state_path, UUID, BIG, lambda others: [], 'hv2')
    migration = {'migration_type': 'resize', 'status': 'post-migrating', 'old_vm_state': 'active',
                 'source_compute': 'hv2', 'dest_compute': 'hv1'}
    define(host, 'resize_finish', 'resize', flavor=BIG, old_flavor=SMALL, migration=migration)
    assert decisions(run(host, settings)) == [('resize_dest_dropped', UUID)]
    assert host.listAllDomains() == [] and files(inst) is None
    assert not claims.has_claim(settings.state_path, UUID)
    assert decisions(run(host, settings)) == []


def test_a_finished_destination_whose_run_died_before_finished_is_left_for_its_source(host, settings):
    """The destination's finish ended (migration `finished` here) and the run died before its
    `finished` step: whether the source handed the server over only the source knows. The
    pass changes nothing and names it in `in_doubt` for the reconcile playbook."""
    inst = layout.instance_dir(settings.instances_path, UUID)
    write(os.path.join(inst, 'disk'), 'copied disk')
    migration = {'migration_type': 'resize', 'status': 'finished', 'old_vm_state': 'active',
                 'source_compute': 'hv2', 'dest_compute': 'hv1'}
    define(host, 'resize_finish', 'resize', vm_state='resized', flavor=BIG, old_flavor=SMALL,
           migration=migration, running=False)
    for _ in range(2):
        result = run(host, settings)
        assert (decisions(result), result['changed']) == ([], False)
        assert result['in_doubt'] == [{'instance_uuid': UUID, 'dest_compute': 'hv1', 'source_compute': 'hv2'}]
    record = record_of(host)
    assert (record['vm_state'], record['task_state'], record['flavor']) == ('resized', 'resize_finish', BIG)
    assert files(inst) == ['disk']
    with instance_lock(settings.state_path, UUID):
        assert run(host, settings)['in_doubt'] == []     # a step of it runs: not in doubt


def test_the_source_copy_of_a_resize_to_another_host_is_left_alone(host, settings):
    old = layout.resize_dir(settings.instances_path, UUID)
    write(os.path.join(old, 'disk'), 'old disk')
    migration = {'migration_type': 'resize', 'status': 'finished', 'old_vm_state': 'active',
                 'source_compute': 'hv1', 'dest_compute': 'hv2'}
    define(host, None, 'resize', vm_state='resized', migration=migration, running=False)
    assert decisions(run(host, settings)) == []
    assert files(old) == ['disk'] and record_of(host)['vm_state'] == 'resized'


def test_an_expired_claim_of_a_resize_to_this_host_goes_with_its_staged_files(host, settings):
    staged = layout.migration_staging_dir(settings.state_path, UUID)
    write(os.path.join(staged, 'disk'), 'copied disk')
    claims.migration_claim(settings.state_path, UUID, BIG, lambda others: [], 'hv2')
    assert decisions(run(host, settings)) == []     # the resize is under way: all stays
    assert files(staged) == ['disk']
    claims.migration_claim(settings.state_path, UUID + '0', BIG, lambda others: [], 'hv2', expire=-1)
    os.rename(layout.claim_path(settings.state_path, UUID + '0'), layout.claim_path(settings.state_path, UUID))
    assert decisions(run(host, settings)) == [('stale_claim', UUID), ('staged_migration', staged)]
    assert not claims.has_claim(settings.state_path, UUID) and files(staged) is None


def test_resize_killed_in_prep_gets_its_old_flavor_back(host, settings):
    inst = layout.instance_dir(settings.instances_path, UUID)
    write(os.path.join(inst, 'disk'), 'disk')
    define(host, 'resize_prep', 'resize', flavor=BIG, old_flavor=SMALL,
           migration={'old_vm_state': 'active'})
    assert decisions(run(host, settings)) == [('resize_cleared', UUID)]
    record = record_of(host)
    assert (record['vm_state'], record['task_state'], record['flavor'], record['old_flavor']) == (
        'active', None, SMALL, None)
    assert record['fault'] is None and files(inst) == ['disk']


def test_confirm_killed_is_done_again(host, settings):
    inst = layout.instance_dir(settings.instances_path, UUID)
    old = layout.resize_dir(settings.instances_path, UUID)
    write(os.path.join(inst, 'disk'), 'grown disk')
    write(os.path.join(old, 'disk'), 'old disk')
    define(host, 'resize_confirming', 'confirmResize', vm_state='resized', flavor=BIG,
           old_flavor=SMALL, migration={'old_vm_state': 'active'})
    assert decisions(run(host, settings)) == [('resize_confirmed', UUID)]
    assert files(old) is None and read(os.path.join(inst, 'disk')) == 'grown disk'
    record = record_of(host)
    assert (record['vm_state'], record['task_state'], record['flavor'], record['old_flavor'],
            record['migration']) == ('active', None, BIG, None, None)
    assert last_action(record)['events'][-1]['result'] == 'Success'
    assert last_action(record)['finish_time'] is not None


def test_revert_killed_puts_the_old_files_back_and_is_in_error(host, settings):
    inst, old = resized_server(host, settings, 'resize_reverting')
    record = record_of(host)
    record.update(vm_state='resized', actions=[sr.new_action('revertResize', 'req-2')])
    sr.write_record(host.lookupByUUIDString(UUID), record)
    assert decisions(run(host, settings)) == [('resize_interrupted', UUID)]
    assert files(old) is None and read(os.path.join(inst, 'disk')) == 'old disk'
    assert host.lookupByUUIDString(UUID).maxMemory() == 64 * 1024
    record = record_of(host)
    assert (record['vm_state'], record['task_state'], record['flavor']) == ('error', None, SMALL)
    assert 'Revert of the resize' in record['fault']['message']
    assert last_action(record)['message'] == 'Error'


# ---- simple actions --------------------------------------------------------------------------

@pytest.mark.parametrize('task_state,action,running,vm_state', [
    ('powering-off', 'stop', False, 'stopped'),
    ('powering-off', 'stop', True, 'active'),
    ('rebooting', 'reboot', True, 'active'),
    ('pausing', 'pause', True, 'active'),
])
def test_a_simple_action_killed_has_its_task_state_cleared(host, settings, task_state, action,
                                                           running, vm_state):
    write(os.path.join(layout.instance_dir(settings.instances_path, UUID), 'disk'), 'disk')
    define(host, task_state, action, running=running)
    assert decisions(run(host, settings)) == [('task_cleared', UUID)]
    record = record_of(host)
    assert (record['vm_state'], record['task_state']) == (vm_state, None)
    assert last_action(record)['message'] == 'Error'


# ---- what stays ------------------------------------------------------------------------------

def test_a_server_whose_action_runs_is_left_alone(host, settings):
    inst = layout.instance_dir(settings.instances_path, UUID)
    write(os.path.join(inst, 'disk'), 'new disk')
    write(os.path.join(inst, 'disk.pre-rebuild'), 'old disk')
    define(host, 'rebuild_spawning', 'rebuild')
    with instance_lock(settings.state_path, UUID):
        assert decisions(run(host, settings)) == []
    assert files(inst) == ['disk', 'disk.pre-rebuild']
    assert record_of(host)['task_state'] == 'rebuild_spawning'


def test_check_mode_reports_and_changes_nothing(host, settings):
    inst, old = resized_server(host, settings, 'resize_finish')
    before = (files(inst), files(old), record_of(host))
    result = run(host, settings, check_mode=True)
    assert decisions(result) == [('resize_reverted', UUID)] and result['changed']
    assert (files(inst), files(old), record_of(host)) == before


def test_a_revert_that_fails_leaves_the_server_in_error(host, settings, monkeypatch):
    resized_server(host, settings, 'resize_finish')

    def refuse(*_args):
        raise OSError('disk full')
    monkeypatch.setattr(resize, 'put_back', refuse)
    assert decisions(run(host, settings)) == [('resize_reverted', UUID)]
    record = record_of(host)
    assert (record['vm_state'], record['task_state'], record['flavor']) == ('error', None, SMALL)
    assert 'the revert failed: disk full' in record['fault']['message']
