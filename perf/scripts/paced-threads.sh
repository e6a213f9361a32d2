#!/usr/bin/env bash
# Paced latency through a switch with two Unix stream ports, and the CPU each switch thread used.
# Usage: perf/scripts/paced-threads.sh [switch args...]
#   env: RATE (frames/s, default 10000), WARM (default 5s), DUR (default 10s)
# Prints the generator's latency and cpu lines, then user/system CPU ticks (1/100 s) per switch
# thread over the whole run. Starts the switch itself in a private directory; stops it by PID.
set -euo pipefail
source "$(dirname "$0")/common.sh"
D=$(mktemp -d /tmp/vccp-paced.XXXX)
trap 'stop_switch; rm -rf "$D"' EXIT
start_switch "$D" 2 "$@"
snap() {
  local t
  for t in /proc/$SW/task/*; do
    echo "$(basename "$t")_$(tr ' ' _ < "$t/comm") $(awk '{print $14, $15}' "$t/stat")"
  done | sort
}
snap > "$D/before"
# shellcheck disable=SC2046
java -jar "$PERF_JAR" loadgen --peer external $(socket_args "$D" 2) --mode paced \
  --rate "${RATE:-10000}" --warmup "${WARM:-5s}" --duration "${DUR:-10s}" 2>&1 |
  grep -E 'latency|cpu'
snap > "$D/after"
join "$D/before" "$D/after" |
  awk '{u=$4-$2; k=$5-$3; if (u+k>5) printf "  %-28s user %5d  sys %5d ticks\n", $1, u, k}'
