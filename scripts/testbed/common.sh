# shellcheck shell=bash
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Sourced by the testbed scripts: settings (each can be overridden from the environment) and
# helpers. Layout with the defaults:
#   controller (root namespaces)  bridge nltb0 = 10.79.0.1/24, no route out of it
#   host i                        netns nltb-hv<i>, eth0 = 10.79.0.(10+i)/24, hostname hv<i>
#   host i's private state        $TESTBED_ROOT/hv<i>/{etc-libvirt,lib,log,cache,run,tmp,novalite}
#   namespace handles             $TESTBED_ROOT/ns/hv<i>.{mnt,uts}, /run/netns/nltb-hv<i>
#   Ansible inventory             <repo>/inventories/testbed

TESTBED_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Not under /tmp: every host gets a private /tmp.
TESTBED_ROOT=${TESTBED_ROOT:-/var/tmp/novalite-testbed}
TESTBED_NET=${TESTBED_NET:-10.79.0}
TESTBED_BRIDGE=${TESTBED_BRIDGE:-nltb0}
TESTBED_PREFIX=${TESTBED_PREFIX:-hv}
# The Python the modules run with on the hosts; visible read-only at the same path inside them.
TESTBED_VENV=${TESTBED_VENV:-$TESTBED_REPO/.venv}
TESTBED_INVENTORY=${TESTBED_INVENTORY:-$TESTBED_REPO/inventories/testbed}
# Every host has its own /var/lib/novalite (image cache, claims, instances). Image locations of
# the catalog that lie below it are bound read-only into each host's copy (space-separated).
TESTBED_SHARED=${TESTBED_SHARED:-${NOVALITE_DEMO_IMAGE_DIR:-/var/lib/novalite/demo-image}}
TESTBED_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

tb_name()  { echo "${TESTBED_PREFIX}$1"; }          # hv1
tb_netns() { echo "nltb-$(tb_name "$1")"; }         # nltb-hv1 (also the controller-side veth)
tb_ip()    { echo "${TESTBED_NET}.$((10 + $1))"; }  # 10.79.0.11

# Run a command inside host <i> (its net, mount and UTS namespaces) with a clean environment.
# Never `ip netns exec`: it makes a fresh mount namespace, which sees the root libvirtd.
tb_in() {
    local i=$1 n
    shift
    n=$(tb_name "$i")
    nsenter --net="/run/netns/$(tb_netns "$i")" \
            --mount="$TESTBED_ROOT/ns/$n.mnt" --uts="$TESTBED_ROOT/ns/$n.uts" -- \
        env -i PATH="$TESTBED_PATH" HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" "$@"
}

# Drop host <name>'s entry from the fact cache of ansible.cfg (ansible-core names the file
# <name> or s<version>_<name>).
tb_forget_facts() {
    find "$TESTBED_REPO/build/fact_cache" -maxdepth 1 -type f -regextype egrep \
         -regex ".*/(s[0-9]+_)?$1" -delete 2>/dev/null || true
}

tb_now() { date +%s.%N; }
tb_dt()  { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'; }
