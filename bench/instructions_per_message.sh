#!/usr/bin/env bash
# Instructions per message, a deterministic figure: runs bench/parse_loop under
# valgrind --tool=callgrind at N=1 and N=1001 iterations and prints (difference)/1000, so
# process start-up cancels out. Usage: bench/instructions_per_message.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
loop=$build/bench/parse_loop
[ -x "$loop" ] || { echo "build $loop first: ninja -C $build" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "valgrind is missing: tools/install-deps.sh" >&2; exit 1; }

refs() {  # refs PARSER MESSAGE N
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$loop" "$1" "$2" "$3" 2>&1 |
    sed -n 's/.*refs: *\([0-9,]*\).*/\1/p' | tr -d ,
}

printf '%-20s %12s %12s %12s\n' message sipwire sofia-sip libosip2
for m in register invite_sdp ok200_record_route options invite_large; do
  row=()
  for p in sipwire sofia osip; do
    one=$(refs "$p" "$m" 1) many=$(refs "$p" "$m" 1001)
    row+=("$(( (many - one) / 1000 ))")
  done
  printf '%-20s %12s %12s %12s\n' "$m" "${row[@]}"
done
