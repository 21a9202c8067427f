# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

import libvirt
import pytest

from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record as sr
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.domain_state import (
    DomainError, DomainManager,
)

from libvirt_fixtures import connect_test_driver
from libvirt_helpers import minimal_xml, unique_name
from libvirt_helpers import remove_domain


def typed(name, **over):
    params = dict(name=name, uuid=None, state='present', xml=None, vcpus=1, memory_mb=128,
                  virt_type='qemu', cpu_mode=None, machine_type='pc', kernel='/srv/k',
                  ramdisk=None, cmdline=None,
                  disks=[dict(path='/srv/disk', format='qcow2', device='disk', bus='virtio',
                              target_dev='vda', readonly=False)],
                  interfaces=[dict(mac=None, model='virtio', network='default', bridge=None,
                                   mtu=None)],
                  console_log='/srv/console.log', shutdown_timeout=5, start_timeout=10,
                  force=False)
    params.update(over)
    return params


def run(conn, params, check_mode=False):
    return DomainManager(conn, params, check_mode=check_mode).run()


@pytest.fixture
def conn():
    return connect_test_driver()


@pytest.fixture
def name(conn):
    name = unique_name('ds')
    try:
        yield name
    finally:
        remove_domain(conn, name)


def test_check_mode_predicts_and_second_run_is_unchanged(conn, name):
    predicted = run(conn, typed(name, state='running'), check_mode=True)
    assert predicted['changed'] and predicted['actions'] == ['define', 'start']
    with pytest.raises(libvirt.libvirtError):
        conn.lookupByName(name)  # check mode defined nothing
    done = run(conn, typed(name, state='running'))
    assert done['actions'] == predicted['actions']
    assert done['diff']['before'] == {'state': 'absent'}
    assert done['diff']['after']['state'] == 'running'
    assert done['domain']['uuid'] == conn.lookupByName(name).UUIDString()
    again = run(conn, typed(name, state='running'))
    assert not again['changed'] and again['actions'] == []
    assert again['diff']['before'] == again['diff']['after']
    assert not run(conn, typed(name, state='running'), check_mode=True)['changed']


def test_redefine_changes_only_what_differs_and_keeps_uuid_mac_record(conn, name):
    run(conn, typed(name))
    dom = conn.lookupByName(name)
    uuid = dom.UUIDString()
    mac = dom.XMLDesc(0).split("mac address='")[1][:17]
    record = sr.new_record(uuid=uuid, name='web')
    sr.write_record(dom, record)
    assert not run(conn, typed(name))['changed']  # MAC, UUID and record left to libvirt
    predicted = run(conn, typed(name, memory_mb=256), check_mode=True)
    result = run(conn, typed(name, memory_mb=256))
    assert result['actions'] == predicted['actions'] == ['redefine']
    assert result['diff']['before']['memory_mb'] == 128
    assert result['diff']['after']['memory_mb'] == 256
    assert predicted['diff']['after'] == result['diff']['after']
    dom = conn.lookupByName(name)
    assert dom.UUIDString() == uuid
    assert "mac address='%s'" % mac in dom.XMLDesc(0)
    assert sr.read_record(dom) == record


def test_running_domain_redefine_warns(conn, name):
    run(conn, typed(name, state='running'))
    result = run(conn, typed(name, vcpus=2))
    assert result['actions'] == ['redefine']
    assert 'next start' in result['warnings'][0]


def test_raw_xml_is_idempotent(conn, name):
    params = dict(name=None, uuid=None, state='present', xml=minimal_xml(name))
    assert run(conn, params)['actions'] == ['define']
    assert not run(conn, params)['changed']
    changed = dict(params, xml=minimal_xml(name).replace('>64<', '>96<'))
    assert run(conn, changed)['diff']['after']['memory_mb'] == 96


def test_power_only_without_definition(conn, name):
    with pytest.raises(DomainError, match='does not exist and no definition'):
        run(conn, dict(name=name, state='running'))
    run(conn, typed(name))
    assert run(conn, dict(name=name, state='running'))['actions'] == ['start']
    conn.lookupByName(name).suspend()
    assert run(conn, dict(name=name, state='running'))['actions'] == ['resume']
    stopped = run(conn, dict(name=name, state='stopped', shutdown_timeout=5))
    assert stopped['actions'] == ['shutdown'] and stopped['domain']['state'] == 'shutoff'
    assert not run(conn, dict(name=name, state='stopped'))['changed']


def test_stop_without_time_needs_force(conn, name):
    run(conn, typed(name, state='running'))
    with pytest.raises(DomainError, match='shutdown_timeout: .* set force'):
        run(conn, dict(name=name, state='stopped', shutdown_timeout=0))
    forced = run(conn, dict(name=name, state='stopped', shutdown_timeout=0, force=True))
    assert forced['actions'] == ['shutdown', 'destroy']
    assert not conn.lookupByName(name).isActive()


def test_absent_destroys_undefines_and_is_idempotent(conn, name):
    run(conn, typed(name, state='running'))
    assert run(conn, dict(name=name, state='absent'), check_mode=True)['actions'] == \
        ['destroy', 'undefine']
    result = run(conn, dict(name=name, state='absent'))
    assert result['actions'] == ['destroy', 'undefine']
    assert result['domain']['name'] == name and result['domain']['state'] == 'absent'
    with pytest.raises(libvirt.libvirtError):
        conn.lookupByName(name)
    assert not run(conn, dict(name=name, state='absent'))['changed']


def test_uuid_names_the_domain_and_renames_are_refused(conn, name):
    uuid = run(conn, typed(name))['domain']['uuid']
    assert not run(conn, typed(name, uuid=uuid))['changed']
    with pytest.raises(DomainError, match='name: domain .* is called'):
        run(conn, typed(name + '-other', uuid=uuid))


def test_bad_typed_options_name_the_field(conn, name):
    with pytest.raises(DomainError, match='vcpus and memory_mb'):
        run(conn, typed(name, memory_mb=None))
    with pytest.raises(DomainError, match=r'interfaces\[0\]'):
        run(conn, typed(name, interfaces=[dict(network='a', bridge='b')]))
