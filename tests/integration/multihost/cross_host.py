# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers for the cross-host tests: an inventory of the testbed with capacities of the test's
own, the create and delete playbooks run on it (one at a time or all at once), the tasks of a
run's output, and what each host holds, read inside the host behind the playbooks' back."""
import json
import os
import re
import shutil
import subprocess
import uuid

from conftest import BIN, REPO, PlaybookRun

HERE = os.path.dirname(os.path.abspath(__file__))
NETWORK_ID = '5f0c3a6e-8d2b-4d6e-9a51-2c3b6a1e0f01'
LIBVIRT_NETWORK = 'novalite-private'
GATHER_TASK = 'novalite.compute.hypervisor_facts : Gather the host state and servers from libvirt'
BUILD_TASK = 'novalite.compute.build : Build the instances assigned to this host'
# Weighers that make the choice of host predictable: the host with the fewest free vCPUs
# first (stacking, Nova's negative cpu_weight_multiplier), nothing else but the failed builds
# (not even the I/O operations, which the scheduler counts up for each instance it places).
PACK = {'cpu_weight_multiplier': -1.0, 'ram_weight_multiplier': 0.0, 'disk_weight_multiplier': 0.0,
        'io_ops_weight_multiplier': 0.0}
# ... and without the failed builds of earlier tests on the same hosts.
PACK_ONLY = dict(PACK, build_failure_weight_multiplier=0.0)


def unique_name(what):
    return 'nltest-%s-%s' % (what, uuid.uuid4().hex[:6])


def server_request(name, count=1, **more):
    server = {'name': name, 'flavorRef': 'm1.nano', 'imageRef': 'novalite-demo',
              'networks': [{'uuid': NETWORK_ID}], 'min_count': count, 'max_count': count}
    server.update(more)
    return server


def write_inventory(testbed, path, host_vars):
    """A copy of the testbed's inventory at `path` with `host_vars` ({host: {var: value}})
    over the settings up.sh wrote (inventory host_vars/ files take precedence)."""
    # Not the testbed inventory's fleet database: its rows hold the capacities of other settings.
    shutil.copytree(testbed.inventory, str(path), ignore=shutil.ignore_patterns('.fleet.sqlite*'))
    os.makedirs(os.path.join(str(path), 'host_vars'))
    for host, values in host_vars.items():
        with open(os.path.join(str(path), 'host_vars', host + '.yml'), 'w') as f:
            json.dump(values, f)
    return str(path)


def nano_capacity(vcpus_total, nanos):
    """Host vars that make room for exactly `nanos` m1.nano (1 vCPU each) on a host of
    `vcpus_total` CPUs: the vCPU allocation ratio bounds it (the host's memory, which this
    machine may grow while the tests run, leaves room for many more)."""
    return {'novalite_cpu_allocation_ratio': float(nanos) / vcpus_total, 'novalite_reserved_host_cpus': 0,
            'novalite_ram_allocation_ratio': 1.0, 'novalite_reserved_host_memory_mb': 0}


def _command(playbook, inventory, extra_vars):
    """`playbook` is a playbook of the collection (create_server) or a path."""
    target = playbook if os.path.isabs(playbook) else 'novalite.compute.' + playbook
    return [os.path.join(BIN, 'ansible-playbook'), '-i', inventory, target,
            '-e', json.dumps(extra_vars or {})]


def _env():
    return dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'),
                ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0',
                PATH=BIN + os.pathsep + os.environ.get('PATH', ''))


def run(playbook, inventory, extra_vars=None, database=None):
    """`database`: another controller's fleet database (a path), whose rows this one's runs
    never see; by default the inventory's own (.fleet.sqlite in the inventory directory)."""
    extra_vars = dict(extra_vars or {})
    if database:
        extra_vars['novalite_fleet_database'] = str(database)
    proc = subprocess.run(_command(playbook, inventory, extra_vars), cwd=REPO, env=_env(),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=600, check=False)
    return PlaybookRun(os.path.basename(playbook), proc)


def run_at_once(playbook, inventory, extra_vars_list):
    """Start one run per item of `extra_vars_list` together; their PlaybookRuns in order."""
    procs = [subprocess.Popen(_command(playbook, inventory, extra_vars), cwd=REPO, env=_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True)
             for extra_vars in extra_vars_list]
    runs = []
    try:
        for proc in procs:
            proc.stdout_text = proc.communicate(timeout=600)[0]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    for proc in procs:
        runs.append(PlaybookRun(playbook, subprocess.CompletedProcess(proc.args, proc.returncode,
                                                                      proc.stdout_text)))
    return runs


def host_states(inventory, out, **extra_vars):
    """{host: host state}, gathered now from every host (the role, as the playbooks run it)."""
    extra_vars.setdefault('hypervisor_facts_max_age', 0)
    reported = run(os.path.join(HERE, 'host_states.yml'), inventory, dict(extra_vars, testbed_out=str(out)))
    assert reported.rc == 0, reported
    with open(str(out)) as f:
        return dict((host, report['host_state']) for host, report in json.load(f).items())


def task_results(output, task):
    """Per run of the task named `task` in a playbook's output, {host: status} with status
    ok, changed, skipping, failed, fatal or included."""
    runs = []
    for block in re.split(r'^(?=TASK \[|PLAY \[)', output, flags=re.M):
        if block.startswith('TASK [%s]' % task):
            statuses = {}
            for status, host in re.findall(r'^(ok|changed|skipping|failed|fatal|included): \[([^\]]+)\]',
                                           block, re.M):
                statuses.setdefault(host, status)
            runs.append(statuses)
    return runs


