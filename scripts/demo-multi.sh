#!/usr/bin/env bash
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# demo-multi.sh -- what `make demo-multi` runs: three hypervisor hosts on this machine
# (scripts/testbed), three servers of the anti-affinity group demo-anti landing on three
# different hosts, all on the vxlan network `tenant` that spans the hosts; each guest pings the
# others from inside (scripts/guest/ping-peers.sh as user_data) and their consoles show
# `NOVALITE-PING <address> ok`. Then the server list, the servers deleted and the hosts torn
# down. Needs root, the installed collection and the demo image (make collection demo-image).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
# shellcheck source=scripts/testbed/common.sh
. scripts/testbed/common.sh
export PATH="$REPO/.venv/bin:$PATH" ANSIBLE_CONFIG="$REPO/ansible.cfg"
INV=$TESTBED_INVENTORY
NAME=demo-multi
GROUP=3c9e2d1a-7b6f-4e5d-8c4b-1a2f3e4d5c6b    # demo-anti in inventories/local/group_vars/all/catalog.yml
TENANT=0e7d1a2b-3c4d-4e5f-8a9b-7c6d5e4f3a2b   # the vxlan network up.sh adds to the testbed's catalog
ADDRESSES=(10.82.0.21 10.82.0.22 10.82.0.23)  # among the ones scripts/guest/ping-peers.sh pings
PING_WAIT=120

[ -f inventories/local/group_vars/all/demo_image.yml ] ||
    { echo "demo-multi.sh: no demo image in the catalog: run make demo-image" >&2; exit 1; }

trap 'bash scripts/timed.sh "testbed down" bash scripts/testbed/down.sh' EXIT
bash scripts/testbed/down.sh >/dev/null   # what a killed earlier run may have left
bash scripts/timed.sh "testbed up (3 hosts)" bash scripts/testbed/up.sh 3
bash scripts/timed.sh "prepare the hypervisors" \
    ansible-playbook -i "$INV" novalite.compute.prepare_hypervisors
user_data=$(base64 -w0 scripts/guest/ping-peers.sh)
for i in 1 2 3; do
    bash scripts/timed.sh "create $NAME-$i (anti-affinity, ${ADDRESSES[$((i - 1))]} on tenant)" \
        ansible-playbook -i "$INV" novalite.compute.create_server \
        -e "{\"novalite_server\": {\"name\": \"$NAME-$i\", \"flavorRef\": \"m1.nano\", \"imageRef\": \"novalite-demo\",
             \"networks\": [{\"uuid\": \"$TENANT\", \"fixed_ip\": \"${ADDRESSES[$((i - 1))]}\"}], \"key_name\": \"demo\",
             \"user_data\": \"$user_data\"},
             \"novalite_scheduler_hints\": {\"group\": \"$GROUP\"}, \"novalite_wait_for_console\": true}"
done
bash scripts/timed.sh "server list" ansible-playbook -i "$INV" novalite.compute.server_list

# Each guest's console, on whichever host it runs: every other address must answer its pings.
consoles() { grep -l -s "name=$NAME-" "$TESTBED_ROOT"/"$TESTBED_PREFIX"*/novalite/instances/*/console.log || true; }
deadline=$((SECONDS + PING_WAIT))
while :; do
    mapfile -t logs < <(consoles)
    reached=0
    for log in "${logs[@]}"; do
        [ "$(grep -c '^NOVALITE-PING .* ok' "$log")" -ge 2 ] && reached=$((reached + 1))
    done
    [ "$reached" -ge 3 ] || [ "$SECONDS" -ge "$deadline" ] && break
    sleep 1
done
for log in "${logs[@]}"; do
    host=${log#"$TESTBED_ROOT"/}; host=${host%%/*}
    server=$(sed -n 's/^NOVALITE-METADATA .* name=\([^ \r]*\).*/\1/p' "$log")
    grep '^NOVALITE-PING' "$log" | tr -d '\r' | sed "s/^/$server on $host: /"
done
if [ "$reached" -ge 3 ]; then
    echo "demo-multi: each of the 3 servers on 3 hosts pinged the 2 others over the vxlan network tenant"
else
    echo "demo-multi: only $reached of 3 servers reached both others within ${PING_WAIT}s" >&2
    status=1
fi
bash scripts/timed.sh "delete the 3 servers" \
    ansible-playbook -i "$INV" novalite.compute.delete_server -e "novalite_server_name_pattern=^$NAME-[0-9]+\$"
exit "${status:-0}"
