#!/usr/bin/env bash
# Installs the Debian 12 packages sipwire needs to build, test and benchmark.
# Idempotent: asks apt only for what is missing, so a second run costs a dpkg query.
set -euo pipefail

packages=(
  # build
  build-essential pkg-config meson ninja-build
  # libraries the product links
  libhyperscan-dev libdpdk-dev dpdk libboost-dev libssl-dev libcli11-dev
  # configuration
  libtomlplusplus-dev
  # tests, fuzzing, sanitizers; sipp is the real SIP peer of the end-to-end tests
  libgtest-dev clang-14 libclang-rt-14-dev sip-tester iproute2 netcat-openbsd
  # the end-to-end tests' helper peers and bench/hot_code.py (meson pulls it in too)
  python3
  # the DPDK runs of the end-to-end tests and tools/dpdk-demo.sh (veth offloads, ping, ARP)
  ethtool iputils-ping iputils-arping
  # benchmarks: the framework and the peer parsers we compare with
  libbenchmark-dev libosip2-dev libsofia-sip-ua-dev valgrind
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}; run as root to install them" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
