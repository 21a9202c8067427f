#!/usr/bin/env bash
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Build the collection tarball and install it into .collections (ansible.cfg's collections_path),
# so playbooks, roles and plugins run from what `ansible-galaxy collection build` ships.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
PATH="$REPO/.venv/bin:$PATH"
start=$(date +%s.%N)
mkdir -p build/dist
rm -f build/dist/novalite-compute-*.tar.gz
ansible-galaxy collection build --force --output-path build/dist . >/dev/null
tarball=$(ls build/dist/novalite-compute-*.tar.gz)
ansible-galaxy collection install --force -p .collections "$tarball" >/dev/null
printf 'collection: %s installed into .collections (%.1f s)\n' "$(basename "$tarball")" \
    "$(echo "$(date +%s.%N) - $start" | bc)"
