# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""server_build with `servers` (the build role's round) run in-process on libvirt's test
driver: one result per server, the host's state once after them all."""

import shutil

import pytest

pytest.importorskip('libvirt')

from ansible_collections.novalite.compute.plugins.modules import server_build  # noqa: E402

from build_fixtures import image_catalog, params, server  # noqa: E402
from build_fixtures import NODE_XML  # noqa: E402
from module_runner import run_module  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which('qemu-img') is None, reason='needs qemu-img')
UUIDS = ['5d0e8c1a-7b1e-4e55-9f0a-6c2d1e3f4a5%d' % i for i in range(3)]


def batch_args(tmp_path, servers, **over):
    node = tmp_path / 'node.xml'
    node.write_text(NODE_XML)
    args = params(tmp_path, None, uri='test://%s' % node, report_host_state=True, **over)
    del args['server']
    args['servers'] = servers
    return args


def servers(catalog, count):
    return [server(catalog, uuid=UUIDS[i], name='web %d' % i, hostname='web-%d' % i)
            for i in range(count)]


def test_every_server_has_its_result_and_the_host_reports_once(tmp_path, capsys):
    result = run_module(server_build, batch_args(tmp_path, servers(image_catalog(tmp_path), 2)), capsys)
    assert result['changed'] is True and not result.get('failed'), result
    assert [r['instance_uuid'] for r in result['results']] == UUIDS[:2]
    assert [r['server']['vm_state'] for r in result['results']] == ['active', 'active']
    assert all(r['host'] == 'hv1' and 'diff' not in r for r in result['results'])
    # The host's state after both builds, once, at the top.
    assert result['host_state']['num_instances'] == 2
    assert sorted(row[0] for row in result['servers']['rows']) == ['web 0', 'web 1']
    assert all('host_state' not in r for r in result['results'])


def test_a_failed_build_fails_the_task_and_keeps_the_others_results(tmp_path, capsys):
    catalog = image_catalog(tmp_path)
    batch = servers(catalog, 2)
    batch[0]['image'] = dict(catalog['image'], id='img-bad', checksum='sha256:' + '0' * 64)
    result = run_module(server_build, batch_args(tmp_path, batch), capsys)
    assert result['failed'] is True and '1 of 2 builds failed on hv1' in result['msg']
    first, second = result['results']
    assert (first['failed'], first['failed_step'], first['reschedule']) == (True, 'image', True)
    assert second['server']['vm_state'] == 'active'
    assert result['host_state']['num_instances'] == 1


def test_check_mode_plans_every_server(tmp_path, capsys):
    result = run_module(server_build, batch_args(tmp_path, servers(image_catalog(tmp_path), 2)),
                        capsys, check_mode=True)
    # Check mode says what would change, and gathers no host state.
    assert result['changed'] is True and 'host_state' not in result
    assert [r['instance_uuid'] for r in result['results']] == UUIDS[:2]
    assert all(step['step'] == 'claim' for step in (r['plan'][0] for r in result['results']))
    assert not (tmp_path / 'instances').exists() or not any((tmp_path / 'instances').iterdir())


@pytest.mark.parametrize('over,message', [
    ({'max_concurrent_builds': 0}, 'max_concurrent_builds: must be at least 1, got 0'),
    ({'server': {'uuid': UUIDS[0]}}, 'mutually exclusive: server|servers'),
])
def test_bad_options_are_refused(tmp_path, capsys, over, message):
    result = run_module(server_build, dict(batch_args(tmp_path, []), **over), capsys)
    assert result['failed'] is True and message in result['msg']


def test_an_unreachable_libvirtd_fails_every_server_with_its_cause(tmp_path, capsys):
    args = batch_args(tmp_path, servers(image_catalog(tmp_path), 2))
    args['uri'] = 'qemu+unix:///system?socket=%s' % (tmp_path / 'no-such.sock')
    result = run_module(server_build, args, capsys)
    assert result['failed'] is True and result['reschedule'] is True
    assert [r['instance_uuid'] for r in result['results']] == UUIDS[:2]
    for one in result['results']:
        assert one['failed'] is True and one['reschedule'] is True
        assert one['msg'].startswith('libvirt (qemu+unix:///system?socket=') and 'no-such.sock' in one['msg']
    # Nova counts a compute host that cannot reach its hypervisor as a failed build.
    assert (tmp_path / 'state' / 'failed_builds').read_text() == '1\n'
