# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""hypervisor_info on this machine's libvirtd with 50 servers: the module's whole output (what
crosses SSH and lands in the fact cache) stays within 10 KB, and the servers it lists come
back whole through the hypervisor_servers filter.

The servers are domains defined (not started) with Nova-like records: 32-hex ids of 5
projects with 2 users each, half of the servers in one of three server groups, one fixed IP
each. Servers this host
already runs count toward the 50."""

import json
import os
import subprocess
import sys
import uuid

import pytest

libvirt = pytest.importorskip('libvirt')

from ansible_collections.novalite.compute.plugins.filter.hypervisor_servers import (  # noqa: E402
    hypervisor_servers)
from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record as sr  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute.resource_tracker import GONE_VM_STATES  # noqa: E402

from libvirt_helpers import DefinedDomains  # noqa: E402

pytestmark = pytest.mark.integration

URI = 'qemu:///system'
SERVERS = 50
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULE = os.path.join(REPO, 'plugins', 'modules', 'hypervisor_info.py')
FLAVOR = {'id': '1', 'name': 'm1.nano', 'vcpus': 1, 'memory_mb': 128, 'root_gb': 1,
          'ephemeral_gb': 0, 'swap': 0, 'extra_specs': {}}


def run_hypervisor_info(tmp_path):
    """The module run as Ansible runs it: a process reading its arguments, printing JSON."""
    args = tmp_path / 'args.json'
    args.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': {
        'uri': URI, 'host': 'hv1', 'virt_type': 'qemu', 'state_path': str(tmp_path),
        'instances_path': str(tmp_path / 'instances'),
        'aggregates': [{'name': 'rack1', 'metadata': {'availability_zone': 'az1'}}],
        'availability_zone': 'az1'}}))
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, 'build', 'src'))
    proc = subprocess.run([sys.executable, MODULE, str(args)], capture_output=True, text=True,
                          env=env, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout.strip()


@pytest.fixture
def fifty_servers():
    conn = libvirt.open(URI)
    present = [rec for rec in sr.list_servers(conn) if rec.get('vm_state') not in GONE_VM_STATES]
    assert len(present) <= SERVERS, 'this host already has %d servers' % len(present)
    projects = [uuid.uuid4().hex for _index in range(5)]
    users = [uuid.uuid4().hex for _index in range(10)]
    groups = [str(uuid.uuid4()) for _index in range(3)]
    with DefinedDomains(conn) as domains:
        for index in range(SERVERS - len(present)):
            dom = domains.define('size')
            sr.write_record(dom, sr.new_record(
                uuid=dom.UUIDString(), name='web-server-%02d' % index, flavor=dict(FLAVOR),
                vm_state='active', project_id=projects[index % 5], user_id=users[index % 10],
                instance_group={'uuid': groups[index % 3]} if index % 2 else None,
                ports=[{'network_name': 'private', 'fixed_ip': '10.254.1.%d' % (index + 10),
                        'mac': 'fa:16:3e:01:00:%02x' % index}]))
        yield [conn.lookupByName(name).UUIDString() for name in domains.names]
    conn.close()


def test_output_within_10_kb_at_50_servers(fifty_servers, tmp_path):
    output = run_hypervisor_info(tmp_path)
    result = json.loads(output)
    print('hypervisor_info output at %d servers: %d bytes (host_state %d, servers %d)' % (
        SERVERS, len(output), len(json.dumps(result['host_state'])), len(json.dumps(result['servers']))))
    assert len(output) <= 10 * 1024
    assert result['host_state']['num_instances'] == SERVERS
    assert len(result['servers']['rows']) == SERVERS
    servers = {s['id']: s for s in hypervisor_servers([result['host_state']], [result['servers']])}
    assert set(fifty_servers) <= set(servers)
    made = [servers[server_uuid] for server_uuid in fifty_servers]
    assert {s['flavor']['memory_mb'] for s in made} == {128}
    assert sum(1 for s in made if s['instance_group']) == len(made) // 2
    assert all(s['addresses']['private'][0]['addr'].startswith('10.254.1.') for s in made)
