#!/usr/bin/env bash
# Quick-start command 2: install what is missing, build, and run every test:
#   1. release build: parser unit tests and RFC 4475/5118 torture suites, config, engine,
#      transaction and socket-backend tests, the tool's tests, sipp end-to-end tests
#   2. ASan+UBSan build: the same suites under the sanitizers
#   3. clang libFuzzer build: the parser, framer, engine, digest, frame-codec, DPDK worker
#      (also with its port on a VLAN) and configuration fuzzers for a bounded time
#      (FUZZ_SECONDS each)
#   4. benchmark smoke run: each benchmark briefly, so none can rot (figures: docs/BENCHMARKS.md)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
passed=0 failed=0

bash tools/install-deps.sh || exit 1

# setup DIR ARGS...: configure a build folder once; reconfigure when it exists.
setup() {
  local dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@" >/dev/null
  fi
}

# run_suite NAME BUILD_DIR: build and run one meson test suite, counting its tests.
run_suite() {
  local name=$1 dir=$2
  echo "== $name"
  if ! ninja -C "$dir"; then
    echo "BUILD FAILED: $name"; failed=$((failed + 1)); return
  fi
  meson test -C "$dir" --print-errorlogs
  local counts
  counts=$(python3 tools/count_tests.py "$dir/meson-logs/testlog.json") || counts="0 1"
  passed=$((passed + ${counts% *})) failed=$((failed + ${counts#* }))
}

setup build --buildtype=release
run_suite "release build" build

setup build-asan --buildtype=debugoptimized -Dsanitizers=true -Dbench=disabled
run_suite "ASan+UBSan build" build-asan

# fuzz_run TARGET LABEL [VAR=VALUE...]: TARGET for FUZZ_SECONDS on a copy of its seed corpus
# (libFuzzer adds what it finds to the first directory: the checkout stays as it is), with the
# environment given; LABEL names its log, build-fuzz/LABEL.log.
fuzz_run() {
  local target=$1 label=$2 name corpus
  shift 2
  name=$(basename "$target")
  corpus=$(mktemp -d)
  cp tests/fuzz/corpus/"${name%_fuzzer}"/* "$corpus"/ 2>/dev/null || true
  [ "$name" = config_fuzzer ] && cp configs/*.toml "$corpus"/
  if env "$@" "$target" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 "$corpus" \
      tests/data/rfc4475 tests/data/rfc5118 >"build-fuzz/$label.log" 2>&1; then
    echo "$label: no finding in ${FUZZ_SECONDS}s ($(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "build-fuzz/$label.log" | grep -o '[0-9]*$') runs)"
    passed=$((passed + 1))
  else
    echo "FAIL: $label found a crash:"; tail -40 "build-fuzz/$label.log"
    failed=$((failed + 1))
  fi
  rm -rf "$corpus"
}

if [ -d tests/fuzz ]; then
  echo "== fuzzing (${FUZZ_SECONDS}s per target)"
  CXX=clang++-14 setup build-fuzz --buildtype=debugoptimized -Dfuzzing=true -Dbench=disabled
  if ninja -C build-fuzz; then
    for target in build-fuzz/tests/fuzz/*_fuzzer; do
      fuzz_run "$target" "$(basename "$target")"
    done
    # The DPDK worker again with its port on a VLAN (tags off and on at the edges).
    fuzz_run build-fuzz/tests/fuzz/dataplane_fuzzer dataplane_fuzzer-vlan SIPWIRE_FUZZ_VLAN=100
  else
    echo "BUILD FAILED: fuzzers"; failed=$((failed + 1))
  fi
fi

if [ -d bench ]; then
  echo "== benchmark smoke run"
  for b in build/bench/*_bench; do
    [ -x "$b" ] || continue
    if "$b" --benchmark_min_time=0.001 >"$b.smoke.log" 2>&1; then
      echo "$(basename "$b"): runs"; passed=$((passed + 1))
    else
      echo "FAIL: $(basename "$b")"; tail -20 "$b.smoke.log"; failed=$((failed + 1))
    fi
  done
  # The hot-code report (docs/BENCHMARKS.md) on a short callgrind run: it must still read the
  # profile and find the engine's code.
  if [ -x build/bench/engine_bench ]; then
    cg=build/bench/hot_code.smoke.cg
    if valgrind --tool=callgrind --dump-instr=yes --callgrind-out-file="$cg" \
         build/bench/engine_bench --loop options/keepalive 11 >"$cg.log" 2>&1 &&
       bench/hot_code.py footprint "$cg" build/bench/engine_bench 11 >"$cg.report" 2>&1 &&
       grep -q 'sipwire::MessageParser::parse' "$cg.report"; then
      echo "hot_code.py: runs"; passed=$((passed + 1))
    else
      echo "FAIL: hot_code.py"; tail -20 "$cg.log" "$cg.report"; failed=$((failed + 1))
    fi
  fi
fi

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