def task_results_by_play(output, task):
    """As `task_results`, each run with the name of its play: [(play, {host: status})]."""
    runs = []
    for play in re.split(r'^(?=PLAY \[)', output, flags=re.M):
        name = re.match(r'PLAY \[(.*)\]', play)
        runs.extend((name.group(1) if name else None, statuses) for statuses in task_results(play, task))
    return runs


# Run inside a host with the modules' Python: its domains with their server record (name,
# vm_state, fixed IPs, flavor vCPUs; None without one) and MACs, the DHCP host entries of the
# catalog's network, the instance directories, the claims and the failed builds counter (what
# the host state reports as failed_builds).
_INSPECT = r"""
import json, os, sys
import libvirt
from xml.etree import ElementTree
state_path, instances_path, network = sys.argv[1:4]
conn = libvirt.open('qemu:///system')
def text(elem, *path):
    # The record's children come back without their namespace: match local names.
    for name in path:
        elem = next((c for c in elem if c.tag.split('}')[-1] == name), None)
        if elem is None:
            return None
    return elem.text
def record_of(dom):
    try:
        xml = dom.metadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, 'http://novalite.compute/xmlns/server/1.0', 0)
    except libvirt.libvirtError:
        return None
    root = ElementTree.fromstring(xml)
    ports = next((c for c in root if c.tag.split('}')[-1] == 'ports'), [])
    return {'name': text(root, 'name'), 'vm_state': text(root, 'vm_state'),
            'vcpus': int(text(root, 'flavor', 'vcpus')),
            'ips': [text(port, 'fixed_ip') for port in ports]}
domains = {}
for dom in conn.listAllDomains():
    xml = ElementTree.fromstring(dom.XMLDesc(0))
    domains[dom.UUIDString()] = {
        'record': record_of(dom), 'running': dom.isActive() == 1,
        'macs': [mac.get('address') for mac in xml.findall('./devices/interface/mac')]}
net = ElementTree.fromstring(conn.networkLookupByName(network).XMLDesc(0))
def listing(path):
    return sorted(os.listdir(path)) if os.path.isdir(path) else []
def failed_builds():
    try:
        with open(os.path.join(state_path, 'failed_builds')) as f:
            return int(f.read())
    except FileNotFoundError:
        return 0
print(json.dumps({
    'failed_builds': failed_builds(),
    'domains': domains,
    'dhcp': [{'mac': entry.get('mac'), 'ip': entry.get('ip')} for entry in net.findall('./ip/dhcp/host')],
    'instances': listing(instances_path),
    'claims': [name[:-len('.json')] for name in listing(os.path.join(state_path, 'claims'))],
}))
"""


def host_contents(testbed, host, state_path='/var/lib/novalite', instances_path='/var/lib/novalite/instances'):
    """What `host` holds, read inside it (paths as the host sees them)."""
    python = os.path.join(REPO, '.venv', 'bin', 'python')
    found = testbed.enter(host, python, '-c', _INSPECT, state_path, instances_path, LIBVIRT_NETWORK)
    assert found.returncode == 0, found.stdout
    return json.loads(found.stdout)


def servers(contents_by_host, prefix):
    """{uuid: {name, host, vm_state, running, ips}} of the servers whose name starts with
    `prefix`, from their records."""
    found = {}
    for host, contents in contents_by_host.items():
        for server_uuid, dom in contents['domains'].items():
            record = dom['record']
            if record and record['name'].startswith(prefix):
                found[server_uuid] = dict(record, host=host, running=dom['running'])
    return found


def debris(contents):
    """What a host holds that belongs to no server: domains without a record, instance
    directories without a domain, claims (once no build runs), DHCP entries of no domain."""
    domains = contents['domains']
    macs = set(mac for dom in domains.values() for mac in dom['macs'])
    return {
        'domains_without_record': sorted(u for u, dom in domains.items() if not dom['record']),
        'dirs_without_domain': sorted(set(contents['instances']) - set(domains)),
        'claims': contents['claims'],
        'dhcp_without_domain': sorted(set(entry['mac'] for entry in contents['dhcp']) - macs),
    }


NO_DEBRIS = {'domains_without_record': [], 'dirs_without_domain': [], 'claims': [], 'dhcp_without_domain': []}


def traces_of(contents, server_uuid):
    """Anything of the server on a host: its domain, instance directory or claim. (A DHCP
    entry of it would belong to no domain there: `debris` finds those.)"""
    return [what for what, present in (
        ('domain', server_uuid in contents['domains']),
        ('instance directory', server_uuid in contents['instances']),
        ('claim', server_uuid in contents['claims'])) if present]


def stop_libvirtd(testbed, host):
    """Stop the host's libvirtd (by its pid file) and wait until it is gone."""
    stopped = testbed.enter(host, 'sh', '-c', 'pid=$(cat /run/libvirtd.pid) && kill "$pid" && '
                            'for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done; exit 1')
    assert stopped.returncode == 0, stopped.stdout


def start_libvirtd(testbed, host):
    """Start the host's libvirtd again and wait until it answers."""
    started = testbed.enter(host, 'sh', '-c', 'libvirtd -d && for i in $(seq 100); do '
                            'virsh -q -c qemu:///system list >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1')
    assert started.returncode == 0, started.stdout


def delete_servers(testbed, inventory, prefix):
    """Delete, all at once, every server whose name starts with `prefix`, wherever it is."""
    found = servers(dict((host, host_contents(testbed, host)) for host in testbed.hosts), prefix)
    requests = [{'novalite_server_id': server_uuid} for server_uuid in found]
    for deleted in run_at_once('delete_server', inventory, requests):
        assert deleted.rc == 0, deleted
