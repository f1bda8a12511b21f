#!/usr/bin/env bash
# Instructions per message of engine_bench cases, a deterministic figure: runs
# `engine_bench --loop CASE N` under valgrind --tool=callgrind at N=1 and N=2001 and prints
# (difference)/2000, so start-up and table building cancel out. A stateful/invite_transaction
# iteration is a whole call setup (4 messages in, 5 out): its figure is per call, and per
# message in. stateful/invite_forward counts only the INVITE legs (--toggle-collect), not the
# 200s that end the calls in batches. Usage: bench/engine_instructions.sh [BUILD_DIR] [CASE...]
set -euo pipefail
build=${1:-build}
shift || true
bench=$build/bench/engine_bench
[ -x "$bench" ] || { echo "build $bench first: ninja -C $build" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "valgrind is missing: tools/install-deps.sh" >&2; exit 1; }
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(register/refresh_hot invite/forward_hot options/keepalive
  stateful/invite_transaction stateful/invite_forward)
n=2001

refs() {  # refs CASE N [valgrind options]
  local c=$1 k=$2
  shift 2
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" "$bench" --loop "$c" "$k" 2>&1 |
    sed -n 's/.*refs: *\([0-9,]*\).*/\1/p' | tr -d ,
}

printf '%-30s %14s\n' case instructions
for c in "${cases[@]}"; do
  opts=()
  [ "$c" = stateful/invite_forward ] && opts=(--toggle-collect='*CallRig::invite_leg*')
  one=$(refs "$c" 1 "${opts[@]}") many=$(refs "$c" "$n" "${opts[@]}")
  per=$(( (many - one) / (n - 1) ))
  if [ "$c" = stateful/invite_transaction ]; then
    printf '%-30s %14s  per call; %s per message in (4)\n' "$c" "$per" "$(( per / 4 ))"
  else
    printf '%-30s %14s\n' "$c" "$per"
  fi
done
