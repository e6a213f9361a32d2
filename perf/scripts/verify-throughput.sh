#!/usr/bin/env bash
# vccp verify throughput and peak heap on a large synthetic recording (issue 3, item 4).
#   perf/scripts/verify-throughput.sh [BYTES] [DIR] [recording|plain]
# Generates BYTES (default 2 GiB) of a clean synthetic VCCP recording (or, with "plain", per-tap
# captures of the same traffic without packet ids) into DIR (default /tmp/vccp-verify-bench or
# /tmp/vccp-verify-bench-plain; reused when already that size), warms the page cache, then runs
# `vccp verify` three times with -Xmx512m and prints frames/s, wall time, peak heap (largest
# heap occupancy before a GC, from -Xlog:gc) and max RSS. The capture is only ever made here,
# never in tests.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
BYTES=${1:-2147483648}
MODE=${3:-recording}
GEN_ARGS=()
SUFFIX=
if [[ $MODE == plain ]]; then
  GEN_ARGS=(--plain)
  SUFFIX=-plain
fi
DIR=${2:-/tmp/vccp-verify-bench$SUFFIX}
HEAP=${VERIFY_HEAP:-512m}

if [[ ! -f "$VCCP_JAR" || ! -f "$PERF_JAR" ]]; then
  (cd "$ROOT" && mvn -B -q -DskipTests -Dspotless.check.skip=true package)
fi
have=$(du -sb "$DIR" 2> /dev/null | cut -f1 || echo 0)
if (( have < BYTES )); then
  rm -rf "$DIR"
  java -cp "$PERF_JAR" org.vccp.checkpoint.verify.SyntheticRecording "${GEN_ARGS[@]}" "$DIR" "$BYTES"
fi
cat "$DIR"/*.pcapng > /dev/null   # warm page cache

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
  "$(free -g | awk '/Mem:/ {print $2}') GB RAM; $(java -version 2>&1 | head -1)"
echo "input ($MODE): $(du -sh "$DIR" | cut -f1) in $(ls "$DIR" | wc -l) files; heap -Xmx$HEAP"
for i in 1 2 3; do
  log=$(mktemp)
  /usr/bin/time -f "%e %M" -o "$log.time" \
    java -Xmx"$HEAP" -Xlog:gc:file="$log.gc" -jar "$VCCP_JAR" verify --no-progress \
      --json "$log.json" "$DIR" > "$log.out" || true
  summary=$(grep -m1 '^vccp verify:' "$log.out")
  verdict=$(grep '^verdict:' "$log.out")
  peak=$(grep -oE '[0-9]+M->[0-9]+M' "$log.gc" | cut -dM -f1 | sort -n | tail -1)
  read -r wall rss < "$log.time"
  echo "run $i: $summary; wall ${wall}s; peak heap ${peak:-?} MB; max RSS $((rss / 1024)) MB; $verdict"
  rm -f "$log" "$log".*
done
