#!/bin/bash
# Is every lost frame in a switch drop counter? N senders → 1 receiver at max rate through a switch
# this script starts, then the generator's loss is compared with the switch's drop counters.
# Usage: loss-accounting.sh SENDERS [FRAME_BYTES] [switch args...]
set -eu
. "$(dirname "$0")/common.sh"
senders=${1:?usage: loss-accounting.sh SENDERS [FRAME_BYTES] [switch args...]}
frame_bytes=${2:-64}
shift $(($# >= 2 ? 2 : 1))
dir=$(mktemp -d /tmp/vccp-loss-XXXX)
n=$((senders + 1))
start_switch "$dir" $n "$@"
mapfile -t sockets < <(socket_args "$dir" $n)
java -jar "$PERF_JAR" loadgen --peer external "${sockets[@]}" --senders "$senders" --receivers 1 \
  --frame-bytes "$frame_bytes" --duration "${DURATION:-10s}" --json "$dir/result.json" \
  > "$dir/loadgen.out" 2>&1 || true
java -jar "$VCCP_JAR" ctl --socket "$dir/ctl.sock" --json stats > "$dir/stats.json"
stop_switch
grep -E "received|loss" "$dir/loadgen.out"
python3 - "$dir" << 'PY'
import json, sys
d = sys.argv[1]
stats = json.load(open(d + "/stats.json"))
result = json.load(open(d + "/result.json"))["result"]
drops = {p: {k: v for k, v in c.items() if k.startswith("drop") and v} for p, c in stats["ports"].items()}
counted = sum(sum(x.values()) for x in drops.values())
print(f"sent {result['framesSent']:,}  received {result['framesReceived']:,}  lost {result['lost']:,}")
print(f"switch drop counters {counted:,} {drops}")
print(f"unaccounted {result['lost'] - counted:,}")
PY
echo "files in $dir"
