# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The create-server and delete-server playbooks end to end on this machine's libvirtd.

A real guest boots from the demo image, reads its config drive and says so on its serial
console; the delete leaves nothing behind.
"""
import base64
import io
import json
import os
import re
import uuid

import pytest

from conftest import run_playbook, servers_named

libvirt = pytest.importorskip('libvirt')
etree = pytest.importorskip('lxml.etree')
pycdlib = pytest.importorskip('pycdlib')

pytestmark = pytest.mark.integration

URI = 'qemu:///system'
INSTANCES = '/var/lib/novalite/instances'
STATE = '/var/lib/novalite'
NETWORK_ID = '5f0c3a6e-8d2b-4d6e-9a51-2c3b6a1e0f01'
LIBVIRT_NETWORK = 'novalite-private'


def conn():
    return libvirt.open(URI)


def dhcp_macs():
    net = conn().networkLookupByName(LIBVIRT_NETWORK)
    tree = etree.fromstring(net.XMLDesc(0))
    return {h.get('mac'): h.get('ip') for h in tree.iter('host')}


def instance_dirs():
    return set(os.listdir(INSTANCES)) if os.path.isdir(INSTANCES) else set()


def no_new_leftovers(dirs_before):
    """Instance directories that appeared belong to live domains (other tests' servers), never
    to a failed request of this one."""
    live = set(d.UUIDString() for d in conn().listAllDomains())
    return sorted(d for d in instance_dirs() - dirs_before if d not in live) == []


def claim_files():
    path = os.path.join(STATE, 'claims')
    return set(os.listdir(path)) if os.path.isdir(path) else set()


def read_iso_file(path, iso_path):
    iso = pycdlib.PyCdlib()
    iso.open(path)
    try:
        out = io.BytesIO()
        iso.get_file_from_iso_fp(out, rr_path=iso_path)
        return out.getvalue()
    finally:
        iso.close()


def request(name, **server):
    body = {'name': name, 'flavorRef': 'm1.micro', 'imageRef': 'novalite-demo',
            'networks': [{'uuid': NETWORK_ID}], 'key_name': 'demo',
            'metadata': {'purpose': 'integration'}}
    body.update(server)
    return {'novalite_server': body}


def test_create_boot_and_delete(prepared_hypervisor):
    name = 'nltest-%s' % uuid.uuid4().hex[:6]
    user_data = base64.b64encode(b'#!/bin/sh\necho user-data-ran\n').decode()
    extra = request(name, min_count=2, max_count=2, user_data=user_data)
    extra['novalite_wait_for_console'] = True
    dirs_before, claims_before = instance_dirs(), claim_files()

    created = run_playbook('create_server', extra)
    servers = servers_named('%s-1' % name) + servers_named('%s-2' % name)
    macs = set()
    try:
        assert created.rc == 0, created
        assert len(servers) == 2, created
        for dom, rec in servers:
            macs.update(check_server(dom, rec, created, user_data))
        assert claim_files() == claims_before
    finally:
        for dom, _rec in servers:
            deleted = run_playbook('delete_server', {'novalite_server_id': dom.UUIDString()})
            assert deleted.rc == 0, deleted

    assert servers_named('%s-1' % name) + servers_named('%s-2' % name) == []
    assert no_new_leftovers(dirs_before)
    assert claim_files() == claims_before
    assert not set(dhcp_macs()) & macs


def check_server(dom, rec, created, user_data):
    """Check one built server against its flavor (m1.micro) and request; return its MACs."""
    flavor = {'vcpus': 1, 'ram': 192, 'disk': 2, 'ephemeral': 1, 'swap': 64}
    server_uuid = dom.UUIDString()
    assert rec['uuid'] == server_uuid
    assert rec['vm_state'] == 'active'
    assert dom.state()[0] == libvirt.VIR_DOMAIN_RUNNING
    info = dom.info()
    assert info[3] == flavor['vcpus']
    assert info[1] == flavor['ram'] * 1024          # KiB
    tree = etree.fromstring(dom.XMLDesc(0))
    disks = {d.find('target').get('dev'): d for d in tree.iter('disk')}
    assert set(disks) == {'vda', 'vdb', 'vdc', 'hdc'}, sorted(disks)
    inst_dir = os.path.join(INSTANCES, server_uuid)
    sizes = {dev: dom.blockInfo(disks[dev].find('source').get('file'))[0] for dev in ('vda', 'vdb', 'vdc')}
    assert sizes['vda'] == flavor['disk'] * 1024 ** 3
    assert sizes['vdb'] == flavor['ephemeral'] * 1024 ** 3
    assert sizes['vdc'] == flavor['swap'] * 1024 ** 2
    for disk in disks.values():
        assert disk.find('source').get('file').startswith(inst_dir + '/')
    assert disks['hdc'].get('device') == 'cdrom'

    macs = [i.find('mac').get('address') for i in tree.iter('interface')]
    assert len(macs) == 1 and macs[0].startswith('fa:16:3e:')
    leases = dhcp_macs()
    assert macs[0] in leases
    assert re.match(r'^10\.254\.0\.\d+$', leases[macs[0]])

    drive = disks['hdc'].find('source').get('file')
    meta = json.loads(read_iso_file(drive, '/openstack/latest/meta_data.json'))
    assert meta['uuid'] == server_uuid
    assert meta['hostname'] == rec['hostname']
    assert meta['meta'] == {'purpose': 'integration'}
    assert 'demo' in meta['public_keys']
    netdata = json.loads(read_iso_file(drive, '/openstack/latest/network_data.json'))
    assert netdata['links'][0]['ethernet_mac_address'] == macs[0]
    assert netdata['networks'][0]['ip_address'] == leases[macs[0]]
    assert read_iso_file(drive, '/openstack/latest/user_data') == base64.b64decode(user_data)

    with open(os.path.join(inst_dir, 'console.log')) as f:
        console = f.read()
    assert 'NOVALITE-METADATA uuid=%s hostname=%s' % (server_uuid, meta['hostname']) in console
    assert ('NOVALITE-METADATA uuid=%s' % server_uuid) in created.output
    return set(macs)


def test_unknown_flavor_fails_before_anything_is_created(prepared_hypervisor):
    name = 'nltest-%s' % uuid.uuid4().hex[:6]
    dirs_before = instance_dirs()
    run = run_playbook('create_server', request(name, flavorRef='no-such-flavor'))
    assert run.rc != 0
    assert 'flavorRef' in run.output, run
    assert servers_named(name) == []
    assert no_new_leftovers(dirs_before)


def test_bad_image_checksum_leaves_nothing_and_names_the_step(prepared_hypervisor, tmp_path):
    image = tmp_path / 'bad.qcow2'
    image.write_bytes(b'not the image the checksum describes')
    bad = {'id': str(uuid.uuid4()), 'name': 'nltest-bad-image', 'status': 'active',
           'location': str(image), 'checksum': 'sha256:' + '0' * 64, 'disk_format': 'raw',
           'container_format': 'bare', 'size': image.stat().st_size, 'min_ram': 0, 'min_disk': 0,
           'properties': {}}
    name = 'nltest-%s' % uuid.uuid4().hex[:6]
    extra = request(name, imageRef='nltest-bad-image', flavorRef='m1.nano')
    extra['novalite_images'] = [bad]
    dirs_before, claims_before = instance_dirs(), claim_files()
    base_before = set(os.listdir(os.path.join(STATE, '_base'))) if os.path.isdir(os.path.join(STATE, '_base')) else set()
    run = run_playbook('create_server', extra)
    assert run.rc != 0
    assert 'local-hv' in run.output and 'image' in run.output, run
    assert servers_named(name) == []
    assert no_new_leftovers(dirs_before)
    assert claim_files() == claims_before
    base_after = set(os.listdir(os.path.join(STATE, '_base'))) if os.path.isdir(os.path.join(STATE, '_base')) else set()
    assert base_after == base_before


def test_check_mode_reports_where_servers_would_go_and_creates_nothing(prepared_hypervisor):
    name = 'nltest-%s' % uuid.uuid4().hex[:6]
    dirs_before, claims_before = instance_dirs(), claim_files()
    run = run_playbook('create_server', request(name, flavorRef='m1.nano', max_count=2), check=True)
    assert run.rc == 0, run
    # the summary: one line a server, with its status and the host it would go to
    lines = re.findall(r'^\s+(%s-[12]) [0-9a-f-]{36} BUILD host=local-hv \S+$' % name,
                       run.output, re.M)
    assert sorted(lines) == ['%s-1' % name, '%s-2' % name], run
    assert servers_named('%s-1' % name) + servers_named('%s-2' % name) == []
    assert no_new_leftovers(dirs_before)
    assert claim_files() <= claims_before


def test_no_valid_host_names_the_filter_and_shows_the_trace(prepared_hypervisor):
    name = 'nltest-%s' % uuid.uuid4().hex[:6]
    extra = request(name, flavorRef='nltest.huge')
    extra['novalite_flavors'] = [{'id': '99', 'name': 'nltest.huge', 'vcpus': 1, 'ram': 40000,
                                  'disk': 1, 'ephemeral': 0, 'swap': 0, 'extra_specs': {}}]
    dirs_before = instance_dirs()
    run = run_playbook('create_server', extra)
    assert run.rc != 0
    assert 'No valid host was found. ResourceFilter removed local-hv' in run.output, run
    assert 'ResourceFilter: 1 in, 0 out; local-hv' in run.output, run
    assert 'MEMORY_MB: requested 40000 exceeds the host total' in run.output, run
    assert servers_named(name) == []
    assert no_new_leftovers(dirs_before)


@pytest.mark.parametrize('how', ['json', 'file'])
def test_a_survey_answer_is_data_never_a_template(prepared_hypervisor, tmp_path, how):
    """Issue 11, defect 4: a server name of x-{{ lookup("pipe", ...) }} ran the command on
    the controller. The answer stays the text it is (check mode: nothing is built)."""
    marker = tmp_path / 'ran'
    name = 'x-{{ lookup("pipe", "touch %s; id -un") }}' % marker
    answers = {'server_name': name, 'flavor': 'm1.nano', 'image': 'novalite-demo',
               'user_data': '{{ lookup("pipe", "touch %s") }}' % marker}
    if how == 'file':
        answers_file = tmp_path / 'answers.json'
        answers_file.write_text(json.dumps(answers))
        run = run_playbook('create_server', check=True, extra_args=['-e', '@%s' % answers_file])
    else:
        run = run_playbook('create_server', answers, check=True)
    assert run.rc == 0, run
    assert not marker.exists()
    assert "name: 'x-{{ lookup(\"pipe\", \"touch %s; id -un\") }}'" % marker in run.output \
        or 'x-{{ lookup("pipe", "touch %s; id -un") }}' % marker in run.output, run
