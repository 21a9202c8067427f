#!/usr/bin/env bash
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# bootstrap.sh [--no-apt] -- prepare a Debian 12 machine to run the demo and the tests.
# Idempotent: a second run changes nothing and takes about a second.
#   1. Debian packages (apt-get only when something is missing; no daemon is started by them)
#   2. what a stock libvirtd needs: kvm/libvirt-qemu accounts, directories, /dev/net/tun,
#      /dev/kvm as root:kvm 0660
#   3. virtlogd and libvirtd (started with -d when not running; running ones are left alone)
#   4. the Python venv $REPO/.venv from $REPO/requirements-dev.txt, which includes the users'
#      requirements.txt (skipped when neither changed)
#   --no-apt  skip step 1 (steps 2 and 3 are skipped anyway when not root)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=$REPO/.venv
# The development requirements include the users' requirements.txt (-r): both are hashed.
REQUIREMENTS=$REPO/requirements-dev.txt
REQUIREMENT_FILES=("$REQUIREMENTS" "$REPO/requirements.txt")
STAMP=$VENV/.requirements.sha256
LIBVIRT_URI=qemu:///system
LIBVIRT_WAIT=${NOVALITE_LIBVIRT_WAIT:-90}

PACKAGES=(
    # hypervisor: libvirtd with the qemu driver. Not libvirt-daemon-system: it pulls in
    # systemd as init; the daemons are started by this script instead.
    libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 qemu-utils
    # libvirt networks (dnsmasq per network, iptables rules), tap devices
    dnsmasq-base iptables iproute2
    # security groups (nft), VXLAN and bridges (ip, bridge from iproute2)
    nftables
    # demo image (busybox initramfs, kernel .deb unpacked with dpkg-deb) and config drives
    busybox-static genisoimage cpio
    # libvirt-python has no binary wheel: it compiles against libvirt-dev
    libvirt-dev pkg-config gcc python3-dev python3-venv ca-certificates
    # Ansible over ssh, and Debian's bindings for /usr/bin/python3 as the remote interpreter
    openssh-client openssh-server python3-libvirt python3-lxml
    # scripts and their lint
    bc shellcheck
    # the fleet database's PostgreSQL tests start a throwaway server (no daemon is enabled)
    postgresql
)

NO_APT=0
for arg in "$@"; do
    case $arg in
        --no-apt) NO_APT=1 ;;
        -h|--help) sed -n '5,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bootstrap: unknown argument '$arg' (usage: bootstrap.sh [--no-apt])" >&2; exit 2 ;;
    esac
done

die() { echo "bootstrap: ERROR: $*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }

elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }

# step NAME FUNCTION: run one step in a subshell with errexit in force (a function called
# from a conditional would run with errexit off), print its outcome and duration on one line.
# A step's stdout is its one-line note; on failure the note says why.
step() {
    local name=$1 fn=$2 t0 note rc
    t0=$EPOCHREALTIME
    set +e
    note=$(set -e; "$fn")
    rc=$?
    set -e
    [ "$rc" = 0 ] || die "step '$name' failed (exit $rc)${note:+: $note}"
    printf 'bootstrap: %-8s %-44s %6ss\n' "$name" "${note:-ok}" "$(elapsed "$t0")"
}

missing_packages() {
    local p installed
    # dpkg-query prints nothing for packages it has never heard of: compare by name.
    installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${PACKAGES[@]}" 2>/dev/null \
                | awk '$2 == "ii" {print $1}' || true)
    for p in "${PACKAGES[@]}"; do
        grep -qx -- "$p" <<< "$installed" || echo "$p"
    done
}

