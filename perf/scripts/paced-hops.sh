#!/bin/bash
# Where a paced frame's latency goes: a 1→1 paced run through a switch this script starts, with a
# 3 s perf trace (tracepoints on read/write/recvfrom/sendto of the switch and the generator only)
# taken in the middle of the window, split into generator→peer, inside the peer, and
# peer→generator by paced-hops.py. Needs root and perf. Usage: paced-hops.sh [switch args...]
#   env: RATE (frames/s, default 10000), WARMUP (whole seconds, default 2s), PEER=hub to
#   measure QEMU's hub instead (its recvmsg/sendmsg stand for the switch's read/write; it takes
#   no switch args; QEMU names the binary)
# The frame alignment is a search (a minute or more on a busy trace) and can pick the wrong
# offset: a run whose hops do not add up to its end-to-end line is misaligned; repeat it.
set -eu
. "$(dirname "$0")/common.sh"
warm=${WARMUP:-2s}
[[ $warm =~ ^([0-9]+)s$ ]] || { echo "WARMUP must be whole seconds, e.g. 20s (was $warm)" >&2; exit 2; }
warm_s=$((10#${BASH_REMATCH[1]}))
if [ "${PEER:-vccp}" = hub ] && [ $# -gt 0 ]; then
  echo "PEER=hub takes no switch arguments (got: $*)" >&2
  exit 2
fi
lg=
dir=$(mktemp -d /tmp/vccp-hops-XXXX)
trap '[ -z "$lg" ] || kill "$lg" 2> /dev/null || true; stop_switch || true; rm -rf "$dir"' EXIT
if [ "${PEER:-vccp}" = hub ]; then start_hub "$dir" 2; else start_switch "$dir" 2 "$@"; fi
java -jar "$PERF_JAR" loadgen --peer external --socket "$dir/p0.sock" --socket "$dir/p1.sock" \
  --mode paced --rate "${RATE:-10000}" --warmup "${warm_s}s" --duration 10s \
  > "$dir/loadgen.out" 2>&1 &
lg=$!
sleep $((warm_s + 3)) # 3 s into the 10 s window
perf record -m 1024 -p "$SW,$lg" -o "$dir/perf.data" \
  -e syscalls:sys_enter_write -e syscalls:sys_exit_read \
  -e syscalls:sys_exit_recvfrom -e syscalls:sys_enter_sendto \
  -e syscalls:sys_exit_recvmsg -e syscalls:sys_enter_sendmsg -e syscalls:sys_exit_sendmsg \
  -- sleep 3 > /dev/null 2>&1
wait $lg || true
lg=
stop_switch
grep -E "latency" "$dir/loadgen.out"
perf script -i "$dir/perf.data" -F comm,tid,time,event,trace 2> /dev/null > "$dir/hops.txt"
python3 "$(dirname "$0")/paced-hops.py" "$dir/hops.txt"
