#!/usr/bin/env bash
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# ns-setup.sh I -- run by up.sh already inside host I's network namespace and a fresh private
# mount and UTS namespace: builds the view of the filesystem that the host's libvirtd,
# virtlogd and sshd (and the modules run over SSH) see.
set -euo pipefail
# shellcheck source=scripts/testbed/common.sh
. "$(dirname "$0")/common.sh"
i=$1
n=$(tb_name "$i")
H=$TESTBED_ROOT/$n

hostname "$n"

# This namespace starts as a copy of the caller's mounts, including the handles of the hosts
# made before: dropping them lets those namespaces die with their own host.
umount -l /run/netns 2>/dev/null || true
umount -l "$TESTBED_ROOT/ns" 2>/dev/null || true

# A sysfs mounted from inside the netns shows this host's interfaces, which libvirt's bridge
# and tap code needs. It hides /sys/fs/cgroup, hence cgroup_controllers = [ ] in qemu.conf.
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys

# Private /run: pid files and sockets of libvirtd, virtlogd and sshd.
mount --bind "$H/run" /run
mkdir -p /run/libvirt /run/sshd /run/lock
chmod 755 /run/sshd

mount --bind "$H/etc-libvirt" /etc/libvirt
mkdir -p /var/lib/libvirt /var/log/libvirt /var/cache/libvirt
mount --bind "$H/lib" /var/lib/libvirt
mount --bind "$H/log" /var/log/libvirt
mount --bind "$H/cache" /var/cache/libvirt

# The collection's state on a hypervisor (image cache, claims, locks, instances) is the host's
# own; the catalog's image files below it stay readable at their controller paths.
mkdir -p /var/lib/novalite
for d in $TESTBED_SHARED; do
    case $d in
    /var/lib/novalite/*)
        [ -d "$d" ] || continue
        mkdir -p "$H/novalite/${d#/var/lib/novalite/}"
        mount --bind "$d" "$H/novalite/${d#/var/lib/novalite/}"
        mount -o remount,bind,ro "$H/novalite/${d#/var/lib/novalite/}"
        ;;
    esac
done
mount --rbind "$H/novalite" /var/lib/novalite

# The modules' Python: the same path as on the controller, read-only. A venv below /tmp is
# mounted inside the host's private /tmp (mounted further down), which would hide it otherwise.
if [ -d "$TESTBED_VENV" ]; then
    case $TESTBED_VENV in
    /tmp/*) venv_mount="$H/tmp/${TESTBED_VENV#/tmp/}" ;;
    *) venv_mount=$TESTBED_VENV ;;
    esac
    mkdir -p "$venv_mount"
    mount --bind "$TESTBED_VENV" "$venv_mount"
    mount -o remount,bind,ro "$venv_mount"
fi

# Name resolution must never wait for the upstream DNS, which the host cannot reach:
# Python's socket.getfqdn() and virConnectGetHostname() would wait 2 x 5 s for it.
mount --bind "$H/hosts" /etc/hosts
mount --bind "$H/resolv.conf" /etc/resolv.conf

chmod 1777 "$H/tmp"
mount --rbind "$H/tmp" /tmp
