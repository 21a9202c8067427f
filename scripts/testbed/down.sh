#!/usr/bin/env bash
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# down.sh [--purge] -- tear down every testbed host there is: its processes (guests, dnsmasq,
# libvirtd, virtlogd, sshd, SSH sessions), the controller's connections to it, its namespaces,
# veth and state; then the bridge, the inventory, the SSH key and the cached host states.
# Idempotent, and complete after a partial or killed up.sh. Processes are found by namespace
# and signalled by PID. --purge also drops the QEMU capabilities cache kept for the next up.sh.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/testbed/common.sh
. "$HERE/common.sh"
T0=$(tb_now)

ns_pids() {   # PIDs whose network or mount namespace is host $1's
    local n=$1 netino="" mntino=""
    [ -e "/run/netns/nltb-$n" ] && netino=$(stat -L -c %i "/run/netns/nltb-$n" 2>/dev/null)
    mountpoint -q "$TESTBED_ROOT/ns/$n.mnt" 2>/dev/null && mntino=$(stat -L -c %i "$TESTBED_ROOT/ns/$n.mnt" 2>/dev/null)
    [ -z "$netino$mntino" ] && return 0
    find /proc/[0-9]*/ns/net /proc/[0-9]*/ns/mnt -maxdepth 0 \
         \( -lname "net:\[${netino:-none}\]" -o -lname "mnt:\[${mntino:-none}\]" \) 2>/dev/null |
        cut -d/ -f3 | sort -u
}

stop_processes() {   # SIGTERM (qemu then exits as on `virsh destroy`), SIGKILL after 5 s
    local n=$1 pids k
    mapfile -t pids < <(ns_pids "$n")
    [ ${#pids[@]} -gt 0 ] || return 0
    kill -TERM "${pids[@]}" 2>/dev/null
    for k in $(seq 1 50); do
        mapfile -t pids < <(ns_pids "$n")
        [ ${#pids[@]} -gt 0 ] || return 0
        sleep 0.1
    done
    echo "$n: SIGKILL ${pids[*]} after $k tries" >&2
    kill -KILL "${pids[@]}" 2>/dev/null
    sleep 0.2
}

mapfile -t hosts < <( { find "$TESTBED_ROOT" -mindepth 1 -maxdepth 1 -type d -name "${TESTBED_PREFIX}*" -printf '%f\n' 2>/dev/null
                        ip netns list 2>/dev/null | awk '{ print $1 }' | sed -n "s/^nltb-\(${TESTBED_PREFIX}[0-9]*\)$/\1/p"
                      } | grep -E "^${TESTBED_PREFIX}[0-9]+$" | sort -u)

for n in "${hosts[@]}"; do
    stop_processes "$n"
    # The controller's TCP connections to the host (ssh clients, Ansible's ControlPersist
    # masters) would hang forever: their peer vanishes with the netns without a FIN or RST.
    ss -K dst "$(tb_ip "${n#"$TESTBED_PREFIX"}")" >/dev/null 2>&1
    # Dropping the handles ends the namespaces; the netns takes its veth, taps and bridges along.
    umount "$TESTBED_ROOT/ns/$n.mnt" "$TESTBED_ROOT/ns/$n.uts" 2>/dev/null
    rm -f "$TESTBED_ROOT/ns/$n.mnt" "$TESTBED_ROOT/ns/$n.uts"
    ip netns del "nltb-$n" 2>/dev/null
    # A failed `ip netns add` leaves a plain file.
    [ -e "/run/netns/nltb-$n" ] && ! mountpoint -q "/run/netns/nltb-$n" && rm -f "/run/netns/nltb-$n"
    ip link del "nltb-$n" 2>/dev/null
    rm -rf --one-file-system "${TESTBED_ROOT:?}/$n"
    tb_forget_facts "$n"
    echo "$n: down"
done

ip link del "$TESTBED_BRIDGE" 2>/dev/null
while mountpoint -q "$TESTBED_ROOT/ns"; do umount "$TESTBED_ROOT/ns" || break; done
rm -rf "$TESTBED_ROOT/ns" "$TESTBED_ROOT/ssh" "$TESTBED_INVENTORY"
[ "${1:-}" = "--purge" ] && rm -rf --one-file-system "${TESTBED_ROOT:?}"
echo "down: ${#hosts[@]} hosts in $(tb_dt "$T0") s"
exit 0
