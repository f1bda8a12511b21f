#!/usr/bin/env bash
# tools/dpdk-demo.sh, the one command a newcomer without a DPDK NIC runs to try the DPDK backend
# (README, docs/OPERATIONS.md), run as a test so that it cannot break unnoticed: on the build
# directory given (already built: nothing to build; its install step finds nothing missing), with
# 20 calls. It passes when the demo exits 0, which it does only if every call succeeded. Root
# only (network namespaces); skips without root or sipp.
#
# usage: tests/e2e/dpdk_demo.sh BUILD_DIR
set -euo pipefail
[[ $# -ge 1 && -d $1 ]] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
[[ $(id -u) == 0 ]] || { echo "SKIP: dpdk_demo: needs root (network namespaces)"; exit 77; }
command -v sipp >/dev/null || { echo "SKIP: dpdk_demo: sipp not installed"; exit 77; }
BUILD_DIR=$(cd "$1" && pwd) CALLS=${CALLS:-20} \
    exec timeout -k 10 240 "$(cd "$(dirname "$0")/../.." && pwd)/tools/dpdk-demo.sh"
