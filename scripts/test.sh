#!/usr/bin/env bash
# The README's test command: installs what the tests need (when run as root), then runs every
# test with Maven. Usage: scripts/test.sh [extra mvn args]
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use: QEMU for real guests, busybox/cpio for the guest image,
# libpcap for pcap ports, tshark for reading recordings, iperf3 for network benchmarks,
# tcpdump (captures for `vccp verify` tests), ethtool (offload settings on taps/veths),
# iputils-ping (kernel ping from test network namespaces), python3 (small TCP and raw-socket
# peers inside test namespaces), gcc/libc6-dev for the guest's tiny UDP helper, Java and Maven.
PACKAGES=(qemu-system-x86 qemu-utils busybox-static cpio libpcap0.8 tshark iperf3 iproute2
          procps tcpdump ethtool iputils-ping python3 gcc libc6-dev openjdk-17-jdk-headless
          maven)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "scripts/test.sh: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "scripts/test.sh: missing packages: ${missing[*]}" >&2
    echo "  run as root (or: sudo apt-get install -y --no-install-recommends ${missing[*]}); tests that need them will be skipped" >&2
  fi
fi
# The guest image kit downloads the kernel with apt-get download, which needs package lists.
if [[ $(id -u) -eq 0 ]] && ! ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1; then
  apt-get update -qq
fi

exec mvn -B verify "$@"
