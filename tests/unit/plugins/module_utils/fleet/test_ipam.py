# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixed IP and MAC allocation in the fleet database, on SQLite and PostgreSQL, including
controllers racing in separate processes."""

import multiprocessing
import random

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.compute.network import NetworkError
from ansible_collections.novalite.compute.plugins.module_utils.fleet import ipam, schema

NET = {'network_id': 'n1', 'network_name': 'private', 'cidr': '10.254.0.0/24',
       'gateway': '10.254.0.1', 'allocation_pools': [{'start': '10.254.0.10', 'end': '10.254.0.21'}]}
POOL = ['10.254.0.%d' % n for n in range(10, 22)]


class FirstPick(random.Random):
    """Always the first free address and a fixed MAC sequence: forces every racer onto the
    same candidate, so the unique constraint, not luck, keeps addresses apart."""

    def choice(self, seq):
        return seq[0]


def test_allocates_a_free_address_and_mac_and_records_the_port(fleet):
    port = ipam.allocate_port(fleet, NET, 'i-1', host='hv1', rng=FirstPick(1))
    assert port['fixed_ip'] == '10.254.0.10'
    assert port['mac'].startswith('fa:16:3e:')
    assert port['instance_uuid'] == 'i-1' and port['host'] == 'hv1'
    assert ipam.ports_of(fleet, 'i-1') == [port]
    assert ipam.used_addresses(fleet, 'n1') == {'10.254.0.10'}


def test_allocation_is_idempotent_per_instance_and_network(fleet):
    first = ipam.allocate_port(fleet, NET, 'i-1')
    assert ipam.allocate_port(fleet, NET, 'i-1') == first
    assert len(ipam.ports_of(fleet, 'i-1')) == 1


def test_an_address_asked_for_is_honoured_or_refused_with_the_field(fleet):
    port = ipam.allocate_port(fleet, dict(NET, fixed_ip='10.254.0.15'), 'i-1')
    assert port['fixed_ip'] == '10.254.0.15'
    with pytest.raises(NetworkError) as err:
        ipam.allocate_port(fleet, dict(NET, fixed_ip='10.254.0.15', field='server.networks[0].fixed_ip'), 'i-2')
    assert 'server.networks[0].fixed_ip' in str(err.value) and 'already in use' in str(err.value)
    assert ipam.ports_of(fleet, 'i-2') == []


def test_a_mac_asked_for_that_another_port_holds_is_refused(fleet):
    ipam.allocate_port(fleet, dict(NET, mac='FA:16:3E:00:00:01'), 'i-1')
    with pytest.raises(NetworkError) as err:
        ipam.allocate_port(fleet, dict(NET, mac='fa:16:3e:00:00:01'), 'i-2')
    assert 'already in use' in str(err.value)


def test_the_pool_runs_out_with_a_clear_error(fleet):
    for n in range(len(POOL)):
        ipam.allocate_port(fleet, NET, 'i-%d' % n)
    assert ipam.used_addresses(fleet, 'n1') == set(POOL)
    with pytest.raises(NetworkError) as err:
        ipam.allocate_port(fleet, NET, 'i-last')
    assert 'no more IP addresses available on network private' in str(err.value)


def test_the_same_address_on_another_network_is_fine(fleet):
    a = ipam.allocate_port(fleet, NET, 'i-1', rng=FirstPick(1))
    b = ipam.allocate_port(fleet, dict(NET, network_id='n2', network_name='other'), 'i-2', rng=FirstPick(1))
    assert a['fixed_ip'] == b['fixed_ip']


def test_allocate_ports_is_all_or_none(fleet):
    ipam.allocate_port(fleet, dict(NET, network_id='n2', fixed_ip='10.254.0.12'), 'other')
    with pytest.raises(NetworkError):
        ipam.allocate_ports(fleet, 'i-1', [NET, dict(NET, network_id='n2', fixed_ip='10.254.0.12')])
    assert ipam.ports_of(fleet, 'i-1') == []


def test_a_lost_insert_chooses_again(fleet, monkeypatch):
    """Another port takes the candidate address between the read and the insert (on
    PostgreSQL another controller can; SQLite's writer lock serialises them)."""
    calls = []
    real = ipam._candidate

    def racing(db, network, rng):
        candidate = real(db, network, rng)
        if not calls:
            ipam._insert(db, {'id': 'rival', 'network_id': network['network_id'],
                              'network_name': None, 'instance_uuid': 'rival', 'host': None,
                              'mac': 'fa:16:3e:ff:ff:ff', 'fixed_ip': candidate[0]})
        calls.append(candidate)
        return candidate

    monkeypatch.setattr(ipam, '_candidate', racing)
    port = ipam.allocate_port(fleet, NET, 'i-1', rng=FirstPick(1))
    assert calls[0][0] == '10.254.0.10' and port['fixed_ip'] == '10.254.0.11'
    assert ipam.used_addresses(fleet, 'n1') == {'10.254.0.10', '10.254.0.11'}


def test_release_ports(fleet):
    ipam.allocate_ports(fleet, 'i-1', [NET, dict(NET, network_id='n2')])
    assert ipam.release_ports(fleet, 'i-1', 'n2') == 1
    assert [p['network_id'] for p in ipam.ports_of(fleet, 'i-1')] == ['n1']
    assert ipam.release_ports(fleet, 'i-1') == 1
    assert ipam.ports_of(fleet, 'i-1') == []


def test_replace_host_ports_keeps_unbound_ports_and_reports_conflicts(fleet):
    pending = ipam.allocate_port(fleet, NET, 'pending', rng=FirstPick(1))
    ipam.allocate_port(fleet, NET, 'gone', host='hv1')
    reported = [{'id': 'p1', 'network_id': 'n1', 'network_name': 'private', 'instance_uuid': 'a',
                 'mac': 'fa:16:3e:00:00:0a', 'fixed_ip': '10.254.0.20'},
                {'id': 'p2', 'network_id': 'n1', 'network_name': 'private', 'instance_uuid': 'b',
                 'mac': 'fa:16:3e:00:00:0b', 'fixed_ip': pending['fixed_ip']}]
    conflicts = ipam.replace_host_ports(fleet, 'hv1', reported)
    assert conflicts == [reported[1]]
    assert ipam.ports_of(fleet, 'gone') == []
    assert ipam.ports_of(fleet, 'pending') == [pending]
    assert ipam.ports_of(fleet, 'a')[0]['host'] == 'hv1'


def _allocate_many(url, controller, count, queue):
    db = schema.connect(url)
    try:
        ports = [ipam.allocate_port(db, NET, '%s-%d' % (controller, n), rng=FirstPick(n))
                 for n in range(count)]
        queue.put([p['fixed_ip'] for p in ports])
    except Exception as exc:  # reported to the test, which fails with it
        queue.put(repr(exc))
    finally:
        db.close()


def test_two_controllers_in_parallel_never_share_an_address(fleet_url):
    schema.connect(fleet_url).close()
    queue = multiprocessing.get_context('fork').Queue()
    procs = [multiprocessing.get_context('fork').Process(target=_allocate_many, args=(fleet_url, name, 6, queue))
             for name in ('ctl-a', 'ctl-b')]
    for proc in procs:
        proc.start()
    results = [queue.get(timeout=120) for _proc in procs]
    for proc in procs:
        proc.join(60)
    assert all(isinstance(result, list) for result in results), results
    addresses = results[0] + results[1]
    assert len(addresses) == 12 and len(set(addresses)) == 12
    assert set(addresses) == set(POOL)
