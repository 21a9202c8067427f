#!/usr/bin/env bash
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# enter.sh I|hvI [COMMAND...] -- run COMMAND (default: bash) inside testbed host I, without SSH.
#   scripts/testbed/enter.sh 2 virsh -c qemu:///system list --all
set -euo pipefail
# shellcheck source=scripts/testbed/common.sh
. "$(dirname "$0")/common.sh"
[ $# -ge 1 ] || { echo "usage: $0 I|${TESTBED_PREFIX}I [COMMAND...]" >&2; exit 2; }
i=${1#"$TESTBED_PREFIX"}
shift
[ $# -gt 0 ] || set -- bash
tb_in "$i" "$@"
