#!/usr/bin/env bash
# Harness self-check for E2E_BACKEND=dpdk without the DPDK backend: lib.sh's start_proxy runs
# this (E2E_DPDK_STANDIN=1) in the data plane's namespace instead of the proxy itself, as
#   dpdk_standin.sh SIPWIRE_DATAPLANE --config CONFIG
# It makes the kernel of that namespace play the DPDK data plane's part: the appliance address
# (the [[listen]] address, /24) goes on the veth end named in [dpdk] port, which answers ARP
# again (netns.sh turned that off for the real data plane); the exception tap named in [dpdk]
# exception_tap is created (empty: the kernel answers ping and TCP on the veth itself). Then it
# execs the socket proxy (same PID, so the test stops it as usual) on CONFIG without
# io = "dpdk" and the [dpdk] table. Every test script then runs as it will over DPDK: the peers
# in their namespace, the proxy at 10.99.0.2 across the veth pair, a 1,500-byte MTU.
# Not a test of the DPDK backend: of the namespaces, addresses, ports and cleanup around it.
set -euo pipefail
[[ $# == 3 && $2 == --config ]] || { echo "usage: $0 SIPWIRE_DATAPLANE --config CONFIG" >&2; exit 2; }
bin=$1 cfg=$3
iface=$(sed -n 's/^port = "net_af_packet0,iface=\([^",]*\).*/\1/p' "$cfg")
tap=$(sed -n 's/^exception_tap = "\(.*\)"$/\1/p' "$cfg")
addr=$(awk '/^\[\[listen\]\]$/ { l = 1; next } l && /^address = / { gsub(/"/, "", $3); print $3; exit }' "$cfg")
[[ -n $iface && -n $tap && -n $addr ]] || { echo "dpdk_standin: no [dpdk] port/exception_tap or listen address in $cfg" >&2; exit 2; }
ip addr add "$addr/24" dev "$iface"
sysctl -qw "net.ipv4.conf.$iface.arp_ignore=0"
ip tuntap add mode tap name "$tap"
awk '$0 == "io = \"dpdk\"" { next } $0 == "[dpdk]" { skip = 1; next } skip && /^$/ { skip = 0 } !skip' \
    "$cfg" >"$cfg.standin.toml"
exec "$bin" --config "$cfg.standin.toml"
