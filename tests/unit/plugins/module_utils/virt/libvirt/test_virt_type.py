# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""virt_type: explicit choices, and `auto` reasons that agree with what the host really has."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import fcntl
import os
import time

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt import virt_type as vt


def _opens_read_write(path):
    try:
        os.close(os.open(path, os.O_RDWR))
        return True
    except OSError:
        return False


def _has_virt_flag(cpuinfo):
    with open(cpuinfo) as f:
        return any(line.startswith('flags') and ({'vmx', 'svm'} & set(line.split(':', 1)[1].split()))
                   for line in f)


@pytest.mark.parametrize('requested', ['kvm', 'qemu'])
def test_explicit_choice_is_taken_as_is(requested, tmp_path):
    # even with no /dev/kvm at all: an operator's explicit choice is not second-guessed
    virt_type, reason = vt.resolve_virt_type(requested, device=str(tmp_path / 'nokvm'))
    assert virt_type == requested
    assert requested in reason


def test_unknown_choice_names_the_rule():
    with pytest.raises(ValueError, match='virt_type must be one of auto, kvm, qemu'):
        vt.resolve_virt_type('xen')


def test_auto_without_device_falls_back_to_qemu(tmp_path):
    device = str(tmp_path / 'kvm')
    virt_type, reason = vt.resolve_virt_type('auto', device=device)
    assert virt_type == 'qemu'
    assert 'cannot open %s' % device in reason


def test_auto_with_a_device_that_is_not_kvm(tmp_path):
    fake = tmp_path / 'kvm'
    fake.write_text('')
    virt_type, reason = vt.resolve_virt_type('auto', device=str(fake))
    assert virt_type == 'qemu'
    assert 'KVM_GET_API_VERSION failed' in reason


def test_auto_on_this_host_agrees_with_the_probe_steps():
    virt_type, reason = vt.resolve_virt_type('auto')
    if not _opens_read_write(vt.KVM_DEVICE):
        assert virt_type == 'qemu' and 'cannot open /dev/kvm read-write' in reason
        return
    fd = os.open(vt.KVM_DEVICE, os.O_RDWR)
    try:
        api = fcntl.ioctl(fd, vt.KVM_GET_API_VERSION, 0)
    finally:
        os.close(fd)
    if api != 12:
        assert virt_type == 'qemu' and 'API version %d' % api in reason
    elif not _has_virt_flag(vt.CPUINFO):
        assert virt_type == 'qemu'
        assert 'no vmx or svm flag in /proc/cpuinfo' in reason
    elif virt_type == 'kvm':
        assert reason.startswith('KVM works') and 'test guest halted' in reason
    else:
        assert 'test guest' in reason or 'KVM_RUN' in reason


def test_cpu_flag_decides_before_the_test_guest(tmp_path):
    if not _opens_read_write(vt.KVM_DEVICE):
        pytest.skip('no usable /dev/kvm on this host')
    no_flag = tmp_path / 'cpuinfo-plain'
    no_flag.write_text('processor\t: 0\nflags\t\t: fpu vme de pse tsc msr\n')
    assert vt.resolve_virt_type(cpuinfo=str(no_flag)) == (
        'qemu', 'KVM unusable, using qemu (TCG): no vmx or svm flag in %s '
                '(no hardware virtualization)' % no_flag)

    # with a flag the outcome is the test guest's: compare with running it directly
    flagged = tmp_path / 'cpuinfo-vmx'
    flagged.write_text('processor\t: 0\nflags\t\t: fpu vme vmx tsc\n')
    guest = vt.run_in_child(lambda: vt._hlt_guest(vt.KVM_DEVICE), 10)
    virt_type, reason = vt.resolve_virt_type(cpuinfo=str(flagged), timeout=10)
    if guest is None:
        assert virt_type == 'kvm' and 'cpu has vmx' in reason
    else:
        assert virt_type == 'qemu' and guest in reason


def test_cpu_virt_flag(tmp_path):
    svm = tmp_path / 'svm'
    svm.write_text('flags\t: fpu svm sse\n')
    assert vt.cpu_virt_flag(str(svm)) == 'svm'
    assert vt.cpu_virt_flag(str(tmp_path / 'missing')) is None


def test_child_that_hangs_is_killed_in_time():
    start = time.time()
    assert vt.run_in_child(lambda: time.sleep(30), 0.5) == 'test guest did not finish within 0.5s'
    assert time.time() - start < 5


def test_child_errors_become_reasons():
    assert vt.run_in_child(lambda: 1 // 0, 5) == 'test guest failed: integer division or modulo by zero'
    assert vt.run_in_child(lambda: 'KVM_RUN failed: x', 5) == 'KVM_RUN failed: x'
    assert vt.run_in_child(lambda: None, 5) is None
