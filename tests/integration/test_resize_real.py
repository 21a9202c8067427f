# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resize on this machine's libvirtd through its playbooks, on a real guest: m1.nano to
m1.small and confirm, then m1.small to m1.micro (an ephemeral and a swap disk more) and
revert, with the host's usage right at each step (both flavors held until confirm or
revert) and the guest booting with its new disk; refused for a reader and for another
project, Nova's conflict in a wrong state, check mode changing nothing. The wall time of
each playbook run is printed (pytest -s shows it)."""
import os
import time
import uuid

import pytest

from conftest import LOCAL_URI, REPO, run_playbook, servers_named

libvirt = pytest.importorskip('libvirt')

from ansible_collections.novalite.compute.plugins.module_utils.compute import claims  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record as sr  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute.host_settings import HostSettings  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.fleet import compute_nodes  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.fleet.db import Database  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute.resource_tracker import (  # noqa: E402
    gather_host_state,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.domain_xml import (  # noqa: E402
    managed_fields,
)

pytestmark = pytest.mark.integration

NETWORK_ID = '5f0c3a6e-8d2b-4d6e-9a51-2c3b6a1e0f01'
ADMIN = {'project_id': 'ops', 'user_id': 'admin', 'roles': ['admin']}
READER = {'project_id': 'demo', 'user_id': 'auditor', 'roles': ['reader']}
OTHER = {'project_id': 'other', 'user_id': 'mallory', 'roles': ['member']}
INSTANCES_PATH = '/var/lib/novalite/instances'
# (vCPUs, MiB, GiB) of the catalog's flavors, as the host counts them
NANO, MICRO, SMALL = (1, 128, 1), (1, 192, 2 + 1 + 1), (2, 256, 2)


def timed(playbook, extra_vars, **kwargs):
    start = time.monotonic()
    run = run_playbook(playbook, extra_vars, **kwargs)
    print('wall time %-16s %5.1f s  rc=%d' % (playbook, time.monotonic() - start, run.rc))
    return run


def usage():
    """(vCPUs, MiB, GiB) the local host counts as used (every server on it)."""
    conn = libvirt.open(LOCAL_URI)
    settings = HostSettings(instances_path=INSTANCES_PATH, state_path='/var/lib/novalite')
    state, _servers = gather_host_state(conn, settings, host='local-hv', availability_zone=None,
                                        aggregates=[], virt_type='qemu',
                                        claims=claims.list_claims('/var/lib/novalite'))
    return (state['vcpus_used'] - settings.reserved_host_cpus, state['memory_mb_used'],
            state['disk_gb_used'])


def fleet_usage():
    """(vCPUs, MiB, GiB) the fleet database's row of the local host counts as used: what the
    scheduler and the next create read, not the host itself."""
    path = os.path.join(REPO, 'inventories', 'local', '.fleet.sqlite')
    with Database('sqlite:///' + path) as db:
        (state,) = compute_nodes.host_states(db, ['local-hv'])
    return (state['vcpus_used'] - HostSettings().reserved_host_cpus, state['memory_mb_used'],
            state['disk_gb_used'])


def plus(base, *flavors, minus=()):
    return tuple(base[i] + sum(f[i] for f in flavors) - sum(f[i] for f in minus) for i in range(3))


def wait_for_console_line(target, line, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        run = run_playbook('console_log', target)
        assert run.rc == 0, run
        if line in run.output:
            return run
        assert time.monotonic() < deadline, run
        time.sleep(2)


def test_resize_confirm_and_revert_on_a_real_guest(prepared_hypervisor, demo_image):
    name = 'nltest-rs-%s' % uuid.uuid4().hex[:6]
    server = {'name': name, 'flavorRef': 'm1.nano', 'imageRef': 'novalite-demo',
              'networks': [{'uuid': NETWORK_ID}]}
    base = usage()
    created = run_playbook('create_server', {'novalite_server': server})
    try:
        assert created.rc == 0, created
        ((dom, record),) = servers_named(name)
        server_uuid = dom.UUIDString()
        target = {'novalite_server_id': server_uuid}
        resize_dir = os.path.join(INSTANCES_PATH, server_uuid + '_resize')
        wait_for_console_line(target, 'NOVALITE-DISK vda sectors=%d' % (1 * 2097152))
        assert usage() == plus(base, NANO)

        # refused for a reader and for another project (which does not see the server)
        for context, rule in ((READER, 'resize'), (OTHER, 'show')):
            refused = run_playbook('resize_server', dict(target, novalite_flavor='m1.small',
                                                         novalite_context=context))
            assert refused.rc != 0, refused
            assert "Policy doesn't allow os_compute_api:servers:%s" % rule in refused.output, refused
        wrong = run_playbook('confirm_resize', target)
        assert ("Cannot 'confirmResize' instance %s while it is in vm_state active" % server_uuid
                in wrong.output), wrong
        same = run_playbook('resize_server', dict(target, novalite_flavor='m1.nano'))
        assert same.rc != 0 and 'When resizing, instances must change flavor!' in same.output, same
        checked = timed('resize_server', dict(target, novalite_flavor='m1.small'), check=True)
        assert checked.rc == 0, checked
        assert sr.read_record(dom)['flavor']['name'] == 'm1.nano' and not os.path.exists(resize_dir)

        # m1.nano -> m1.small: both flavors held until the confirm
        resized = timed('resize_server', dict(target, novalite_flavor='m1.small'))
        assert resized.rc == 0, resized
        ((dom, rec),) = servers_named(name)
        assert (rec['vm_state'], rec['task_state']) == ('resized', None)
        assert (rec['flavor']['name'], rec['old_flavor']['name']) == ('m1.small', 'm1.nano')
        assert (rec['ports'], dom.UUIDString()) == (record['ports'], server_uuid)
        assert [(e['event'], e['result']) for e in rec['actions'][-1]['events']] == [
            ('compute_prep_resize', 'Success'), ('compute_resize_instance', 'Success'),
            ('compute_finish_resize', 'Success')]
        assert usage() == plus(base, NANO, SMALL)
        assert fleet_usage() == plus(base, NANO, SMALL)
        fields = managed_fields(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
        assert (fields['vcpus'], fields['memory_mb']) == (2, 256) and dom.isActive()
        assert os.path.isdir(resize_dir)
        wait_for_console_line(target, 'NOVALITE-DISK vda sectors=%d' % (2 * 2097152))
        again = run_playbook('resize_server', dict(target, novalite_flavor='m1.micro'))
        assert ("Cannot 'resize' instance %s while it is in vm_state resized" % server_uuid
                in again.output), again

        confirmed = timed('confirm_resize', target)
        assert confirmed.rc == 0, confirmed
        ((dom, rec),) = servers_named(name)
        assert (rec['vm_state'], rec['flavor']['name'], rec['old_flavor']) == ('active', 'm1.small', None)
        assert usage() == plus(base, SMALL) and not os.path.exists(resize_dir)
        assert fleet_usage() == plus(base, SMALL)

        # m1.small -> m1.micro (an ephemeral and a swap disk more), reverted
        resized = timed('resize_server', dict(target, novalite_flavor='m1.micro'))
        assert resized.rc == 0, resized
        assert usage() == plus(base, SMALL, MICRO)
        assert fleet_usage() == plus(base, SMALL, MICRO)
        ((dom, rec),) = servers_named(name)
        disks = [os.path.basename(d['source']) for d in managed_fields(
            dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))['disks']]
        assert disks == ['disk', 'disk.eph0', 'disk.swap', 'disk.config']
        wait_for_console_line(target, 'NOVALITE-DISK vdc sectors=%d' % (64 * 2048))
        reverted = timed('revert_resize', target)
        assert reverted.rc == 0, reverted
        ((dom, rec),) = servers_named(name)
        assert (rec['vm_state'], rec['flavor']['name'], rec['old_flavor']) == ('active', 'm1.small', None)
        assert usage() == plus(base, SMALL) and not os.path.exists(resize_dir)
        assert fleet_usage() == plus(base, SMALL)
        fields = managed_fields(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
        assert (fields['vcpus'], fields['memory_mb']) == (2, 256)
        assert [os.path.basename(d['source']) for d in fields['disks']] == ['disk', 'disk.config']
        assert [a['action'] for a in rec['actions']] == [
            'create', 'resize', 'confirmResize', 'resize', 'revertResize']
        assert all(a['message'] is None for a in rec['actions'])
        assert dom.isActive()
    finally:
        for dom, _record in servers_named(name):
            deleted = run_playbook('delete_server', {'novalite_server_id': dom.UUIDString(),
                                                     'novalite_context': ADMIN})
            assert deleted.rc == 0, deleted
    assert servers_named(name) == []
    assert usage() == base
