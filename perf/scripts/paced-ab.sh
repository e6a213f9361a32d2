#!/usr/bin/env bash
# Paced latency, interleaved: QEMU's hub, then each given switch jar, round after round, so that
# the machine's slow spells fall on every peer alike (one run alone says little on two vCPUs).
# Usage: perf/scripts/paced-ab.sh ROUNDS JAR...      e.g. 5 /tmp/old.jar vccp-cli/target/vccp.jar
#   env: RATE (frames/s, default 10000), WARM (default 3s), DUR (default 8s)
# Prints one line per run: round, peer, the generator's p50/p99/p99.9/max; then the median p99 of
# each peer. Copy jars aside first if a build may run meanwhile.
set -euo pipefail
source "$(dirname "$0")/common.sh"
ROUNDS=${1:?usage: paced-ab.sh ROUNDS JAR...}
shift
[ $# -ge 1 ] || { echo "give at least one switch jar" >&2; exit 2; }
OUT=$(mktemp /tmp/vccp-paced-ab.XXXX)
trap 'rm -f "$OUT"' EXIT
run() { # NAME loadgen-args...
  local name=$1 line
  shift
  line=$(java -jar "$PERF_JAR" loadgen --mode paced --rate "${RATE:-10000}" \
    --warmup "${WARM:-3s}" --duration "${DUR:-8s}" "$@" 2>&1 | grep -E '^ *latency') ||
    { echo "round $r $name: no latency line (run failed)" >&2; return 1; }
  echo "round $r  $name  $line" | tee -a "$OUT"
}
for r in $(seq 1 "$ROUNDS"); do
  run qemu-hub --peer qemu-hub
  for j in "$@"; do run "$(basename "$j")" --peer vccp --vccp-jar "$j"; done
done
echo "median p99 (µs):"
for p in qemu-hub $(for j in "$@"; do basename "$j"; done); do
  grep -F "  $p  " "$OUT" | sed -E 's/.*p99 ([0-9.]+) µs.*/\1/' | sort -g |
    awk -v p="$p" '{v[NR]=$1} END {m = NR % 2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2; printf "  %-24s %8.1f  (%d runs)\n", p, m, NR}'
done
