# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

import uuid

import pytest

from ansible_collections.novalite.compute.plugins.modules import libvirt_domain

from libvirt_helpers import remove_domain
from module_runner import TEST_URI, open_test_driver, run_module


@pytest.fixture
def name():
    conn = open_test_driver()  # keeps the driver's state alive between module runs
    name = 'nltest-mod-%s' % uuid.uuid4().hex[:8]
    try:
        yield name
    finally:
        remove_domain(conn, name)


def args(name, **over):
    values = dict(uri=TEST_URI, name=name, state='running', vcpus=1, memory_mb=96,
                  kernel='/srv/kernel', cmdline='console=ttyS0',
                  disks=[{'path': '/srv/disk', 'target_dev': 'vda'}],
                  interfaces=[{'network': 'default'}], console_log='/srv/console.log')
    values.update(over)
    return values


def test_check_mode_diff_then_apply_then_idempotent(name, capsys):
    predicted = run_module(libvirt_domain, args(name), capsys, check_mode=True, diff=True)
    assert predicted['changed'] and predicted['actions'] == ['define', 'start']
    assert predicted['diff']['before'] == {'state': 'absent'}
    assert predicted['diff']['after']['memory_mb'] == 96
    applied = run_module(libvirt_domain, args(name), capsys)
    assert applied['changed'] and 'diff' not in applied
    assert applied['domain']['state'] == 'running'
    again = run_module(libvirt_domain, args(name), capsys, diff=True)
    assert not again['changed']
    assert again['diff']['before'] == again['diff']['after']


def test_stopped_then_absent(name, capsys):
    run_module(libvirt_domain, args(name), capsys)
    stopped = run_module(libvirt_domain, args(name, state='stopped', shutdown_timeout=5), capsys)
    assert stopped['actions'] == ['shutdown'] and stopped['domain']['state'] == 'shutoff'
    gone = run_module(libvirt_domain, dict(uri=TEST_URI, name=name, state='absent'), capsys)
    assert gone['actions'] == ['undefine']
    assert not run_module(libvirt_domain, dict(uri=TEST_URI, name=name, state='absent'),
                          capsys)['changed']


def test_errors_name_the_field(name, capsys):
    failed = run_module(libvirt_domain, args(name, memory_mb=None, vcpus=None,
                                             state='running'), capsys)
    assert failed['failed'] and 'no definition' in failed['msg']
    failed = run_module(libvirt_domain, dict(uri=TEST_URI, xml='<domain/>', vcpus=1,
                                             memory_mb=64), capsys)
    assert failed['failed'] and 'mutually exclusive' in failed['msg']
    failed = run_module(libvirt_domain, args(name, disks=[{'path': '/x', 'target_dev': 'vda',
                                                           'bus': 'usb'}]), capsys)
    assert failed['failed'] and 'bus' in failed['msg']
    failed = run_module(libvirt_domain, args(name, uri='test:///nonexistent/path'), capsys)
    assert failed['failed'] and failed['msg'].startswith('libvirt: ')
