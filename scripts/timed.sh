#!/bin/bash
# timed.sh LABEL COMMAND...: run COMMAND and print its wall time under LABEL.
set -uo pipefail
label=$1; shift
start=$(date +%s.%N)
"$@"
rc=$?
printf '%s: %.1f s (exit %d)\n' "$label" "$(echo "$(date +%s.%N) - $start" | bc)" "$rc"
exit "$rc"
