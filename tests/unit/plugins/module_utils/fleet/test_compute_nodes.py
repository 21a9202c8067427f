# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compute node and service rows: reports, heartbeats, staleness, the host state cache."""

from ansible_collections.novalite.compute.plugins.module_utils.fleet import compute_nodes

T0 = 1796000000.0  # 2026-11-30


def state(host, used=0, updated=T0, **extra):
    data = {'host': host, 'vcpus_total': 8, 'vcpus_used': used, 'memory_mb_total': 16384,
            'memory_mb_used': 512 * used, 'disk_gb_total': 100, 'disk_gb_used': used,
            'cpu_allocation_ratio': 16.0, 'ram_allocation_ratio': 1.5, 'disk_allocation_ratio': 1.0,
            'num_instances': used, 'instances': {}, 'updated': compute_nodes.iso(updated)}
    data.update(extra)
    return data


def test_a_report_writes_the_row_and_its_version_grows(fleet):
    assert compute_nodes.report(fleet, state('hv1')) == 1
    assert compute_nodes.report(fleet, state('hv1', used=2)) == 2
    [loaded] = compute_nodes.host_states(fleet)
    assert loaded['vcpus_used'] == 2 and loaded['updated'] == '2026-11-30T00:53:20Z'
    assert loaded['heartbeat'] == loaded['updated'] and loaded['forced_down'] is False
    row = fleet.row('SELECT vcpus, vcpus_used, running_vms FROM compute_nodes')
    assert row == {'vcpus': 8, 'vcpus_used': 2, 'running_vms': 2}


def test_the_heartbeat_is_separate_from_the_resource_data_age(fleet):
    compute_nodes.report(fleet, state('hv1', updated=T0))
    compute_nodes.heartbeat(fleet, 'hv1', at=T0 + 500)
    [loaded] = compute_nodes.host_states(fleet)
    assert loaded['updated'] == compute_nodes.iso(T0)
    assert loaded['heartbeat'] == compute_nodes.iso(T0 + 500)
    # An older report never moves the heartbeat back.
    compute_nodes.report(fleet, state('hv1', updated=T0 + 100))
    assert compute_nodes.host_states(fleet)[0]['heartbeat'] == compute_nodes.iso(T0 + 500)


def test_stale_hosts_are_the_missing_and_the_old(fleet):
    compute_nodes.report(fleet, state('fresh', updated=T0))
    compute_nodes.report(fleet, state('old', updated=T0 - 600))
    assert compute_nodes.stale_hosts(fleet, ['old', 'fresh', 'new'], 300, now=T0) == ['old', 'new']
    assert compute_nodes.stale_hosts(fleet, ['old', 'fresh'], 0, now=T0) == ['old', 'fresh']


def test_a_host_not_heard_from_lately_is_stale_when_heartbeats_are_asked_for(fleet):
    compute_nodes.report(fleet, state('quiet', updated=T0 - 100))
    compute_nodes.report(fleet, state('heard', updated=T0 - 100))
    compute_nodes.heartbeat(fleet, 'heard', at=T0 - 5)
    assert compute_nodes.stale_hosts(fleet, ['quiet', 'heard'], 300, now=T0) == []
    assert compute_nodes.stale_hosts(fleet, ['quiet', 'heard'], 300, now=T0, heartbeat_max_age=30) == ['quiet']


def test_operator_switches_reach_the_host_state(fleet):
    compute_nodes.report(fleet, state('hv1'))
    compute_nodes.set_service(fleet, 'hv1', disabled=True, disabled_reason='maintenance', forced_down=True)
    [loaded] = compute_nodes.host_states(fleet)
    assert loaded['service_disabled'] is True and loaded['service_disabled_reason'] == 'maintenance'
    assert loaded['forced_down'] is True


def test_the_cache_reuses_host_states_until_a_row_changes(fleet, monkeypatch):
    for name in ('hv1', 'hv2', 'hv3'):
        compute_nodes.report(fleet, state(name))
    cache = compute_nodes.HostStateCache()
    first = cache.get(fleet)
    assert [s.host for s in first.states] == ['hv1', 'hv2', 'hv3']
    assert cache.get(fleet) is first
    parsed = []
    real = compute_nodes._row_state
    monkeypatch.setattr(compute_nodes, '_row_state', lambda row: parsed.append(row['host']) or real(row))
    compute_nodes.report(fleet, state('hv2', used=3))
    second = cache.get(fleet)
    assert second is not first and parsed == ['hv2']
    assert second.states[1].vcpus_used == 3 and second.states[0].vcpus_used == 0
    compute_nodes.heartbeat(fleet, 'hv3', at=T0 + 30)
    third = cache.get(fleet)
    assert third is not second and parsed == ['hv2']
    assert third.states[2].heartbeat == compute_nodes.iso(T0 + 30)
    assert [s.host for s in cache.get(fleet, hosts=['hv3', 'hv1']).states] == ['hv1', 'hv3']


def test_a_report_gathered_before_the_row_does_not_replace_it_but_moves_the_heartbeat(fleet):
    compute_nodes.report(fleet, state('hv1', used=3, updated=T0))
    assert compute_nodes.report(fleet, state('hv1', used=1, updated=T0 - 10), heartbeat_at=T0 + 5) == 1
    [loaded] = compute_nodes.host_states(fleet)
    assert loaded['vcpus_used'] == 3 and loaded['heartbeat'] == compute_nodes.iso(T0 + 5)


def test_the_vxlan_peers_are_the_addresses_the_rows_of_the_hosts_carry(fleet):
    compute_nodes.report(fleet, state('hv1', local_ip='10.81.0.12'))
    compute_nodes.report(fleet, state('hv2', local_ip='10.81.0.11'))
    compute_nodes.report(fleet, state('hv3'))                          # no VXLAN address
    compute_nodes.report(fleet, state('gone', local_ip='10.81.0.99'))  # no longer in the group
    assert fleet.row("SELECT local_ip FROM compute_nodes WHERE host = 'hv1'") == {'local_ip': '10.81.0.12'}
    assert fleet.row("SELECT local_ip FROM compute_nodes WHERE host = 'hv3'") == {'local_ip': None}
    # Distinct and sorted, the same list for every host; a host without a row adds none.
    assert compute_nodes.vxlan_peers(fleet, ['hv1', 'hv2', 'hv3', 'new']) == ['10.81.0.11', '10.81.0.12']
    assert compute_nodes.vxlan_peers(fleet, []) == []
    # The host's next report is its address now: changed, or gone.
    compute_nodes.report(fleet, state('hv1', updated=T0 + 10, local_ip='10.81.0.13'))
    compute_nodes.report(fleet, state('hv2', updated=T0 + 10))
    assert compute_nodes.vxlan_peers(fleet, ['hv1', 'hv2', 'hv3']) == ['10.81.0.13']
    # A report gathered before the row's changes nothing, its address neither.
    compute_nodes.report(fleet, state('hv1', updated=T0 + 5, local_ip='10.81.0.14'))
    assert compute_nodes.vxlan_peers(fleet, ['hv1']) == ['10.81.0.13']
