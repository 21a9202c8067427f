# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

import copy

import libvirt
import pytest
from lxml import etree

from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record as sr

from libvirt_fixtures import connect_test_driver
from libvirt_helpers import DefinedDomains, minimal_xml, remove_domain, unique_name
from record_helpers import record_from_domain_xml, record_to_xml


def full_record():
    """A record using every type the encoding knows."""
    record = sr.new_record(
        uuid='0b1c7e8e-94b0-4d5d-8d65-2b0c2b9f8c11', name='web 1', hostname='web-1',
        description='first line\r\nsecond line\n', project_id='demo', user_id='demo-user',
        reservation_id='r-abcdefgh', launch_index=2,
        flavor={'id': '1', 'name': 'm1.nano', 'vcpus': 1, 'memory_mb': 128, 'root_gb': 1,
                'ephemeral_gb': 0, 'swap': 0,
                'extra_specs': {'hw:cpu_policy': 'dedicated', 'quota:disk_read_bytes_sec': '10'}},
        image={'id': 'img-1', 'name': 'demo'}, key_name='demo', availability_zone='az1',
        security_groups=['default', 'web'],
        metadata={'role': 'web', 'a key with spaces': '', 'xmlish': 'v', 'item': 'i',
                  'entry': 'e', 'blank': '   ', 'ctl': 'bell\x07', 'uni': 'caf\u00e9 <&> "q"'},
        tags=['a', 'b'], config_drive=True, access_ip_v4='192.0.2.1', access_ip_v6=None,
        ports=[{'id': 'p1', 'network_id': 'n1', 'network_name': 'private',
                'mac': 'fa:16:3e:00:00:01', 'fixed_ip': '10.254.0.10'}],
        instance_group={'uuid': 'g1', 'name': 'web', 'policy': 'anti-affinity'},
        host='hv1', node='hv1', vm_state='active', task_state=None, power_state=1,
        created='2026-11-21T06:20:00Z', launched_at='2026-11-21T06:20:05Z',
        updated='2026-11-21T06:20:05Z')
    action = sr.new_action('create', 'req-1')
    record['actions'].append(action)
    sr.add_event(record, 'create', 'compute_build_and_run_instance', 'Success',
                 '2026-11-21T06:20:00Z', '2026-11-21T06:20:05Z')
    record['extra_float'] = 1.5  # records may grow keys; floats survive too
    record['nested'] = [[], {}, [None, True, False, 0, -3]]
    return record


def test_element_round_trip_is_lossless():
    record = full_record()
    elem = sr.record_to_element(record)
    assert elem.tag == '{%s}server' % sr.NAMESPACE
    assert elem.prefix == sr.PREFIX
    back = sr.record_from_element(etree.fromstring(etree.tostring(elem)))
    assert back == record
    assert isinstance(back['launch_index'], int) and not isinstance(back['launch_index'], bool)
    assert back['config_drive'] is True
    assert back['access_ip_v6'] is None


def test_keys_that_are_not_xml_names_use_entries():
    xml_str = record_to_xml({'metadata': {'hw:cpu_policy': 'x', 'ok_name': 'y'}})
    assert '<novalite:entry key="hw:cpu_policy">x</novalite:entry>' in xml_str
    assert '<novalite:ok_name>y</novalite:ok_name>' in xml_str


def test_unsupported_values_are_refused():
    with pytest.raises(TypeError, match=r'server\.flavor'):
        sr.record_to_element({'flavor': object()})
    with pytest.raises(TypeError, match='must be a string'):
        sr.record_to_element({'metadata': {1: 'x'}})
    with pytest.raises(ValueError, match='unknown keys bogus'):
        sr.new_record(bogus=1)


def test_new_record_has_every_key_and_fresh_lists():
    first, second = sr.new_record(), sr.new_record()
    assert tuple(first) == sr.RECORD_KEYS
    first['tags'].append('x')
    assert second['tags'] == []


def test_record_from_domain_xml_without_metadata_is_none():
    assert record_from_domain_xml(minimal_xml('x')) is None


@pytest.fixture
def conn():
    return connect_test_driver()


@pytest.fixture
def dom(conn):
    with DefinedDomains(conn) as domains:
        yield domains.define('rec')


def test_round_trip_through_libvirt_metadata(dom):
    record = full_record()
    assert sr.read_record(dom) is None
    sr.write_record(dom, record)
    assert sr.read_record(dom) == record
    inactive = dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
    assert record_from_domain_xml(inactive) == record


def test_write_record_reaches_live_and_persistent_config(dom):
    dom.create()
    record = full_record()
    sr.write_record(dom, record)
    live = record_from_domain_xml(dom.XMLDesc(0))
    config = record_from_domain_xml(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
    assert live == config == record
    changed = copy.deepcopy(record)
    changed['vm_state'] = 'stopped'
    sr.write_record(dom, changed, live=False)
    assert record_from_domain_xml(dom.XMLDesc(0))['vm_state'] == 'active'
    assert record_from_domain_xml(
        dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))['vm_state'] == 'stopped'


