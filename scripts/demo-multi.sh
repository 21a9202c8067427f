#!/usr/bin/env bash
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# demo-multi.sh -- what `make demo-multi` runs: three hypervisor hosts on this machine
# (scripts/testbed), three servers of the anti-affinity group demo-anti created at once and
# landing on three different hosts, the server list, then the servers deleted and the hosts
# torn down. Needs root, the installed collection and the demo image (make collection demo-image).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
export PATH="$REPO/.venv/bin:$PATH" ANSIBLE_CONFIG="$REPO/ansible.cfg"
INV=inventories/testbed
NAME=demo-multi
GROUP=3c9e2d1a-7b6f-4e5d-8c4b-1a2f3e4d5c6b   # demo-anti in inventories/local/group_vars/all/catalog.yml

[ -f inventories/local/group_vars/all/demo_image.yml ] ||
    { echo "demo-multi.sh: no demo image in the catalog: run make demo-image" >&2; exit 1; }

trap 'bash scripts/timed.sh "testbed down" bash scripts/testbed/down.sh' EXIT
bash scripts/testbed/down.sh >/dev/null   # what a killed earlier run may have left
bash scripts/timed.sh "testbed up (3 hosts)" bash scripts/testbed/up.sh 3
bash scripts/timed.sh "prepare the hypervisors" \
    ansible-playbook -i "$INV" novalite.compute.prepare_hypervisors
bash scripts/timed.sh "create 3 servers, anti-affinity" \
    ansible-playbook -i "$INV" novalite.compute.create_server \
    -e "{\"novalite_server\": {\"name\": \"$NAME\", \"flavorRef\": \"m1.nano\", \"imageRef\": \"novalite-demo\",
         \"networks\": [{\"uuid\": \"5f0c3a6e-8d2b-4d6e-9a51-2c3b6a1e0f01\"}], \"key_name\": \"demo\",
         \"min_count\": 3, \"max_count\": 3},
         \"novalite_scheduler_hints\": {\"group\": \"$GROUP\"}, \"novalite_wait_for_console\": true}"
bash scripts/timed.sh "server list" ansible-playbook -i "$INV" novalite.compute.server_list
bash scripts/timed.sh "delete the 3 servers" \
    ansible-playbook -i "$INV" novalite.compute.delete_server -e "novalite_server_name_pattern=^$NAME-[0-9]+\$"
