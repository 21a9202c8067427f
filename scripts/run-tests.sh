#!/usr/bin/env bash
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# run-tests.sh [unit|lint|packaging|sanity|integration]...: the stages of `make test`, all by
# default.
#   unit         pytest of module_utils, modules and filter plugins (no libvirt daemon needed)
#   lint         ansible-lint, production profile
#   packaging    pytest of the artifact, the execution environment (ansible-builder create) and
#                the AWX configuration (no AWX server, no container image needed)
#   sanity       ansible-test sanity on the installed collection, in venvs (no Docker)
#                (SANITY_ARGS="--test pylint" runs one test)
#   integration  pytest against this machine's libvirtd and QEMU: real guests, real playbooks
set -uo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO" || exit 1
export PATH="$REPO/.venv/bin:$PATH"
export ANSIBLE_CONFIG="$REPO/ansible.cfg"
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(unit lint packaging sanity integration)

LOGS="$REPO/build/test-logs"
mkdir -p "$LOGS"
# pytest's summary lines are kept so the last line can total the tests of every stage.
unit() { pytest -q -p no:cacheprovider -m 'not integration' tests/unit | tee "$LOGS/unit.txt"; }
packaging() { pytest -q -p no:cacheprovider tests/packaging | tee "$LOGS/packaging.txt"; }
lint() { ansible-lint --nocolor playbooks roles inventories; }  # profile and options: .ansible-lint
sanity() {
    # ansible-test needs the collection under ansible_collections/<ns>/<name> in a git work tree:
    # a copy of the installed collection is exactly what ships.
    local tree="$REPO/build/sanity/ansible_collections/novalite/compute" venv="$REPO/build/sanity-venv"
    local pyver req pipver reqs=()
    pyver=$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    req="$venv/lib/python$pyver/site-packages/ansible_test/_data/requirements"
    if [ ! -x "$venv/bin/ansible-test" ] || [ "$venv/.stamp" -ot "$REPO/requirements-dev.txt" ]; then
        python3 -m venv "$venv" && "$venv/bin/pip" install -q "$(grep '^ansible-core' "$REPO/requirements-dev.txt")" || return 1
        for f in "$req"/sanity.*.txt; do reqs+=(-r "$f"); done
        "$venv/bin/pip" install -q "${reqs[@]}" && touch "$venv/.stamp" || return 1
    fi
    # ansible-test downloads a pip bootstrap script for its venvs from a host of its own; the
    # stand-in does the same from ensurepip and the configured package index.
    pipver=$(grep -oP "pip='\K[^']+" "$req/../../_internal/python_requirements.py" | head -n 1)
    mkdir -p ~/.ansible/test/cache
    cp "$REPO/scripts/ansible-test-get-pip.py" ~/.ansible/test/cache/get_pip_"${pipver//./_}".py
    rm -rf "$REPO/build/sanity" && mkdir -p "$(dirname "$tree")" &&
        cp -a "$REPO/.collections/ansible_collections/novalite/compute" "$tree" &&
        rm -f "$tree/MANIFEST.json" "$tree/FILES.json" &&
        cp "$REPO/galaxy.yml" "$tree/galaxy.yml" &&
        (cd "$tree" && git init -q && git add -A) || return 1
    # shellcheck disable=SC2086  # SANITY_ARGS is a list of options
    (cd "$tree" && "$venv/bin/ansible-test" sanity --local --python "$pyver" --color no ${SANITY_ARGS:-})
}
integration() { pytest -q -p no:cacheprovider -m integration tests/integration | tee "$LOGS/integration.txt"; }

# Sum "N passed" / "N failed" of pytest's closing lines.
count() {
    local word=$1 stage n total=0
    for stage in "${stages[@]}"; do
        [ -f "$LOGS/$stage.txt" ] || continue
        n=$(tail -n 1 "$LOGS/$stage.txt" | grep -oE "[0-9]+ $word" | grep -oE '^[0-9]+')
        total=$(( total + ${n:-0} ))
    done
    echo "$total"
}

rm -f "$LOGS"/unit.txt "$LOGS"/packaging.txt "$LOGS"/integration.txt
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
echo "tests: $(count passed) passed, $(count failed) failed"
[ ${#failed[@]} -eq 0 ]
