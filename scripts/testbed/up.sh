#!/usr/bin/env bash
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# up.sh [N] -- bring up N (default 3) hypervisor hosts on this machine, each with its own
# network, mount and UTS namespaces, its own virtlogd, libvirtd and sshd, reachable over SSH
# with a key made for this testbed. Writes the Ansible inventory inventories/testbed (group
# `hypervisors`, host i in zone az<i> with its own capacity settings and its VXLAN address, the
# catalog of inventories/local plus the vxlan network `tenant` and the security group
# `closed`). On any failure, and when interrupted, it tears down what it made.
# Needs root (or CAP_SYS_ADMIN and CAP_NET_ADMIN).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/testbed/common.sh
. "$HERE/common.sh"
N=${1:-3}
T0=$(tb_now)

fail() { echo "up.sh: $*" >&2; exit 1; }

if ! [[ $N =~ ^[0-9]+$ ]] || [ "$N" -lt 1 ] || [ "$N" -gt 200 ]; then fail "N must be 1..200, got '$N'"; fi
[ "$(id -u)" = 0 ] || fail "needs root (namespaces, bridge, veth)"
for cmd in ip nsenter unshare taskset ss ssh ssh-keygen /usr/sbin/sshd libvirtd virtlogd virsh; do
    command -v "$cmd" >/dev/null || fail "$cmd is missing"
done
"$TESTBED_VENV/bin/python" -c 'import libvirt, lxml' 2>/dev/null ||
    fail "$TESTBED_VENV/bin/python cannot import libvirt and lxml (run scripts/bootstrap.sh)"
if ip link show "$TESTBED_BRIDGE" >/dev/null 2>&1 || ip netns list | grep -q "^nltb-${TESTBED_PREFIX}[0-9]"; then
    fail "a testbed is already up: run scripts/testbed/down.sh first"
fi

