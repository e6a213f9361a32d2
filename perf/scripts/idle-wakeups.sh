#!/usr/bin/env bash
# Wake-ups per second and CPU of each switch thread while the switch sits idle (two Unix stream
# ports, no traffic), measured over 5 s after a 3 s settle.
# Usage: perf/scripts/idle-wakeups.sh [switch args...]
# Starts the switch itself in a private directory; stops it by PID.
set -euo pipefail
source "$(dirname "$0")/common.sh"
D=$(mktemp -d /tmp/vccp-idle.XXXX)
trap 'stop_switch; rm -rf "$D"' EXIT
start_switch "$D" 2 "$@"
sleep 3
snap() {
  local t
  for t in /proc/$SW/task/*; do
    case "$(cat "$t/comm")" in
      vccp-*)
        echo "$(cat "$t/comm") $(awk '/^voluntary/{print $2}' "$t/status") \
$(awk '{print $14 + $15}' "$t/stat")"
        ;;
    esac
  done | sort
}
snap > "$D/before"
sleep 5
snap > "$D/after"
join "$D/before" "$D/after" |
  awk '{printf "  %-16s %6d wake-ups/s  %4d CPU ticks (1/100 s) in 5 s\n", $1, ($4-$2)/5, $5-$3}'