def test_list_servers_maps_power_states(conn):
    names = [unique_name('ls') for _index in range(3)]
    try:
        doms = [conn.defineXML(minimal_xml(name)) for name in names]
        for index, dom in enumerate(doms[:2]):
            sr.write_record(dom, sr.new_record(uuid=dom.UUIDString(), name='s%d' % index,
                                               created='2026-01-0%dT00:00:00Z' % (index + 1)))
        doms[0].create()
        doms[0].suspend()
        found = {rec['uuid']: rec for rec in sr.list_servers(conn)}
        assert doms[2].UUIDString() not in found  # no record, not a server
        assert found[doms[0].UUIDString()]['power_state'] == sr.PAUSED
        assert found[doms[1].UUIDString()]['power_state'] == sr.SHUTDOWN
        doms[0].resume()
        assert {rec['uuid']: rec for rec in sr.list_servers(conn)}[
            doms[0].UUIDString()]['power_state'] == sr.RUNNING
    finally:
        for name in names:
            remove_domain(conn, name)


class ListingThatRacesADelete(object):
    """A connection whose listing still holds a domain that a delete undefines right after."""

    def __init__(self, conn, vanishing):
        self._conn, self._vanishing = conn, vanishing

    def listAllDomains(self, flags=0):  # noqa: N802  (libvirt's name)
        listed = self._conn.listAllDomains(flags)
        self._conn.lookupByName(self._vanishing).undefine()
        return listed


def test_list_servers_skips_a_domain_deleted_while_listing(conn):
    kept, gone = unique_name('keep'), unique_name('gone')
    try:
        for name in (kept, gone):
            dom = conn.defineXML(minimal_xml(name))
            sr.write_record(dom, sr.new_record(uuid=dom.UUIDString(), name=name))
        names = [rec['name'] for rec in sr.list_servers(ListingThatRacesADelete(conn, gone))]
        assert kept in names and gone not in names
    finally:
        for name in (kept, gone):
            remove_domain(conn, name)


def test_power_state_mapping_follows_nova():
    assert [sr.power_state_from_libvirt(s) for s in range(8)] == [0, 1, 1, 3, 4, 4, 6, 7]


def test_actions_and_events():
    record = sr.new_record(uuid='u')
    with pytest.raises(ValueError, match="no action 'create'"):
        sr.add_event(record, 'create', 'e', 'Success', 's', 'f')
    record['actions'].append(sr.new_action('create', 'req-9'))
    sr.add_event(record, 'create', 'compute_build_and_run_instance', 'Error', 's', 'f')
    sr.finish_action(record, 'create', '2026-01-01T00:00:00Z')
    action = record['actions'][0]
    assert action['request_id'] == 'req-9'
    assert action['message'] == 'Error'
    assert action['finish_time'] == '2026-01-01T00:00:00Z'
    assert action['events'] == [{'event': 'compute_build_and_run_instance', 'start_time': 's',
                                 'finish_time': 'f', 'result': 'Error'}]


def test_now_iso_format():
    assert len(sr.now_iso()) == 20 and sr.now_iso().endswith('Z') and 'T' in sr.now_iso()


def test_resize_peer_names_the_other_host_of_a_resize_to_another_host():
    def migration(status, source='hv1', dest='hv2'):
        return {'migration_type': 'resize', 'status': status, 'source_compute': source, 'dest_compute': dest}
    # the source while it powers off and moves its files, waits for its commit, and its copy after
    assert sr.resize_peer({'host': 'hv1', 'task_state': 'resize_migrating', 'migration': migration('migrating')}) == 'hv2'
    assert sr.resize_peer({'host': 'hv1', 'task_state': 'resize_migrated',
                           'migration': migration('post-migrating')}) == 'hv2'
    assert sr.resize_peer({'host': 'hv1', 'task_state': None, 'migration': migration('finished')}) == 'hv2'
    # the destination finishing, in doubt (finished, its `finished` never ran), and resized
    assert sr.resize_peer({'host': 'hv2', 'task_state': 'resize_finish',
                           'migration': migration('post-migrating')}) == 'hv1'
    assert sr.resize_peer({'host': 'hv2', 'task_state': 'resize_finish', 'migration': migration('finished')}) == 'hv1'
    assert sr.resize_peer({'host': 'hv2', 'task_state': None, 'migration': migration('finished')}) == 'hv1'
    # no other host: no resize, a record from before migrations, a resize on one host
    assert sr.resize_peer({'host': 'hv1', 'migration': None}) is None
    assert sr.resize_peer({'host': 'hv1'}) is None
    assert sr.resize_peer({'host': 'hv1', 'migration': migration('finished', dest='hv1')}) is None