do_apt() {
    if [ "$NO_APT" = 1 ]; then echo "skipped (--no-apt)"; return; fi
    is_root || { echo "not root: run as root or pass --no-apt" >&2; return 1; }
    local missing own_policy=0
    mapfile -t missing < <(missing_packages)
    if [ "${#missing[@]}" = 0 ]; then echo "all ${#PACKAGES[@]} packages present"; return; fi
    # Package postinsts must not start daemons (sshd on *:22, ...): deny through policy-rc.d
    # unless the image already has one, and remove ours afterwards whatever happens.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        own_policy=1
    fi
    local rc=0
    {
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"
    } > /tmp/novalite-bootstrap-apt.log 2>&1 || rc=$?
    [ "$own_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
    if [ "$rc" != 0 ]; then
        tail -n 20 /tmp/novalite-bootstrap-apt.log >&2
        echo "apt-get failed (log: /tmp/novalite-bootstrap-apt.log)"
        return 1
    fi
    echo "installed ${#missing[@]}: ${missing[*]}" | cut -c1-44
}

do_host() {
    is_root || { echo "skipped (not root)"; return; }
    local made=()
    # Debian's libvirtd runs qemu as libvirt-qemu:libvirt-qemu and refuses to start the qemu
    # driver when that user does not resolve (libvirt-daemon-system would create it).
    getent group kvm >/dev/null || { groupadd -r kvm; made+=(kvm); }
    getent group libvirt-qemu >/dev/null || { groupadd -r libvirt-qemu; made+=(group); }
    getent passwd libvirt-qemu >/dev/null || {
        useradd -r -g libvirt-qemu -G kvm -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
        made+=(user)
    }
    local d
    for d in /var/log/libvirt/qemu /var/lib/libvirt/images /var/cache/libvirt /run/libvirt; do
        [ -d "$d" ] || { mkdir -p "$d"; made+=("$d"); }
    done
    if [ ! -c /dev/net/tun ]; then
        mkdir -p /dev/net && mknod -m 666 /dev/net/tun c 10 200
        made+=(tun)
    fi
    # What Debian's udev rule does. Without it libvirtd finds /dev/kvm unusable for its qemu
    # user, re-probes the QEMU capabilities on every start, and each start takes seconds.
    if [ -c /dev/kvm ] && [ "$(stat -c '%G %a' /dev/kvm)" != "kvm 660" ]; then
        chgrp kvm /dev/kvm && chmod 0660 /dev/kvm
        made+=(/dev/kvm)
    fi
    if [ "${#made[@]}" = 0 ]; then echo "nothing to do"; else echo "made ${made[*]}" | cut -c1-44; fi
}

# running NAME: the daemon whose pid file /run/NAME.pid names a live NAME process.
running() {
    local pid
    pid=$(cat "/run/$1.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ]
}

libvirt_answers() { virsh -c "$LIBVIRT_URI" version >/dev/null 2>&1; }

do_daemons() {
    if ! is_root; then
        if libvirt_answers; then echo "libvirtd answers"; else echo "skipped (not root)"; fi
        return
    fi
    local started=()
    # libvirtd started by hand (no systemd) does not spawn virtlogd itself, and domains
    # with a serial log fail to start without it.
    running virtlogd || { (cd / && virtlogd -d) >/dev/null || return 1; started+=(virtlogd); }
    running libvirtd || { (cd / && libvirtd -d) >/dev/null || return 1; started+=(libvirtd); }
    local deadline=$((SECONDS + LIBVIRT_WAIT))
    until libvirt_answers; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "libvirtd did not answer on $LIBVIRT_URI within ${LIBVIRT_WAIT}s"
            return 1
        fi
        sleep 0.2
    done
    if [ "${#started[@]}" = 0 ]; then echo "already running"; else echo "started ${started[*]}"; fi
}

requirements_hash() {
    # The interpreter is part of the key: a new python3 needs a new venv anyway.
    { cat "${REQUIREMENT_FILES[@]}"; python3 -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1
}

do_venv() {
    local f
    for f in "${REQUIREMENT_FILES[@]}"; do [ -f "$f" ] || { echo "missing $f"; return 1; }; done
    local want
    want=$(requirements_hash)
    if [ -x "$VENV/bin/python" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ] \
        && "$VENV/bin/python" -c 'import ansible, libvirt, lxml' 2>/dev/null; then
        echo "up to date"
        return
    fi
    # Recreate a venv whose interpreter no longer runs (python3 upgraded or removed).
    if ! "$VENV/bin/python" -c '' 2>/dev/null; then
        python3 -m venv --clear "$VENV" >&2 || { echo "python3 -m venv failed"; return 1; }
    fi
    rm -f "$STAMP"
    "$VENV/bin/python" -m pip install -q -r "$REQUIREMENTS" > /tmp/novalite-bootstrap-pip.log 2>&1 || {
        tail -n 20 /tmp/novalite-bootstrap-pip.log >&2
        echo "pip install failed (log: /tmp/novalite-bootstrap-pip.log)"
        return 1
    }
    echo "$want" > "$STAMP"
    echo "installed $(basename "$REQUIREMENTS")"
}

T0=$EPOCHREALTIME
step apt do_apt
step host do_host
step libvirt do_daemons
step venv do_venv
echo "bootstrap: done in $(elapsed "$T0")s (venv: $VENV)"
