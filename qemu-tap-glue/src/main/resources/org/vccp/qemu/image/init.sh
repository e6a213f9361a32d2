#!/bin/busybox sh
# VCCP guest /init (busybox sh), packed into the initramfs by GuestImageKit.
#
# Reads vccp.* parameters from /proc/cmdline, loads the virtio modules listed in
# /lib/modules/load-order, configures eth0, then runs the requested workloads one after
# another and stays up. Everything it reports is one line on the console (ttyS0):
#   VCCP <EVENT> key=value key=value ...
# Values never contain spaces. The events and keys are documented in
# qemu-tap-glue/README.md; GuestEvent parses them. Keep the two in step.

/bin/busybox mkdir -p /proc /sys /dev /tmp /www /bin /sbin /usr/bin /usr/sbin
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
# Only emergencies from the kernel from now on: printk must not split VCCP lines.
echo 1 >/proc/sys/kernel/printk
set -o pipefail

say() { echo "VCCP $*"; }
uptime_ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }
uptime_s() { awk '{ printf "%d", $1 }' /proc/uptime; }
# Never returns: a guest whose init exits panics, and QEMU (-no-reboot) quits.
stay_up() { while :; do sleep 3600; done; }

NAME=guest
IP=
PEER=
WORKLOAD=idle
SIZE_MB=8
COUNT=3
PORT=80
INTERVAL_MS=200
TIMEOUT_S=120
RATE=100
FLOW=1
UDP_BYTES=64
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    vccp.name=*) NAME=${arg#*=} ;;
    vccp.ip=*) IP=${arg#*=} ;;
    vccp.peer=*) PEER=${arg#*=} ;;
    vccp.workload=*) WORKLOAD=${arg#*=} ;;
    vccp.size_mb=*) SIZE_MB=${arg#*=} ;;
    vccp.count=*) COUNT=${arg#*=} ;;
    vccp.port=*) PORT=${arg#*=} ;;
    vccp.interval_ms=*) INTERVAL_MS=${arg#*=} ;;
    vccp.timeout_s=*) TIMEOUT_S=${arg#*=} ;;
    vccp.rate=*) RATE=${arg#*=} ;;
    vccp.flow=*) FLOW=${arg#*=} ;;
    vccp.udp_bytes=*) UDP_BYTES=${arg#*=} ;;
  esac
done

say BOOT name=$NAME kernel=$(uname -r) uptime_ms=$(uptime_ms)

# No router solicitations or MLD reports: the wire carries only what workloads send.
for f in /proc/sys/net/ipv6/conf/default/disable_ipv6 /proc/sys/net/ipv6/conf/all/disable_ipv6; do
  [ -e $f ] && echo 1 >$f
done
while read -r module; do
  [ -n "$module" ] || continue
  insmod /lib/modules/$module.ko || say ERROR stage=insmod detail=$module
done </lib/modules/load-order

ip link set lo up
MAC=none
if [ -n "$IP" ]; then
  case "$IP" in */*) ;; *) IP=$IP/24 ;; esac
  waited=0
  while [ ! -e /sys/class/net/eth0 ] && [ $waited -lt 100 ]; do
    usleep 100000
    waited=$((waited + 1))
  done
  if [ -e /sys/class/net/eth0 ]; then
    MAC=$(cat /sys/class/net/eth0/address)
    # A long transmit queue: a guest starved of CPU under TCG queues bursts instead of dropping.
    ip link set eth0 txqueuelen 10000
    ip link set eth0 up && ip addr add $IP dev eth0 || say ERROR stage=network detail=eth0
  else
    say ERROR stage=network detail=no-eth0
  fi
fi
say READY name=$NAME ip=${IP:-none} mac=$MAC workload=$WORKLOAD uptime_ms=$(uptime_ms)

need_peer() {
  [ -n "$PEER" ] && return 0
  say ERROR stage=$1 detail=no-vccp.peer
  return 1
}

# Pings the peer until it answers or vccp.timeout_s passes.
wait_peer() {
  start=$(uptime_ms)
  deadline=$(($(uptime_s) + TIMEOUT_S))
  until ping -c 1 -W 1 $PEER >/dev/null 2>&1; do
    if [ $(uptime_s) -ge $deadline ]; then
      say ERROR stage=ping detail=peer-unreachable peer=$PEER
      return 1
    fi
    usleep 200000
  done
  say PEER-UP peer=$PEER waited_ms=$(($(uptime_ms) - start))
}

wl_ping() {
  need_peer ping || return
  wait_peer || { say DONE workload=ping ok=0 fail=$COUNT; return; }
  ok=0
  fail=0
  seq=1
  while [ $seq -le $COUNT ]; do
    rtt=$(ping -c 1 -W 2 $PEER 2>&1 | sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p')
    if [ -n "$rtt" ]; then
      say PING seq=$seq ok=1 rtt_ms=$rtt
      ok=$((ok + 1))
    else
      say PING seq=$seq ok=0
      fail=$((fail + 1))
    fi
    seq=$((seq + 1))
    [ $seq -le $COUNT ] && usleep $((INTERVAL_MS * 1000))
  done
  say DONE workload=ping ok=$ok fail=$fail
}

# Returns once httpd listens; the server keeps running in the background.
wl_http_serve() {
  if ! dd if=/dev/urandom of=/www/file bs=1048576 count=$SIZE_MB iflag=fullblock 2>/dev/null; then
    say ERROR stage=http-serve detail=dd
    return
  fi
  bytes=$(wc -c </www/file)
  md5=$(md5sum /www/file | cut -d ' ' -f 1)
  if ! httpd -p $PORT -h /www; then
    say ERROR stage=http-serve detail=httpd
    return
  fi
  say HTTP-SERVE bytes=$bytes md5=$md5 port=$PORT path=/file
}

# One download streamed into md5sum, with tee feeding wc -c through a fifo for the byte count
# (this busybox's dd prints no byte total). Prints "bytes md5 ms"; fails if any stage fails.
fetch_once() {
  rm -f /tmp/fetch.fifo /tmp/fetch.bytes
  mkfifo /tmp/fetch.fifo
  wc -c </tmp/fetch.fifo >/tmp/fetch.bytes &
  counter=$!
  t0=$(uptime_ms)
  md5=$(timeout $TIMEOUT_S wget -q -O - "http://$PEER:$PORT/file" 2>/tmp/wget.err |
    tee /tmp/fetch.fifo | md5sum)
  status=$?
  wait $counter
  t1=$(uptime_ms)
  [ $status -eq 0 ] || return 1
  read -r bytes </tmp/fetch.bytes
  echo "$bytes ${md5%% *} $((t1 - t0))"
}

# vccp.count downloads; each retries every 0.5 s until the server answers, for at most
# vccp.timeout_s.
wl_http_fetch_md5() {
  need_peer http-fetch-md5 || return
  ok=0
  fail=0
  n=1
  while [ $n -le $COUNT ]; do
    deadline=$(($(uptime_s) + TIMEOUT_S))
    tries=0
    while :; do
      tries=$((tries + 1))
      result=$(fetch_once) && break
      result=
      [ $(uptime_s) -ge $deadline ] && break
      usleep 500000
    done
    if [ -n "$result" ]; then
      set -- $result
      say FETCH n=$n ok=1 bytes=$1 md5=$2 ms=$3 tries=$tries
      ok=$((ok + 1))
    else
      say FETCH n=$n ok=0 tries=$tries detail=$(tr ' \n' '__' </tmp/wget.err | head -c 80)
      fail=$((fail + 1))
    fi
    n=$((n + 1))
  done
  say DONE workload=http-fetch-md5 ok=$ok fail=$fail
}

need_udp_helper() {
  [ -x /bin/vccp-udp ] && return 0
  say ERROR stage=$1 detail=no-vccp-udp-helper
  return 1
}

# Numbered datagrams 1..vccp.count to vccp.peer:vccp.port at vccp.rate per second, after a
# hello/ack handshake with the receiver; vccp-udp prints UDPSEQ lines and DONE itself.
wl_udp_seq_send() {
  need_peer udp-seq-send && need_udp_helper udp-seq-send || return
  vccp-udp seq-send $PEER $PORT $RATE $COUNT $FLOW $UDP_BYTES $TIMEOUT_S
}

# Binds vccp.port, then counts in the background (returns at once, like http-serve), reporting
# every second and once at the end: after datagram vccp.count (plus 1 s for stragglers) or after
# vccp.timeout_s without any.
wl_udp_seq_recv() {
  need_udp_helper udp-seq-recv || return
  vccp-udp seq-recv $PORT $COUNT $FLOW $TIMEOUT_S
}

# CPU-bound work for the checkpoint-overhead benchmark: COUNT rounds of MD5 over 1 MiB of zeros.
wl_cpu() {
  say CPU phase=start rounds=$COUNT
  i=0
  while [ $i -lt $COUNT ]; do
    dd if=/dev/zero bs=65536 count=16 2>/dev/null | md5sum >/dev/null
    i=$((i + 1))
    # a tick every 20 rounds (~0.5 s under TCG), timed on the host to see each checkpoint's cost
    if [ $((i % 20)) -eq 0 ]; then say CPU n=$i; fi
  done
  say DONE workload=cpu ok=$COUNT fail=0
}

wl_counter() {
  n=0
  while :; do
    n=$((n + 1))
    say COUNTER n=$n
    usleep 100000
  done
}

for workload in $(echo "$WORKLOAD" | tr ',' ' '); do
  case "$workload" in
    idle) ;;
    ping) wl_ping ;;
    http-serve) wl_http_serve ;;
    http-fetch-md5) wl_http_fetch_md5 ;;
    counter) wl_counter ;;
    cpu) wl_cpu ;;
    udp-seq-send) wl_udp_seq_send ;;
    udp-seq-recv) wl_udp_seq_recv ;;
    *) say ERROR stage=workload detail=unknown-$workload ;;
  esac
done
stay_up
