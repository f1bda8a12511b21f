#!/usr/bin/env bash
# Try sipwire's DPDK backend without a DPDK NIC: one command, as root.
#
#   sudo tools/dpdk-demo.sh
#
# Installs what is missing (tools/install-deps.sh), builds (build/, release; BUILD_DIR to use
# another, NINJA_TARGET to build less than everything), then, as the end-to-end tests do over
# DPDK (tests/e2e/netns.sh):
#   - two network namespaces joined by a veth pair: the peers' end 10.99.0.1/24, the data
#     plane's end up with no address;
#   - sipwire-dataplane with io = "dpdk" in the data plane's namespace, on DPDK's
#     net_af_packet driver over its veth end (no hugepages, no NIC), answering for 10.99.0.2:5060;
#   - sipp in the peers' namespace: a UAS registers as sip:uas@localhost, then a UAC makes
#     CALLS (default 100) calls at 50/s to sip:uas@10.99.0.2:5060 through the data plane.
# Prints the calls that succeeded and failed and the data plane's status line, removes
# everything it made (processes by PID, namespaces, work directory) and exits 0 only if every
# call succeeded. KEEP=1 keeps the work directory (config, data plane and sipp logs).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
CALLS=${CALLS:-100}
SCEN=$ROOT/tests/e2e/scenarios
WORK=""
PIDS=()

log() { printf 'dpdk-demo: %s\n' "$*" >&2; }
fail() { printf 'dpdk-demo: FAILED: %s\n' "$*" >&2; exit 1; }
skip() { fail "$*"; }  # netns.sh's "cannot run here" is a failure for the demo

[[ $(id -u) == 0 ]] || fail "run as root: it installs packages and makes network namespaces"

# The namespaces, the veth pair, in_peer and dpdk_config (the [dpdk] table) of the e2e tests.
# shellcheck source=tests/e2e/netns.sh
source "$ROOT/tests/e2e/netns.sh"
E2E_BACKEND=dpdk

cleanup() {
    local rc=$? pid i
    trap - EXIT
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do
        for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    netns_teardown
    if [[ -n $WORK ]]; then
        if [[ ${KEEP:-0} == 1 || $rc != 0 ]]; then log "logs kept in $WORK"; else rm -rf "$WORK"; fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

log "installing missing packages (tools/install-deps.sh)"
bash "$ROOT/tools/install-deps.sh"
if [[ ! -f $BUILD_DIR/build.ninja ]]; then
    meson setup "$BUILD_DIR" "$ROOT" --buildtype=release
fi
log "building in $BUILD_DIR"
ninja -C "$BUILD_DIR" ${NINJA_TARGET:+"$NINJA_TARGET"}
BIN=$BUILD_DIR/dataplane/sipwire-dataplane
[[ -x $BIN ]] || fail "no $BIN after the build"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sipwire-dpdk-demo.XXXXXX")
netns_setup
PROXY=$NETNS_APPLIANCE_IP:5060
PEER=$NETNS_PEER_IP

cfg=$WORK/sipwire.toml
cat >"$cfg" <<EOF
# written by tools/dpdk-demo.sh
mode = "stateless"
workers = 1
domains = ["localhost"]
io = "dpdk"

[[listen]]
address = "$NETNS_APPLIANCE_IP"
port = 5060
transport = "udp"

$(dpdk_config)
EOF
log "starting the data plane in $NETNS_DP on net_af_packet over $NETNS_DP_IF"
# E2E_DPDK_STANDIN=1: the socket proxy plays the data plane (a check of this script itself).
standin=()
[[ ${E2E_DPDK_STANDIN:-0} == 1 ]] && standin=("$ROOT/tests/e2e/dpdk_standin.sh")
"${DP_EXEC[@]}" "${standin[@]}" "$BIN" --config "$cfg" </dev/null >"$WORK/sipwire.out" 2>"$WORK/sipwire.err" &
dp_pid=$!
PIDS+=("$dp_pid")
for ((i = 0; i < 300; i++)); do
    grep -qs "listening on udp $PROXY" "$WORK/sipwire.out" && break
    kill -0 "$dp_pid" 2>/dev/null || { cat "$WORK/sipwire.err" >&2; fail "the data plane exited at startup"; }
    sleep 0.1
done
grep -qs "listening on udp $PROXY" "$WORK/sipwire.out" ||
    { cat "$WORK/sipwire.err" >&2; fail "the data plane is not listening on $PROXY after 30 s"; }
log "$(grep -m1 "listening on" "$WORK/sipwire.out")"

# sipp NAME ARGS...: sipp in the peers' namespace, on 10.99.0.1 (SIP, RTP echo, control port),
# bounded by its -timeout, statistics in NAME.csv.
sipp_in_peer() {
    local name=$1
    shift
    (cd "$WORK" && exec "${PEER_EXEC[@]}" timeout -k 5 90 sipp "$@" -i "$PEER" -mi "$PEER" \
        -ci "$PEER" -nostdin -timeout_error -trace_stat -stf "$WORK/$name.csv" \
        -trace_err -error_file "$WORK/$name.errors.log" </dev/null >"$WORK/$name.screen" 2>"$WORK/$name.stderr")
}
stat() {  # stat NAME COLUMN: COLUMN of the last row of NAME.csv
    [[ -s $WORK/$1.csv ]] || return 0
    awk -F';' -v col="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i } END { if (c) print $c }' "$WORK/$1.csv"
}

log "a UAS registers sip:uas@localhost -> sip:uas@$PEER:5070"
sipp_in_peer register -sf "$SCEN/register.xml" "$PROXY" -s uas -key domain localhost \
    -key expires 3600 -p 5070 -mp 6000 -cp 8870 -m 1 -timeout 20s || fail "the REGISTER got no 200"
sipp_in_peer uas -sf "$SCEN/uas.xml" -p 5070 -mp 6000 -cp 8871 -m "$CALLS" -timeout 60s &
uas_pid=$!
PIDS+=("$uas_pid")
sleep 0.5
log "$CALLS calls from $PEER:5080 to sip:uas@$PROXY"
uac_rc=0
sipp_in_peer uac -sf "$SCEN/uac.xml" "$PROXY" -s uas -key max_forwards 70 -p 5080 -mp 6010 \
    -cp 8872 -m "$CALLS" -r 50 -l 100 -timeout 60s || uac_rc=$?
ok=$(stat uac 'SuccessfulCall(C)')
failed=$(stat uac 'FailedCall(C)')

kill -USR1 "$dp_pid" 2>/dev/null || fail "the data plane died during the calls"
sleep 1
status=$(grep '^status:' "$WORK/sipwire.out" | tail -n 1 || true)
packets=$(grep '^dpdk:' "$WORK/sipwire.out" | tail -n 1 || true)

echo
echo "calls: ${ok:-0} successful, ${failed:-?} failed (of $CALLS; sipp exit status $uac_rc)"
echo "data plane: ${status:-no status line}"
[[ -z $packets ]] || echo "packet path: ${packets#dpdk: }"
echo
[[ $uac_rc == 0 && ${ok:-0} == "$CALLS" && ${failed:-} == 0 ]] ||
    fail "not every call succeeded (sipp's errors: $WORK/uac.errors.log)"
log "done: every call went through the DPDK data plane"