# From here on, whatever stops this script before the end leaves nothing behind.
finished=0
cleanup() {
    [ "$finished" = 1 ] && return
    echo "up.sh: not finished, tearing down" >&2
    "$HERE/down.sh" >&2 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

mkdir -p "$TESTBED_ROOT/ns" "$TESTBED_ROOT/ssh"
# Namespace handles (nsfs bind mounts) must live on a private mount.
mountpoint -q "$TESTBED_ROOT/ns" || mount --bind "$TESTBED_ROOT/ns" "$TESTBED_ROOT/ns"
mount --make-private "$TESTBED_ROOT/ns"

# A fresh controller key for every testbed.
rm -f "$TESTBED_ROOT/ssh/id_ed25519" "$TESTBED_ROOT/ssh/id_ed25519.pub"
ssh-keygen -q -t ed25519 -N '' -C novalite-testbed -f "$TESTBED_ROOT/ssh/id_ed25519"
install -m 600 "$TESTBED_ROOT/ssh/id_ed25519.pub" "$TESTBED_ROOT/ssh/authorized_keys"

ip link add "$TESTBED_BRIDGE" type bridge
ip addr add "$TESTBED_NET.1/24" dev "$TESTBED_BRIDGE"
ip link set "$TESTBED_BRIDGE" up

write_libvirt_config() {   # the system's client settings, none of its domains or networks
    local i=$1 etc=$2
    mkdir -p "$etc/qemu/networks/autostart" "$etc/nwfilter" "$etc/secrets" "$etc/storage"
    cp /etc/libvirt/libvirt.conf /etc/libvirt/libvirt-admin.conf "$etc/" 2>/dev/null || true
    # qemu runs as root without sVirt: the instance files need no relabelling. The private
    # sysfs hides the cgroup tree, and several libvirtds would fight over the same
    # machine/qemu-<id>-<name> cgroups anyway.
    cat > "$etc/qemu.conf" <<'EOF'
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
cgroup_controllers = [ ]
stdio_handler = "logd"
EOF
    cat > "$etc/libvirtd.conf" <<EOF
host_uuid = "$(printf '6e6f7661-0000-4000-8000-%012d' "$i")"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOF
}

write_sshd_config() {
    local H=$1 ip=$2
    cat > "$H/sshd_config" <<EOF
ListenAddress $ip
Port 22
HostKey $H/ssh_host_ed25519_key
PidFile /run/sshd.pid
AuthorizedKeysFile $TESTBED_ROOT/ssh/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
UseDNS no
MaxStartups 100:30:200
MaxSessions 50
AcceptEnv LANG LC_*
Subsystem sftp internal-sftp
EOF
}

# Binding a mount-namespace file fails with EINVAL (the kernel's "mount namespace loop" check)
# unless the new namespace's ID is higher than the caller's. Namespace IDs come from per-CPU
# batches, so inside a container that check fails whenever unshare runs on another CPU than the
# one that made the container's namespace: trying each CPU in turn finds one that works.
make_mount_ns() {
    local i=$1 n ns try cpu ncpu
    n=$(tb_name "$i"); ns=$(tb_netns "$i")
    touch "$TESTBED_ROOT/ns/$n.mnt" "$TESTBED_ROOT/ns/$n.uts"
    ncpu=$(nproc --all)
    for try in $(seq 0 $((2 * ncpu - 1))); do
        cpu=$((try % ncpu))
        if taskset -c "$cpu" nsenter --net="/run/netns/$ns" \
                unshare --mount="$TESTBED_ROOT/ns/$n.mnt" --uts="$TESTBED_ROOT/ns/$n.uts" \
                --propagation private "$HERE/ns-setup.sh" "$i" 2>"$TESTBED_ROOT/$n/unshare.err"; then
            return 0
        fi
        umount "$TESTBED_ROOT/ns/$n.mnt" "$TESTBED_ROOT/ns/$n.uts" 2>/dev/null || true
    done
    cat "$TESTBED_ROOT/$n/unshare.err" >&2
    fail "$n: cannot create its mount namespace"
}

host_up() {
    local i=$1 n H ns ip k
    n=$(tb_name "$i"); H=$TESTBED_ROOT/$n; ns=$(tb_netns "$i"); ip=$(tb_ip "$i")
    rm -rf --one-file-system "$H"
    mkdir -p "$H"/{run,lib,log,cache,tmp,etc-libvirt,novalite}
    write_libvirt_config "$i" "$H/etc-libvirt"
    # Probing QEMU's capabilities costs each libvirtd seconds of CPU: seed its cache.
    if [ -d "$TESTBED_ROOT/cache-template/qemu" ]; then cp -a "$TESTBED_ROOT/cache-template/qemu" "$H/cache/"; fi
    { echo "127.0.0.1 localhost"; echo "$ip $n"; echo "$TESTBED_NET.1 controller"
      for k in $(seq 1 "$N"); do [ "$k" = "$i" ] || echo "$(tb_ip "$k") $(tb_name "$k")"; done
    } > "$H/hosts"
    printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' > "$H/resolv.conf"
    ssh-keygen -q -t ed25519 -N '' -C "$n" -f "$H/ssh_host_ed25519_key"
    write_sshd_config "$H" "$ip"

    # Only the testbed's subnet: no default route, nothing leaves the machine.
    ip netns add "$ns"
    ip link add "$ns" type veth peer name eth0 netns "$ns"
    ip link set "$ns" master "$TESTBED_BRIDGE" up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "$ip/24" dev eth0
    ip -n "$ns" link set eth0 up

    make_mount_ns "$i"
    # libvirtd (as root, without systemd) does not start virtlogd itself.
    tb_in "$i" virtlogd -d </dev/null >/dev/null 2>&1
    tb_in "$i" libvirtd -d </dev/null >/dev/null 2>&1
    tb_in "$i" /usr/sbin/sshd -f "$H/sshd_config" </dev/null >/dev/null 2>&1
}

wait_ready() {
    local i=$1 n k
    n=$(tb_name "$i")
    for k in $(seq 1 300); do
        if tb_in "$i" virsh -q -c qemu:///system list --all >/dev/null 2>&1 &&
           ssh -F "$TESTBED_ROOT/ssh/config" -o ConnectTimeout=2 "$n" true 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    fail "$n: not ready after $k tries; see $TESTBED_ROOT/$n/log/libvirtd.log"
}

{
    echo "Host ${TESTBED_PREFIX}* ${TESTBED_NET}.*"
    echo "  User root"
    echo "  IdentityFile $TESTBED_ROOT/ssh/id_ed25519"
    echo "  IdentitiesOnly yes"
    echo "  StrictHostKeyChecking no"
    echo "  UserKnownHostsFile /dev/null"
    echo "  LogLevel ERROR"
    for i in $(seq 1 "$N"); do echo "Host $(tb_name "$i")"; echo "  HostName $(tb_ip "$i")"; done
} > "$TESTBED_ROOT/ssh/config"

first=1
if [ ! -d "$TESTBED_ROOT/cache-template/qemu/capabilities" ]; then
    # The first testbed on this machine: host 1 probes QEMU once and seeds the others.
    host_up 1
    wait_ready 1
    virt=kvm; [ -e /dev/kvm ] || virt=qemu
    # `capabilities` probes every QEMU binary (x86_64 and i386), as hypervisor_info's call does.
    tb_in 1 virsh -q -c qemu:///system domcapabilities --virttype "$virt" >/dev/null
    tb_in 1 virsh -q -c qemu:///system capabilities >/dev/null
    rm -rf "$TESTBED_ROOT/cache-template" && mkdir -p "$TESTBED_ROOT/cache-template"
    cp -a "$TESTBED_ROOT/$(tb_name 1)/cache/qemu" "$TESTBED_ROOT/cache-template/"
    first=2
fi
for i in $(seq "$first" "$N"); do host_up "$i"; done
T1=$(tb_now)
for i in $(seq 1 "$N"); do wait_ready "$i"; done

# Host i: zone az<i>, and capacity settings that differ from host to host.
reserved=(512 1024 2048)
ram_ratio=(1.5 1.0 1.0)
cpu_ratio=(16.0 8.0 4.0)
inv=$TESTBED_INVENTORY
rm -rf "$inv"
mkdir -p "$inv/group_vars/all"
{
    echo "---"
    echo "# Written by scripts/testbed/up.sh for the hosts it brought up; down.sh removes it."
    echo "all:"
    echo "  children:"
    echo "    hypervisors:"
    echo "      hosts:"
    for i in $(seq 1 "$N"); do
        k=$(( (i - 1) % 3 ))
        echo "        $(tb_name "$i"):"
        echo "          ansible_host: $(tb_ip "$i")"
        echo "          novalite_local_ip: $(tb_ip "$i")"
        echo "          novalite_reserved_host_memory_mb: ${reserved[$k]}"
        echo "          novalite_ram_allocation_ratio: ${ram_ratio[$k]}"
        echo "          novalite_cpu_allocation_ratio: ${cpu_ratio[$k]}"
    done
    echo "      vars:"
    echo "        ansible_user: root"
    echo "        ansible_ssh_private_key_file: $TESTBED_ROOT/ssh/id_ed25519"
    echo "        ansible_ssh_common_args: -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes"
    echo "        ansible_python_interpreter: $TESTBED_VENV/bin/python"
    echo "        # The hosts share this machine's /usr: packages installed there would be its own."
    echo "        hypervisor_prepare_install_packages: false"
    for i in $(seq 1 "$N"); do
        echo "    az$i:"
        echo "      hosts:"
        echo "        $(tb_name "$i"): {}"
    done
} > "$inv/hosts.yml"
{
    echo "---"
    echo "# Written by scripts/testbed/up.sh: one aggregate, and zone, per host."
    echo "novalite_aggregates:"
    for i in $(seq 1 "$N"); do echo "  az$i: {availability_zone: az$i}"; done
} > "$inv/group_vars/all/testbed.yml"
# A copy of the local inventory's catalog, demo image included (its image locations are
# controller paths, which the hosts see too). Copies, not links: the collection build follows
# links and fails on one that points at a file it leaves out.
cp "$TESTBED_REPO"/inventories/local/group_vars/all/*.yml "$inv/group_vars/all/"
# Hosts that are more than one: the catalog gets a network spanning them (VXLAN between the
# hosts' novalite_local_ip) and a security group that lets nothing in.
catalog=$inv/group_vars/all/catalog.yml
for list in novalite_networks novalite_security_groups; do
    grep -q "^$list:\$" "$catalog" || fail "$catalog: no $list list to add to"
done
sed -i -e '/^novalite_networks:$/r /dev/stdin' "$catalog" <<'CATALOG'
  - id: 0e7d1a2b-3c4d-4e5f-8a9b-7c6d5e4f3a2b
    name: tenant
    network_type: vxlan
    segmentation_id: 1081
    cidr: 10.82.0.0/24
    dns_nameservers: []
    allocation_pools:
      - {start: 10.82.0.10, end: 10.82.0.250}
    dhcp: false
    shared: true
CATALOG
sed -i -e '/^novalite_security_groups:$/r /dev/stdin' "$catalog" <<'CATALOG'
  - {id: 6a1f0c3e-5b7d-4e2a-9c8b-0d1e2f3a4b5c, name: closed, description: No ingress, rules: []}
CATALOG

# Host states cached by an earlier testbed of the same names describe hosts that are gone.
for i in $(seq 1 "$N"); do tb_forget_facts "$(tb_name "$i")"; done

finished=1
echo "up: $N hosts, set up in $(awk -v a="$T0" -v b="$T1" 'BEGIN { printf "%.2f", b - a }') s, ready after $(tb_dt "$T0") s"
echo "inventory: $inv    ssh: ssh -F $TESTBED_ROOT/ssh/config $(tb_name 1)"
