#!/usr/bin/env bash
# Two network namespaces joined (a) by a Linux bridge, (b) by `vccp switch` with a pcap port on
# each host-side veth. Same veths, same namespaces, one after the other, in the same run:
#   iperf3 TCP (Gbit/s, MTU 1500 and 9000), iperf3 UDP with 18-byte payloads (60-byte frames,
#   received packets/s), ping RTT (avg and p99 of 500 pings, 10 ms apart).
# Offloads: the bridge is measured with the veths' defaults (offloads on) and with tx/tso/gso off;
# vccp with libpcap ports (pcap=IF, which need offloads off) and with packet-socket ports
# (pcap=IF,offload) with the veths' offloads on, as the bridge's first row, at the default
# scheduling priority and at --nice -10.
# Usage (root): perf/scripts/bridge-vs-pcap.sh [seconds per iperf3 run, default 10]
# Creates only vt<random>* namespaces/links and a bridge of that name; deletes them on exit.
set -euo pipefail
source "$(dirname "$0")/common.sh"
SECS=${1:-10}
P=vt$(printf '%05x' $((RANDOM * 32 + RANDOM % 32)))
NA=${P}a NB=${P}b BR=${P}br HA=${P}ah HB=${P}bh IA=${P}an IB=${P}bn
DIR=$(mktemp -d /tmp/$P.XXXX)
SW=

cleanup() {
  [ -n "$SW" ] && { kill "$SW" 2> /dev/null; wait "$SW" 2> /dev/null || true; }
  [ -f "$DIR/iperf3.pid" ] && kill "$(tr -d '\0' < "$DIR/iperf3.pid")" 2> /dev/null || true
  ip link del "$HA" 2> /dev/null || true
  ip link del "$HB" 2> /dev/null || true
  ip link del "$BR" 2> /dev/null || true
  ip netns del "$NA" 2> /dev/null || true
  ip netns del "$NB" 2> /dev/null || true
}
trap cleanup EXIT

setup() {
  ip netns add "$NA"; ip netns add "$NB"
  ip link add "$HA" type veth peer name "$IA"
  ip link add "$HB" type veth peer name "$IB"
  for h in "$HA" "$HB"; do echo 1 > /proc/sys/net/ipv6/conf/$h/disable_ipv6; done
  ip link set "$IA" netns "$NA"; ip link set "$IB" netns "$NB"
  ip -n "$NA" addr add 10.99.80.1/24 dev "$IA"; ip -n "$NB" addr add 10.99.80.2/24 dev "$IB"
  for n in "$NA:$IA" "$NB:$IB"; do
    ip -n "${n%%:*}" link set lo up; ip -n "${n%%:*}" link set "${n#*:}" up
  done
  ip link set "$HA" up; ip link set "$HB" up
  ip netns exec "$NB" iperf3 -s -D --pidfile "$DIR/iperf3.pid"
  for i in $(seq 1 100); do ip netns exec "$NB" ss -ltn | grep -q ':5201' && break; sleep 0.1; done
}

mtu() {
  ip link set "$HA" mtu "$1"; ip link set "$HB" mtu "$1"
  ip -n "$NA" link set "$IA" mtu "$1"; ip -n "$NB" link set "$IB" mtu "$1"
  if ip link show "$BR" > /dev/null 2>&1; then ip link set "$BR" mtu "$1"; fi
}

offloads() { # on|off, namespace side (the senders) and host side
  ip netns exec "$NA" ethtool -K "$IA" tx "$1" tso "$1" gso "$1" > /dev/null
  ip netns exec "$NB" ethtool -K "$IB" tx "$1" tso "$1" gso "$1" > /dev/null
  ethtool -K "$HA" tx "$1" tso "$1" gso "$1" > /dev/null
  ethtool -K "$HB" tx "$1" tso "$1" gso "$1" > /dev/null
}

json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

tcp() {
  ip netns exec "$NA" iperf3 -c 10.99.80.2 -t "$SECS" -J | json 'round(d["end"]["sum_received"]["bits_per_second"]/1e9, 2)'
}

udp() { # received datagrams per second, 60-byte frames
  ip netns exec "$NA" iperf3 -c 10.99.80.2 -u -b 0 -l 18 -t "$SECS" -J |
    json 'round((d["end"]["sum"]["packets"]-d["end"]["sum"]["lost_packets"])/d["end"]["sum"]["seconds"])'
}

pingstat() { # avg p99 in ms
  ip netns exec "$NA" ping -c 500 -i 0.01 -q 10.99.80.2 > /dev/null 2>&1 || true
  ip netns exec "$NA" ping -c 500 -i 0.01 10.99.80.2 | sed -n 's/.*time=\([0-9.]*\) ms/\1/p' |
    sort -n | awk '{a[NR]=$1; s+=$1} END {printf "%.3f %.3f", s/NR, a[int(NR*0.99)]}'
}

row() { # label
  local t15 t90 u p
  mtu 1500; t15=$(tcp); mtu 9000; t90=$(tcp); mtu 1500; u=$(udp); p=$(pingstat)
  printf '| %-44s | %8s | %8s | %10s | %6s | %6s |\n' "$1" "$t15" "$t90" "$u" ${p% *} ${p#* }
}

echo "# $(date -u '+%F %T') UTC, $(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# vccp: $(git -C "$ROOT" rev-parse --short HEAD), switch args: ${SWITCH_ARGS:-(defaults)}"
setup
printf '| %-44s | %8s | %8s | %10s | %6s | %6s |\n' "joined by" "TCP 1500" "TCP 9000" "UDP 60B pps" "RTT avg" "RTT p99"
echo "|---|---|---|---|---|---|"

ip link add "$BR" type bridge; echo 1 > /proc/sys/net/ipv6/conf/$BR/disable_ipv6
ip link set "$HA" master "$BR"; ip link set "$HB" master "$BR"; ip link set "$BR" up
offloads on; row "Linux bridge, offloads on (veth defaults)"
offloads off; row "Linux bridge, tx/tso/gso off"
ip link del "$BR"

vccp_row() { # LOG PORT-OPTIONS OFFLOADS LABEL [switch args...]: one row through a fresh switch
  local log=$1 opt=$2 off=$3 label=$4 i
  shift 4
  java ${SWITCH_JVM_OPTS:-} -jar "$VCCP_JAR" switch "$@" --control "$DIR/ctl.sock" \
    --port "pa,pcap=$HA$opt" --port "pb,pcap=$HB$opt" ${SWITCH_ARGS:-} > "$DIR/$log" 2>&1 &
  SW=$!
  for i in $(seq 1 300); do [ -S "$DIR/ctl.sock" ] && break; sleep 0.1; done
  offloads "$off"; row "$label"
  java -jar "$VCCP_JAR" ctl --socket "$DIR/ctl.sock" stats | grep '^port' | sed 's/^/# /'
  kill "$SW"; wait "$SW" 2> /dev/null || true; SW=; rm -f "$DIR/ctl.sock"
}

vccp_row switch.log "" off "vccp switch, pcap ports, tx/tso/gso off"
vccp_row switch-offload.log ,offload on "vccp switch, pcap=IF,offload, offloads on"
# the same at a higher scheduling priority than the iperf3 processes (ovs-ctl starts ovs-vswitchd
# at nice -10): the bridge forwards in softirq context, ahead of every process
vccp_row switch-nice.log ,offload on "vccp switch, pcap=IF,offload, --nice -10" --nice -10
