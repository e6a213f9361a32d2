#!/bin/bash
# Where a paced frame's latency goes: a 1→1 paced run through a switch this script starts, with a
# 3 s perf trace (tracepoints on read/write/recvfrom/sendto of the switch and the generator only)
# taken in the middle of the window, split into generator→switch, inside the switch, and
# switch→generator by paced-hops.py. Needs root and perf. Usage: paced-hops.sh [switch args...]
#   env: RATE (frames/s, default 10000), WARMUP (whole seconds, default 2s), PEER=hub to measure QEMU's hub
#   instead (its recvmsg/sendmsg stand for the switch's read/write; it has no switch args)
# The frame alignment is a search (a minute or more on a busy trace) and can pick the wrong
# offset: a run whose hops do not add up to its end-to-end line is misaligned; repeat it.
set -eu
. "$(dirname "$0")/common.sh"
dir=$(mktemp -d /tmp/vccp-hops-XXXX)
trap 'stop_switch || true; rm -rf "$dir"' EXIT
if [ "${PEER:-vccp}" = hub ]; then start_hub "$dir" 2; else start_switch "$dir" 2 "$@"; fi
java -jar "$PERF_JAR" loadgen --peer external --socket "$dir/p0.sock" --socket "$dir/p1.sock" \
  --mode paced --rate "${RATE:-10000}" --warmup "${WARMUP:-2s}" --duration 10s \
  > "$dir/loadgen.out" 2>&1 &
lg=$!
warm=${WARMUP:-2s}
sleep $((${warm%s} + 3)) # 3 s into the 10 s window
perf record -m 1024 -p "$SW,$lg" -o "$dir/perf.data" \
  -e syscalls:sys_enter_write -e syscalls:sys_exit_read \
  -e syscalls:sys_exit_recvfrom -e syscalls:sys_enter_sendto \
  -e syscalls:sys_exit_recvmsg -e syscalls:sys_enter_sendmsg -e syscalls:sys_exit_sendmsg \
  -- sleep 3 > /dev/null 2>&1
wait $lg || true
stop_switch
grep -E "latency" "$dir/loadgen.out"
perf script -i "$dir/perf.data" -F comm,tid,time,event,trace 2> /dev/null > "$dir/hops.txt"
python3 "$(dirname "$0")/paced-hops.py" "$dir/hops.txt"
