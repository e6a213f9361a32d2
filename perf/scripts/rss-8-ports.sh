#!/bin/bash
# Resident memory of a switch with 8 stream ports: idle, under 4→4 traffic at 64 B and 1500 B
# (max rate), and after. Usage: rss-8-ports.sh [switch args...]
set -eu
. "$(dirname "$0")/common.sh"
dir=$(mktemp -d /tmp/vccp-rss-XXXX)
start_switch "$dir" 8 "$@"
mapfile -t sockets < <(socket_args "$dir" 8)
rss() { echo "$1: $(grep -E 'VmRSS|VmHWM' /proc/$SW/status | tr -s ' \t' ' ' | tr '\n' ' ')"; }
rss "idle, 8 ports bound"
for fb in 64 1500; do
  java -jar "$PERF_JAR" loadgen --peer external "${sockets[@]}" --senders 4 --receivers 4 \
    --frame-bytes $fb --duration 10s > "$dir/loadgen-$fb.out" 2>&1 &
  lg=$!
  sleep 8
  rss "during 4→4 $fb B max"
  wait $lg || true
  grep -E "received " "$dir/loadgen-$fb.out"
done
rss "after traffic"
stop_switch
