#!/usr/bin/env bash
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# timed.sh LABEL COMMAND...: run COMMAND and print its wall time under LABEL.
set -uo pipefail
label=$1; shift
start=$(date +%s.%N)
"$@"
rc=$?
printf '%s: %.1f s (exit %d)\n' "$label" "$(echo "$(date +%s.%N) - $start" | bc)" "$rc"
exit "$rc"
