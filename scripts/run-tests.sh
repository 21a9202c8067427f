#!/bin/bash
# run-tests.sh [unit|lint|sanity|integration]...: the stages of `make test`, all by default.
#   unit         pytest of module_utils, modules and filter plugins (no libvirt daemon needed)
#   lint         ansible-lint, production profile
#   sanity       ansible-test sanity on the installed collection, in venvs (no Docker)
#   integration  pytest against this machine's libvirtd and QEMU: real guests, real playbooks
set -uo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
export PATH="$REPO/.venv/bin:$PATH"
export ANSIBLE_CONFIG="$REPO/ansible.cfg"
COLL="$REPO/.collections/ansible_collections/novalite/compute"
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(unit lint sanity integration)

unit() { pytest -q -m 'not integration' tests/unit; }
lint() { ansible-lint --profile production --offline playbooks roles inventories; }
sanity() {
    # ansible-test needs the collection under ansible_collections/<ns>/<name>: the installed copy
    # is exactly what ships.
    (cd "$COLL" && ansible-test sanity --venv --python "$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
        --color no)
}
integration() { pytest -q -m integration tests/integration; }

failed=()
total_start=$(date +%s)
for stage in "${stages[@]}"; do
    echo "=== $stage"
    start=$(date +%s)
    if "$stage"; then
        echo "=== $stage passed in $(( $(date +%s) - start )) s"
    else
        echo "=== $stage FAILED in $(( $(date +%s) - start )) s"
        failed+=("$stage")
    fi
done
echo "=== stages: ${#stages[@]}, failed: ${#failed[@]} ${failed[*]:-}, $(( $(date +%s) - total_start )) s"
[ ${#failed[@]} -eq 0 ]
