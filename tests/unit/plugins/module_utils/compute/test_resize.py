# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Same-host resize, confirmResize and revertResize of a server built on libvirt's test
driver, with the real qemu-img: the state machine, the host's usage at each step, the files
and the domain definition, and a failure rolled back."""

import json
import os
import shutil
import subprocess

import pytest

libvirt = pytest.importorskip('libvirt')

from ansible_collections.novalite.compute.plugins.module_utils.compute import build  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import resize  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record as sr  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import teardown  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute.host_settings import HostSettings  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute.lifecycle import (  # noqa: E402
    LifecycleError,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute.resource_tracker import (  # noqa: E402
    gather_host_state,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import (  # noqa: E402
    domain_by_uuid,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.domain_xml import (  # noqa: E402
    managed_fields,
)

from build_fixtures import UUID, image_catalog, params, runner, server  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which('qemu-img') is None, reason='needs qemu-img')
GIB = 1024 ** 3
# the build's flavor (2 vCPU, 256 MiB, 1 GiB root, 1 GiB ephemeral, 64 MiB swap) and a bigger one
BIGGER = {'id': '7', 'name': 'm1.bigger', 'vcpus': 3, 'memory_mb': 512, 'root_gb': 2,
          'ephemeral_gb': 2, 'swap': 128, 'extra_specs': {}}


@pytest.fixture
def built(host, tmp_path):
    return build.Builder(host, params(tmp_path, server(image_catalog(tmp_path))), runner).build()['server']


def action_params(tmp_path, action, **over):
    data = dict(server=UUID, action=action, new_flavor=BIGGER if action == 'resize' else None,
                instances_path=str(tmp_path / 'instances'), state_path=str(tmp_path / 'state'),
                virt_type='qemu', shutdown_timeout=0, boot_timeout=5, request_id='req-%s' % action)
    data.update(over)
    return data


def usage(host, tmp_path):
    settings = HostSettings(instances_path=str(tmp_path / 'instances'),
                            state_path=str(tmp_path / 'state'))
    state, _servers = gather_host_state(host, settings, host='hv1', availability_zone=None,
                                        aggregates=[], virt_type='qemu', claims=[])
    return state['vcpus_used'], state['memory_mb_used'], state['disk_gb_used']


def virtual_size(path):
    return json.loads(subprocess.check_output(
        ['qemu-img', 'info', '--output=json', path]))['virtual-size']


def inst(tmp_path, name=''):
    return os.path.join(str(tmp_path / 'instances' / UUID), name)


def old_dir(tmp_path):
    return inst(tmp_path).rstrip('/') + '_resize'


def test_resize_then_confirm_with_the_hosts_usage_at_each_step(host, tmp_path, built):
    old = built['flavor']
    assert usage(host, tmp_path) == (2, 256, 3)      # 1 root + 1 ephemeral + 1 (64 MiB swap)
    result = resize.resize_action(host, action_params(tmp_path, 'resize'), runner)
    rec = result['server']
    assert (rec['vm_state'], rec['task_state'], rec['power_state']) == ('resized', None, sr.RUNNING)
    assert (rec['flavor'], rec['old_flavor']) == (BIGGER, old)
    assert rec['migration']['old_vm_state'] == 'active'
    assert rec['migration']['source_compute'] == rec['migration']['dest_compute'] == 'hv1'
    entry = rec['actions'][-1]
    assert entry['action'] == 'resize' and entry['message'] is None and entry['finish_time']
    assert [(e['event'], e['result']) for e in entry['events']] == [
        ('compute_prep_resize', 'Success'), ('compute_resize_instance', 'Success'),
        ('compute_finish_resize', 'Success')]
    # both flavors held until confirm (Nova's migration allocation)
    assert usage(host, tmp_path) == (2 + 3, 256 + 512, 3 + 5)
    dom = domain_by_uuid(host, UUID)
    fields = managed_fields(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
    assert (fields['vcpus'], fields['memory_mb']) == (3, 512)
    assert virtual_size(inst(tmp_path, 'disk')) == 2 * GIB
    assert virtual_size(inst(tmp_path, 'disk.eph0')) == 2 * GIB
    assert virtual_size(inst(tmp_path, 'disk.swap')) == 128 * 1024 * 1024
    assert os.path.exists(os.path.join(old_dir(tmp_path), 'libvirt.xml'))
    assert virtual_size(os.path.join(old_dir(tmp_path), 'disk')) == GIB
    assert sr.read_record(dom)['vm_state'] == 'resized'

    confirmed = resize.resize_action(host, action_params(tmp_path, 'confirm'), runner)
    rec = confirmed['server']
    assert (rec['vm_state'], rec['task_state'], rec['flavor'], rec['old_flavor'], rec['migration']) == (
        'active', None, BIGGER, None, None)
    assert [(e['event'], e['result']) for e in rec['actions'][-1]['events']] == [
        ('compute_confirm_resize', 'Success')]
    assert rec['actions'][-1]['action'] == 'confirmResize'
    assert usage(host, tmp_path) == (3, 512, 5)
    assert not os.path.exists(old_dir(tmp_path))
    assert domain_by_uuid(host, UUID).isActive()


def test_resize_then_revert_gives_back_the_old_flavor_disks_and_definition(host, tmp_path, built):
    before_xml = managed_fields(domain_by_uuid(host, UUID).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
    resize.resize_action(host, action_params(tmp_path, 'resize'), runner)
    reverted = resize.resize_action(host, action_params(tmp_path, 'revert'), runner)['server']
    assert (reverted['vm_state'], reverted['flavor'], reverted['old_flavor']) == (
        'active', built['flavor'], None)
    assert reverted['actions'][-1]['action'] == 'revertResize'
    assert [e['event'] for e in reverted['actions'][-1]['events']] == [
        'compute_revert_resize', 'compute_finish_revert_resize']
    assert usage(host, tmp_path) == (2, 256, 3)
    dom = domain_by_uuid(host, UUID)
    assert managed_fields(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))['vcpus'] == before_xml['vcpus']
    assert virtual_size(inst(tmp_path, 'disk')) == GIB
    assert not os.path.exists(old_dir(tmp_path))
    assert not os.path.exists(inst(tmp_path, 'libvirt.xml'))
    stored = sr.read_record(dom)
    assert [a['action'] for a in stored['actions']] == ['create', 'resize', 'revertResize']
    assert dom.isActive()


def test_a_stopped_server_resizes_and_reverts_stopped(host, tmp_path, built):
    dom = domain_by_uuid(host, UUID)
    dom.destroy()
    sr.write_record(dom, dict(sr.read_record(dom), vm_state='stopped'), live=False)
    rec = resize.resize_action(host, action_params(tmp_path, 'resize'), runner)['server']
    assert (rec['vm_state'], rec['power_state']) == ('resized', sr.SHUTDOWN)
    rec = resize.resize_action(host, action_params(tmp_path, 'revert'), runner)['server']
    assert (rec['vm_state'], rec['power_state']) == ('stopped', sr.SHUTDOWN)
    assert not domain_by_uuid(host, UUID).isActive()


@pytest.mark.parametrize('action, change, message', [
    ('resize', dict(vm_state='paused'), "Cannot 'resize' instance %s while it is in vm_state paused"),
    ('resize', dict(task_state='rebooting'), "Cannot 'resize' instance %s while it is in task_state rebooting"),
    ('resize', dict(locked=True, locked_by='admin'), 'Instance %s is locked'),
    ('confirm', {}, "Cannot 'confirmResize' instance %s while it is in vm_state active"),
    ('revert', {}, "Cannot 'revertResize' instance %s while it is in vm_state active"),
    ('revert', dict(vm_state='resized'), 'Instance has not been resized.'),
])
def test_refused_with_novas_message(host, tmp_path, built, action, change, message):
    dom = domain_by_uuid(host, UUID)
    sr.write_record(dom, dict(sr.read_record(dom), **change))
    before = sr.read_record(dom)
    for check_mode in (True, False):
        with pytest.raises(LifecycleError) as err:
            resize.resize_action(host, action_params(tmp_path, action), runner, check_mode=check_mode)
        assert str(err.value) == (message % UUID if '%s' in message else message)
        assert sr.read_record(dom) == before


def test_check_mode_predicts_and_changes_nothing(host, tmp_path, built):
    planned = resize.resize_action(host, action_params(tmp_path, 'resize'), runner, check_mode=True)
    assert planned['diff']['after']['vm_state'] == 'resized'
    assert planned['diff']['after']['flavor'] == BIGGER and planned['instance_action'] is None
    assert sr.read_record(domain_by_uuid(host, UUID))['flavor'] == built['flavor']
    assert not os.path.exists(old_dir(tmp_path)) and usage(host, tmp_path) == (2, 256, 3)


def test_a_flavor_that_does_not_fit_beside_the_old_one_is_refused(host, tmp_path, built):
    # 4 host CPUs at ratio 1.0: 2 held + 3 asked do not fit while the old flavor is held
    p = action_params(tmp_path, 'resize', cpu_allocation_ratio=1.0)
    with pytest.raises(LifecycleError) as err:
        resize.resize_action(host, p, runner)
    assert 'Insufficient compute resources' in str(err.value) and 'VCPU' in str(err.value)
    stored = sr.read_record(domain_by_uuid(host, UUID))
    assert (stored['vm_state'], stored['flavor'], stored['old_flavor']) == ('active', built['flavor'], None)
    assert stored['fault'] and stored['actions'][-1]['message'] == 'Error'
    assert usage(host, tmp_path) == (2, 256, 3) and not os.path.exists(old_dir(tmp_path))


def test_a_failure_after_the_move_puts_everything_back(host, tmp_path, built, monkeypatch):
    def refuse(args):
        if args[:2] == ['qemu-img', 'resize']:
            return 1, '', 'no space left on device'
        return runner(args)

    before = domain_by_uuid(host, UUID).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
    with pytest.raises(LifecycleError) as err:
        resize.resize_action(host, action_params(tmp_path, 'resize'), refuse)
    assert 'no space left on device' in str(err.value)
    dom = domain_by_uuid(host, UUID)
    stored = sr.read_record(dom)
    assert (stored['vm_state'], stored['task_state'], stored['flavor'], stored['old_flavor']) == (
        'active', None, built['flavor'], None)
    assert stored['fault']['message'] == 'RuntimeError'
    assert dom.isActive() and usage(host, tmp_path) == (2, 256, 3)
    # the definition as it was (the record in it has the failed action now)
    now = managed_fields(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
    assert dict(now, record=None) == dict(managed_fields(before), record=None)
    assert not os.path.exists(old_dir(tmp_path)) and virtual_size(inst(tmp_path, 'disk')) == GIB


def test_deleting_a_resized_server_removes_its_old_files_too(host, tmp_path, built):
    resize.resize_action(host, action_params(tmp_path, 'resize'), runner)
    assert os.path.isdir(old_dir(tmp_path))
    teardown.delete(host, UUID, str(tmp_path / 'instances'), str(tmp_path / 'state'))
    assert not os.path.exists(old_dir(tmp_path)) and not os.path.exists(inst(tmp_path))
    assert usage(host, tmp_path) == (0, 0, 0)
