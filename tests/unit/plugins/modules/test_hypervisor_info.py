# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from ansible_collections.novalite.compute.plugins.modules import hypervisor_info

from module_runner import TEST_URI, run_module


def test_host_state_returned_once(tmp_path, capsys):
    result = run_module(hypervisor_info, dict(
        uri=TEST_URI, host='hv1', virt_type='qemu', instances_path=str(tmp_path / 'i'),
        state_path=str(tmp_path), aggregates=[{'name': 'agg1'}],
        reserved_host_memory_mb=256), capsys, check_mode=True)
    assert result['changed'] is False
    state = result['host_state']
    assert state['host'] == 'hv1' and state['virt_type'] == 'qemu'
    assert state['aggregates'] == [{'name': 'agg1', 'metadata': {}}]
    assert state['cpu_allocation_ratio'] == 16.0 and state['ram_allocation_ratio'] == 1.5
    assert state['free_ram_mb'] == state['memory_mb_total'] - 256 - state['memory_mb_used']
    assert state['availability_zone'] == 'nova' and state['claims'] == []
    assert state['local_ip'] is None
    # Returned once, not also as facts: the output stays small (the role caches it).
    assert 'ansible_facts' not in result


def test_host_is_required(capsys):
    result = run_module(hypervisor_info, dict(uri=TEST_URI), capsys)
    assert result['failed'] and 'host' in result['msg']


def test_the_vxlan_address_is_reported_in_the_host_state(tmp_path, capsys):
    result = run_module(hypervisor_info, dict(
        uri=TEST_URI, host='hv1', virt_type='qemu', instances_path=str(tmp_path / 'i'),
        state_path=str(tmp_path), local_ip='10.81.0.11'), capsys, check_mode=True)
    assert result['host_state']['local_ip'] == '10.81.0.11'
