# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The libvirt domain type of a hypervisor: Nova's `[libvirt] virt_type` (`kvm` or `qemu`).

`auto` chooses `kvm` only after proving that KVM really runs a guest. A readable /dev/kvm is
not enough: nested or software KVM backends (and libvirt's domcapabilities) advertise KVM on
hosts where guests then fail or hang, so the last step runs a one-instruction guest (`hlt` in
real mode) and checks that the vCPU exits with KVM_EXIT_HLT. That run happens in a child
process with a timeout, so a hanging KVM cannot block the caller. Nothing is cached: the
answer is as fresh as the call.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ctypes
import errno
import fcntl
import mmap
import os
import select
import signal
import struct
import time

VIRT_TYPES = ('auto', 'kvm', 'qemu')

KVM_DEVICE = '/dev/kvm'
CPUINFO = '/proc/cpuinfo'
KVM_API_VERSION = 12  # stable since Linux 2.6.22

# ioctl numbers from <linux/kvm.h>: _IO/_IOR/_IOW(KVMIO=0xAE, nr, size)
KVM_GET_API_VERSION = 0xAE00
KVM_CREATE_VM = 0xAE01
KVM_GET_VCPU_MMAP_SIZE = 0xAE04
KVM_CREATE_VCPU = 0xAE41
KVM_SET_USER_MEMORY_REGION = 0x4020AE46  # struct kvm_userspace_memory_region, 32 bytes
KVM_RUN = 0xAE80
KVM_GET_REGS = 0x8090AE81  # struct kvm_regs, 144 bytes
KVM_SET_REGS = 0x4090AE82
KVM_GET_SREGS = 0x8138AE83  # struct kvm_sregs, 312 bytes
KVM_SET_SREGS = 0x4138AE84
KVM_EXIT_HLT = 5

GUEST_ADDR = 0x1000  # guest-physical address of the test page
HLT = b'\xf4'


def resolve_virt_type(requested='auto', device=KVM_DEVICE, cpuinfo=CPUINFO, timeout=5.0):
    """Return (virt_type, reason) for `requested` in VIRT_TYPES.

    An explicit `kvm` or `qemu` is taken as is. `auto` returns `kvm` when every probe step
    passes, else `qemu` with the first failing step as the reason."""
    if requested not in VIRT_TYPES:
        raise ValueError('virt_type must be one of %s, got %r' % (', '.join(VIRT_TYPES), requested))
    if requested != 'auto':
        return requested, 'virt_type %s requested' % requested
    failure = kvm_failure(device, cpuinfo, timeout)
    if failure:
        return 'qemu', 'KVM unusable, using qemu (TCG): %s' % failure
    return 'kvm', 'KVM works: %s opens read-write, API %d, cpu has %s, test guest halted' % (
        device, KVM_API_VERSION, cpu_virt_flag(cpuinfo))


def kvm_failure(device=KVM_DEVICE, cpuinfo=CPUINFO, timeout=5.0):
    """Why KVM cannot be used here, or None when all probe steps pass (in this order:
    open read-write, API version, CPU flag, test guest)."""
    try:
        fd = os.open(device, os.O_RDWR | os.O_CLOEXEC)
    except OSError as e:
        return 'cannot open %s read-write: %s' % (device, e.strerror or e)
    try:
        version = fcntl.ioctl(fd, KVM_GET_API_VERSION, 0)
    except OSError as e:
        return 'KVM_GET_API_VERSION failed on %s: %s' % (device, e.strerror or e)
    finally:
        os.close(fd)
    if version != KVM_API_VERSION:
        return 'KVM API version %s on %s, expected %d' % (version, device, KVM_API_VERSION)
    if not cpu_virt_flag(cpuinfo):
        return 'no vmx or svm flag in %s (no hardware virtualization)' % cpuinfo
    return run_in_child(lambda: _hlt_guest(device), timeout)


def cpu_virt_flag(cpuinfo=CPUINFO):
    """'vmx' (Intel VT-x) or 'svm' (AMD-V) when the CPU flags list one, else None."""
    try:
        with open(cpuinfo) as f:
            for line in f:
                if line.startswith('flags'):
                    flags = line.split(':', 1)[-1].split()
                    for flag in ('vmx', 'svm'):
                        if flag in flags:
                            return flag
    except (IOError, OSError):
        return None
    return None


def run_in_child(probe, timeout):
    """Run `probe()` (returns None or a failure text) in a forked child; its answer comes
    back through a pipe. A child that does not answer within `timeout` seconds is killed."""
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never returns into the caller's code
        os.close(rfd)
        try:
            answer = probe() or ''
        except BaseException as e:  # report anything, the parent decides
            answer = 'test guest failed: %s' % e
        os.write(wfd, answer.encode('utf-8', 'replace')[:4000])
        os._exit(0)
    os.close(wfd)
    try:
        return _read_answer(rfd, pid, timeout)
    finally:
        os.close(rfd)


def _read_answer(rfd, pid, timeout):
    deadline = time.time() + timeout
    chunks = []
    while True:
        left = deadline - time.time()
        ready = select.select([rfd], [], [], max(left, 0))[0] if left > 0 else []
        if not ready:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return 'test guest did not finish within %ss' % timeout
        data = os.read(rfd, 4096)
        if not data:
            break
        chunks.append(data)
    status = os.waitpid(pid, 0)[1]
    answer = b''.join(chunks).decode('utf-8', 'replace')
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        return answer or 'test guest process died (status %d)' % status
    return answer or None


def _hlt_guest(device):
    """Create a VM with one page holding `hlt`, point a real-mode vCPU at it, run it once.

    Returns None when the vCPU exits with KVM_EXIT_HLT, else the failure."""
    kvm = os.open(device, os.O_RDWR | os.O_CLOEXEC)
    vm = fcntl.ioctl(kvm, KVM_CREATE_VM, 0)
    page = mmap.mmap(-1, mmap.PAGESIZE)
    page.write(HLT)
    address = ctypes.addressof(ctypes.c_char.from_buffer(page))
    region = struct.pack('<IIQQQ', 0, 0, GUEST_ADDR, mmap.PAGESIZE, address)
    fcntl.ioctl(vm, KVM_SET_USER_MEMORY_REGION, region)
    vcpu = fcntl.ioctl(vm, KVM_CREATE_VCPU, 0)

    # Real mode with CS base 0, so RIP is the guest-physical address of the hlt.
    sregs = bytearray(312)
    fcntl.ioctl(vcpu, KVM_GET_SREGS, sregs, True)
    struct.pack_into('<Q', sregs, 0, 0)   # cs.base
    struct.pack_into('<H', sregs, 12, 0)  # cs.selector
    fcntl.ioctl(vcpu, KVM_SET_SREGS, bytes(sregs))
    regs = bytearray(144)
    fcntl.ioctl(vcpu, KVM_GET_REGS, regs, True)
    struct.pack_into('<QQ', regs, 128, GUEST_ADDR, 0x2)  # rip, rflags (bit 1 always set)
    fcntl.ioctl(vcpu, KVM_SET_REGS, bytes(regs))

    run_size = fcntl.ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0)
    run = mmap.mmap(vcpu, run_size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    while True:
        try:
            fcntl.ioctl(vcpu, KVM_RUN, 0)
            break
        except OSError as e:
            if e.errno != errno.EINTR:
                return 'KVM_RUN failed: %s' % (e.strerror or e)
    exit_reason = struct.unpack_from('<I', run, 8)[0]
    if exit_reason != KVM_EXIT_HLT:
        return 'test guest exited with reason %d, expected KVM_EXIT_HLT (%d)' % (
            exit_reason, KVM_EXIT_HLT)
    return None
