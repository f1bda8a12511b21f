# shellcheck shell=bash
# Shared code of the end-to-end tests: sourced by tests/e2e/NAME.sh, never run by itself.
#
# A test runs as `tests/e2e/NAME.sh BUILD_DIR`. Everything it starts (sipwire-dataplane, sipp
# UAS processes) listens on 127.0.0.1 on ports checked free with `ss`, is recorded here and is
# stopped by PID on exit; nothing is ever killed by name. With E2E_BACKEND=dpdk the peers
# (LOOPBACK, 10.99.0.1) and the data plane (PROXY_IP, 10.99.0.2) are in two network namespaces
# of their own, joined by a veth pair (netns.sh); a test runs a peer-side command of its own
# (python3, nc, ...) with `in_peer CMD...`, a no-op prefix with the socket backend.
# Every sipp run is bounded by -m and by -timeout with -timeout_error (without -timeout_error, sipp 3.6 waits at the global timeout for
# the open calls to finish, and retransmissions can keep it alive for another ~32 s), and by
# `timeout`. The whole test re-runs itself under `timeout` (E2E_TEST_TIMEOUT, default 270 s, under
# meson's 300 s), whose group kill also reaches every child: inner timeouts use --foreground,
# so that they stay in the test's process group.
#
# Environment:
#   SIPWIRE_DATAPLANE  the proxy binary (default BUILD_DIR/dataplane/sipwire-dataplane)
#   SIPWIRE_E2E_DIRECT=1  self-check of the harness without a proxy: the sipp UAC calls the sipp
#                      UAS directly; tests that need the proxy itself exit 77 (skipped)
#   E2E_MODE           the proxy's mode for every test (default stateless; stateful, ...)
#   E2E_BACKEND        the proxy's I/O backend: socket (default: kernel UDP sockets on 127.0.0.1)
#                      or dpdk (io = "dpdk" on net_af_packet over a veth pair; root; netns.sh)
#   E2E_IP             4 (default) or 6: the peers and the proxy use IPv6 addresses (socket: ::1;
#                      dpdk: fd99::1 and fd99::2 on the veth pair); PROXY_HOSTPORT brackets them
#   E2E_WORKERS        the proxy's workers (default 1)
#   E2E_DPDK_QPAIRS    dpdk: queue pairs of the net_af_packet port (default 1)
#   E2E_DPDK_TAP=0     dpdk: no exception tap (the data plane answers ARP and ND itself)
#   E2E_VLAN=N         dpdk: the veth pair is a trunk, the peers on VLAN N, [dpdk] vlan = N
#   E2E_DPDK_STANDIN=1 dpdk: harness self-check without the DPDK backend, the socket proxy in the
#                      data plane's namespace (dpdk_standin.sh)
#   E2E_KEEP=1         keep the work directory (configs, logs, sipp statistics) after the test
#   E2E_TEST_TIMEOUT   seconds before the whole test is killed (default 270)

set -euo pipefail

# Watchdog: re-run the calling script under timeout(1) once. timeout puts the script in its own
# process group and signals the whole group, so a hang cannot outlive it.
if [[ -z ${E2E_UNDER_WATCHDOG:-} ]]; then
    export E2E_UNDER_WATCHDOG=1
    exec timeout -k 10 "${E2E_TEST_TIMEOUT:-270}" "$0" "$@"
fi

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCEN_DIR=$E2E_DIR/scenarios
# shellcheck disable=SC2034  # used by the tests that source this file
REPO_ROOT=$(cd "$E2E_DIR/../.." && pwd)
TEST_NAME=$(basename "$0" .sh)
# shellcheck source=tests/e2e/netns.sh
source "$E2E_DIR/netns.sh"
# LOOPBACK: the peers' address (sipp -i, -mi, -ci, UAS contacts); PEER_NET: the network the
# peers send from, for trusted_sources.
# shellcheck disable=SC2034  # PEER_NET: used by the tests that source this file
case ${E2E_BACKEND:=socket}/${E2E_IP:=4} in
    socket/4) LOOPBACK=127.0.0.1 PEER_NET=127.0.0.0/8 ;;
    socket/6) LOOPBACK=::1 PEER_NET=::1/128 ;;
    dpdk/4) LOOPBACK=$NETNS_PEER_IP PEER_NET=$NETNS_NET ;;
    dpdk/6) LOOPBACK=$NETNS_PEER_IP6 PEER_NET=$NETNS_NET6 ;;
    *) echo "E2E_BACKEND must be socket or dpdk and E2E_IP 4 or 6, not '$E2E_BACKEND/$E2E_IP'" >&2
       exit 2 ;;
esac
# The python helpers bind this address (their default is 127.0.0.1).
export E2E_LOCAL_IP=$LOOPBACK
SIPP_BUFF=4194304
WORK=""
PROXY_PID=""
PROXY_IP=""
PROXY_PORT=""
PROXY_HOSTPORT=""  # PROXY_IP:PROXY_PORT, an IPv6 address in brackets

# hostport IP PORT: IP:PORT as SIP writes it (an IPv6 address in brackets).
hostport() {
    if [[ $1 == *:* ]]; then printf '[%s]:%s' "$1" "$2"; else printf '%s:%s' "$1" "$2"; fi
}
declare -a E2E_PIDS=()

log() { printf '%s: %s\n' "$TEST_NAME" "$*" >&2; }

# Prints the verdict line and exits. Logs of the run stay in $WORK when E2E_KEEP=1.
pass() { printf 'PASS: %s: %s\n' "$TEST_NAME" "$*"; exit 0; }
fail() { printf 'FAIL: %s: %s\n' "$TEST_NAME" "$*"; exit 1; }
skip() { printf 'SKIP: %s: %s\n' "$TEST_NAME" "$*"; exit 77; }

direct_mode() { [[ ${SIPWIRE_E2E_DIRECT:-0} == 1 ]]; }

# Stops every process this test started, by PID: SIGTERM, up to 5 s, then SIGKILL.
cleanup() {
    local rc=$? pid i
    trap - EXIT
    for pid in "${E2E_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${E2E_PIDS[@]}"; do
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
    done
    netns_teardown
    if [[ -n $WORK && -d $WORK ]]; then
        if [[ ${E2E_KEEP:-0} == 1 || ($rc -ne 0 && $rc -ne 77) ]]; then
            log "logs kept in $WORK"
        else
            rm -rf "$WORK"
        fi
    fi
    exit "$rc"
}

# Watchdog or Ctrl-C: say so, then exit through cleanup.
on_signal() { printf 'FAIL: %s: interrupted (timed out?)\n' "$TEST_NAME"; exit 124; }

# e2e_init "$@": checks the arguments and tools, makes the work directory, installs the traps.
e2e_init() {
    [[ $# -ge 1 && -d $1 ]] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
    BUILD_DIR=$(cd "$1" && pwd)
    command -v sipp >/dev/null || skip "sipp not installed"
    command -v ss >/dev/null || skip "ss (iproute2) not installed"
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/sipwire-e2e-$TEST_NAME.XXXXXX")
    trap cleanup EXIT
    trap on_signal TERM INT HUP
    PORTS_FILE=$WORK/ports.used
    : >"$PORTS_FILE"
    if dpdk_backend; then netns_setup; fi
}

# socket_backend_only: skips the test with E2E_BACKEND=dpdk (it needs 127.0.0.x addresses).
socket_backend_only() {
    dpdk_backend && skip "socket backend only (uses 127.0.0.x addresses of its own)"
    return 0
}

# free_udp_port VAR [SPAN]: sets VAR to a port P such that P..P+SPAN-1 are not bound by any UDP
# socket (ss -uan, listening or connected) and were not handed out before in this test. Ports come
# from 20000-31999, below Linux's ephemeral range (32768-60999), so the kernel does not give them
# to someone else's connect() meanwhile. The sockets looked at are the peers' (in_peer).
free_udp_port() {
    local __var=$1 span=${2:-1} busy p i try ok
    busy=" $(in_peer ss -Huan | awk '{n = split($4, a, ":"); print a[n]}' | tr '\n' ' ') $(tr '\n' ' ' <"$PORTS_FILE") "
    for ((try = 0; try < 500; try++)); do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
        ok=1
        for ((i = 0; i < span; i++)); do
            [[ $busy == *" $((p + i)) "* ]] && { ok=0; break; }
        done
        if ((ok)); then
            for ((i = 0; i < span; i++)); do echo $((p + i)) >>"$PORTS_FILE"; done
            printf -v "$__var" '%s' "$p"
            return 0
        fi
    done
    fail "no free UDP port found"
}

# udp_bound PORT: true when something is bound to LOOPBACK:PORT or *:PORT over UDP (on the
# peers' side).
udp_bound() {
    in_peer ss -Hlun "sport = :$1" | grep -q .
}

# --- the proxy -------------------------------------------------------------------------------

# start_proxy: writes a config (mode $E2E_MODE, default stateless; E2E_WORKERS workers, default
# 1) into $WORK, starts sipwire-dataplane on a free port and waits for its "listening on udp
# PROXY_IP:PROXY_PORT" line: 10 s at most over sockets, 30 s with DPDK (EAL start). With
# E2E_BACKEND=dpdk the config adds io = "dpdk" and its [dpdk] table (dpdk_config, netns.sh) and
# the proxy runs in the data plane's namespace. Sets PROXY_IP, PROXY_PORT, PROXY_HOSTPORT, PROXY_PID.
start_proxy() {
    local mode=${E2E_MODE:-stateless} bin cfg out i wait_s=10 io_line=""
    bin=${SIPWIRE_DATAPLANE:-$BUILD_DIR/dataplane/sipwire-dataplane}
    [[ -x $bin ]] || fail "proxy binary not found: $bin (build it, or set SIPWIRE_DATAPLANE)"
    free_udp_port PROXY_PORT
    PROXY_IP=$LOOPBACK
    if dpdk_backend; then
        PROXY_IP=$NETNS_APPLIANCE_IP
        [[ $E2E_IP == 6 ]] && PROXY_IP=$NETNS_APPLIANCE_IP6
        io_line='io = "dpdk"'
        wait_s=30
    fi
    PROXY_HOSTPORT=$(hostport "$PROXY_IP" "$PROXY_PORT")
    # E2E_LISTEN_ADDRESS: another address to listen on (a wildcard) than the one the peers
    # send to; E2E_LISTEN_EXTRA: more keys of the [[listen]] table (advertise).
    local listen_ip=${E2E_LISTEN_ADDRESS:-$PROXY_IP}
    local listen_hostport
    listen_hostport=$(hostport "$listen_ip" "$PROXY_PORT")
    cfg=$WORK/sipwire-$mode.toml
    cat >"$cfg" <<EOF
# written by tests/e2e/$TEST_NAME.sh
mode = "$mode"
workers = ${E2E_WORKERS:-1}
domains = ["localhost"]
$io_line
${E2E_TOP_CONFIG:-}

[[listen]]
address = "$listen_ip"
port = $PROXY_PORT
transport = "udp"
${E2E_LISTEN_EXTRA:-}
EOF
    if dpdk_backend; then printf '\n%s\n' "$(dpdk_config)" >>"$cfg"; fi
    # A test's own tables ([[destination]], [[route]], ...), from E2E_EXTRA_CONFIG; its own
    # top-level keys (trusted_sources, ...) come from E2E_TOP_CONFIG, above.
    if [[ -n ${E2E_EXTRA_CONFIG:-} ]]; then printf '\n%s\n' "$E2E_EXTRA_CONFIG" >>"$cfg"; fi
    out=$WORK/sipwire.out
    # In the data plane's namespace with DPDK; ip netns exec execs the proxy, so $! is its PID.
    # E2E_DPDK_STANDIN=1: the socket proxy plays the data plane there (dpdk_standin.sh).
    local standin=()
    if dpdk_backend && [[ ${E2E_DPDK_STANDIN:-0} == 1 ]]; then standin=("$E2E_DIR/dpdk_standin.sh"); fi
    "${DP_EXEC[@]}" "${standin[@]}" "$bin" --config "$cfg" </dev/null >"$out" 2>"$WORK/sipwire.err" &
    PROXY_PID=$!
    E2E_PIDS+=("$PROXY_PID")
    for ((i = 0; i < wait_s * 10; i++)); do
        if grep -qsF "listening on udp $listen_hostport" "$out"; then
            log "proxy pid $PROXY_PID: $(grep -m1 "listening on" "$out")"
            return 0
        fi
        kill -0 "$PROXY_PID" 2>/dev/null || { dump "$WORK/sipwire.err"; fail "proxy exited at startup"; }
        sleep 0.1
    done
    dump "$out"
    dump "$WORK/sipwire.err"
    if ! dpdk_backend && udp_bound "$PROXY_PORT"; then
        fail "proxy bound $listen_hostport but never printed 'listening on udp $listen_hostport' (stdout not flushed?)"
    fi
    fail "proxy not listening after $wait_s s"
}

# proxy_status: asks the proxy for a status line (SIGUSR1) and prints its latest "status:" line
# on stdout (the newest one printed within 5 s; empty if it never printed one).
proxy_status() {
    local before i
    before=$(grep -c '^status:' "$WORK/sipwire.out" || true)
    kill -USR1 "$PROXY_PID" 2>/dev/null || fail "proxy (pid $PROXY_PID) died before the end of the test"
    for ((i = 0; i < 50; i++)); do
        (($(grep -c '^status:' "$WORK/sipwire.out" || true) > before)) && break
        sleep 0.1
    done
    grep '^status:' "$WORK/sipwire.out" | tail -n 1 || true
}

# proxy_alive: the proxy process still runs.
proxy_alive() { kill -0 "$PROXY_PID" 2>/dev/null; }

# stop_proxy: SIGTERM, and the proxy must exit with status 0 within 5 s (it stops cleanly).
stop_proxy() {
    local i rc=0
    kill -TERM "$PROXY_PID" 2>/dev/null || fail "proxy (pid $PROXY_PID) died before the end of the test"
    for ((i = 0; i < 50; i++)); do
        kill -0 "$PROXY_PID" 2>/dev/null || break
        sleep 0.1
    done
    proxy_alive && fail "proxy did not exit within 5 s of SIGTERM"
    wait "$PROXY_PID" || rc=$?
    ((rc == 0)) || { dump "$WORK/sipwire.err"; fail "proxy exited with status $rc on SIGTERM"; }
}

# --- sipp ------------------------------------------------------------------------------------

# sipp_common NAME: the options every sipp run gets. Everything binds LOOPBACK: SIP (-i), the
# RTP echo sockets (-mi; -mp takes P and P+2) and the remote-control socket (-ci; sipp would
# otherwise bind 0.0.0.0:8888). Statistics go to NAME.csv (-trace_stat, read by sipp_stat),
# unexpected messages to NAME.errors.log.
SIPP_ARGS=()
sipp_common() {
    local name=$1 mp cp
    free_udp_port mp 4
    free_udp_port cp
    # sipp 3.6 opens its control socket as IPv4 whatever -ci says: over IPv6 it gets 127.0.0.1
    # (the peers' namespace has its lo up, too).
    local control=$LOOPBACK
    [[ $E2E_IP == 6 ]] && control=127.0.0.1
    SIPP_ARGS=(-i "$LOOPBACK" -mi "$LOOPBACK" -mp "$mp" -ci "$control" -cp "$cp"
        -buff_size "$SIPP_BUFF" -nostdin -timeout_error
        -trace_stat -stf "$WORK/$name.csv" -fd 1
        -trace_err -error_file "$WORK/$name.errors.log")
}

# sipp runs on the peers' side (PEER_EXEC, netns.sh).
# run_sipp NAME TIMEOUT_S SIPP_ARGS...: one bounded sipp run in the foreground (its own -m and
# -timeout are in SIPP_ARGS). Without -p in SIPP_ARGS it gets a free port: sipp 3.6 binds 5060
# by default (not a random port, whatever its -h says), which may be taken. Returns sipp's exit
# status: 0 all calls successful, 1 at least one failed, 97 internal exit (no successful call at
# -timeout), 99 no call processed, 255 fatal error or -timeout reached with -timeout_error,
# 254 bind error.
run_sipp() {
    local name=$1 limit=$2 rc=0 port
    shift 2
    sipp_common "$name"
    if [[ " $* " != *" -p "* ]]; then
        free_udp_port port
        SIPP_ARGS+=(-p "$port")
    fi
    (cd "$WORK" && timeout --foreground -k 5 "$limit" "${PEER_EXEC[@]}" sipp "$@" "${SIPP_ARGS[@]}" \
        </dev/null >"$WORK/$name.screen" 2>"$WORK/$name.stderr") || rc=$?
    return "$rc"
}

# start_sipp NAME PORT SIPP_ARGS...: a sipp server (UAS) in the background on LOOPBACK:PORT.
# Sets SIPP_PID once the port is bound (5 s at most).
start_sipp() {
    local name=$1 port=$2 i
    shift 2
    sipp_common "$name"
    (cd "$WORK" && exec "${PEER_EXEC[@]}" sipp "$@" -p "$port" "${SIPP_ARGS[@]}" \
        </dev/null >"$WORK/$name.screen" 2>"$WORK/$name.stderr") &
    SIPP_PID=$!
    E2E_PIDS+=("$SIPP_PID")
    for ((i = 0; i < 50; i++)); do
        udp_bound "$port" && return 0
        kill -0 "$SIPP_PID" 2>/dev/null || { dump "$WORK/$name.stderr"; fail "sipp $name exited at startup"; }
        sleep 0.1
    done
    fail "sipp $name not listening on $port after 5 s"
}

# wait_pid PID SECONDS: waits for a background process we started; returns its exit status,
# or 124 if it is still running after SECONDS.
wait_pid() {
    local pid=$1 i rc=0
    for ((i = 0; i < $2 * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && return 124
    wait "$pid" || rc=$?
    return "$rc"
}

# sipp_stat NAME COLUMN: COLUMN (e.g. "SuccessfulCall(C)") from the last row of NAME.csv, the
# statistics sipp writes on exit. Prints nothing if the file or the column is missing.
sipp_stat() {
    local f=$WORK/$1.csv
    [[ -s $f ]] || return 0
    awk -F';' -v col="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i }
        END { if (c) print $c }' "$f"
}

# check_calls NAME RC WANT: a sipp run ended with status RC; passes when RC is 0 and its
# statistics count WANT successful and 0 failed calls. Both signals, because sipp's exit status
# alone is 0 as soon as no call failed, however many were placed.
check_calls() {
    local name=$1 rc=$2 want=$3 ok failed
    ok=$(sipp_stat "$name" 'SuccessfulCall(C)')
    failed=$(sipp_stat "$name" 'FailedCall(C)')
    if [[ $rc -ne 0 || $ok != "$want" || $failed != 0 ]]; then
        dump "$WORK/$name.stderr"
        dump "$WORK/$name.errors.log"
        fail "$name: sipp exit status $rc, successful calls ${ok:-?} (want $want), failed ${failed:-?}"
    fi
    log "$name: $ok successful calls, 0 failed"
}

# register_user USER PORT EXPIRES: one REGISTER for sip:USER@localhost with Contact
# sip:USER@LOOPBACK:PORT, sent from PORT (so run it before a UAS binds PORT); must get 200.
REGISTER_COUNT=0
register_user() {
    local user=$1 port=$2 expires=$3 name rc=0
    REGISTER_COUNT=$((REGISTER_COUNT + 1))
    name=register$REGISTER_COUNT-$user-$expires
    run_sipp "$name" 40 -sf "$SCEN_DIR/register.xml" "$PROXY_HOSTPORT" -s "$user" \
        -key domain localhost -key expires "$expires" -p "$port" -m 1 -timeout 30s \
        -trace_msg -message_file "$WORK/$name.msg.log" || rc=$?
    check_calls "$name" "$rc" 1
}

# register_binding USER CONTACT Q: one REGISTER for sip:USER@localhost binding CONTACT (any URI,
# e.g. a UAS's address under another user name) with q-value Q, Expires 3600, sent from any free
# port (scenario register_q.xml); must get 200.
register_binding() {
    local user=$1 contact=$2 q=$3 name rc=0
    REGISTER_COUNT=$((REGISTER_COUNT + 1))
    name=register$REGISTER_COUNT-$user-q$q
    run_sipp "$name" 40 -sf "$SCEN_DIR/register_q.xml" "$PROXY_HOSTPORT" -s "$user" \
        -key domain localhost -key expires 3600 -key contact "$contact" -key q "$q" -m 1 \
        -timeout 30s -trace_msg -message_file "$WORK/$name.msg.log" || rc=$?
    check_calls "$name" "$rc" 1
}

# trace_messages FILE DIR FIRST_LINE_ERE [LINE_ERE]: the messages of a sipp message trace
# (-trace_msg -message_file FILE) that sipp DIR ("received" or "sent", retransmissions included)
# whose first line matches FIRST_LINE_ERE and, if given, one of whose lines matches LINE_ERE; each
# printed without CRs and followed by a line "--".
trace_messages() {
    [[ -s $1 ]] || return 0
    tr -d '\r' <"$1" | awk -v dir="$2" -v first="$3" -v line="${4:-}" '
        function flush() { if (n && (line == "" || hit)) printf "%s--\n", text; n = 0; text = ""; hit = 0 }
        /^-----------------------------------------------( |$)/ { flush(); state = 1; next }
        state == 1 { d = / message received / ? "received" : / message sent / ? "sent" : ""; state = 2; next }
        state == 2 && $0 == "" { state = 3; next }
        state == 3 { state = (d == dir && $0 ~ first) ? 4 : 0; if (state == 4) n = 1 }
        state == 4 { text = text $0 "\n"; if (line != "" && $0 ~ line) hit = 1 }
        END { flush() }'
}

# trace_count FILE DIR FIRST_LINE_ERE [LINE_ERE]: how many messages trace_messages prints.
trace_count() {
    trace_messages "$@" | grep -c '^--$' || true
}

# trace_distinct FILE DIR FIRST_LINE_ERE [LINE_ERE]: how many different texts among them (a
# retransmission repeats its message exactly).
trace_distinct() {
    trace_messages "$@" | awk '/^--$/ { print m; m = ""; next } { m = m $0 "|" }' | sort -u | grep -c . || true
}

# trace_vias FILE DIR FIRST_LINE_ERE: the Via header fields of each such message, one line per
# message, the fields separated by " | " (sipp writes Via headers one per line).
trace_vias() {
    trace_messages "$@" | awk '/^--$/ { print v; v = ""; next }
        /^(Via|v)[ \t]*:/ { sub(/^(Via|v)[ \t]*:[ \t]*/, ""); v = v == "" ? $0 : v " | " $0 }'
}

# start_100rel_uas PORT CALLS: registers sip:rel@localhost with Contact LOOPBACK:PORT, then starts
# the sipp UAS of uas_100rel.xml there (rel-uas, its trace in rel-uas.msg.log) for CALLS calls.
# Sets SIPP_PID.
start_100rel_uas() {
    register_user rel "$1" 3600
    start_sipp rel-uas "$1" -sf "$SCEN_DIR/uas_100rel.xml" -m "$2" -timeout 60s \
        -trace_msg -message_file "$WORK/rel-uas.msg.log"
}

# run_100rel_calls TARGET CALLS RATE UAS_PID: the sipp UAC of uac_100rel.xml (rel-uac, its trace
# in rel-uac.msg.log) places CALLS calls to sip:rel@TARGET, RATE a second; both it and the UAS
# (UAS_PID, start_100rel_uas) must complete every call.
run_100rel_calls() {
    local target=$1 calls=$2 rate=$3 uas_pid=$4 rc=0
    run_sipp rel-uac 90 -sf "$SCEN_DIR/uac_100rel.xml" "$target" -s rel -key max_forwards 70 \
        -m "$calls" -r "$rate" -l $((2 * rate)) -timeout 60s \
        -trace_msg -message_file "$WORK/rel-uac.msg.log" || rc=$?
    check_calls rel-uac "$rc" "$calls"
    rc=0
    wait_pid "$uas_pid" 15 || rc=$?
    check_calls rel-uas "$rc" "$calls"
}

# check_routed_dialogs LOG CALLS: the UAS of uas_100rel.xml, whose message trace is LOG,
# received each call's INVITE and re-INVITE, PRACK and BYE (CALLS of each), and every one of them
# through the proxy: its Via over the UAC's. (sed reads to the end where head would leave the
# writer a SIGPIPE, which pipefail makes fatal.)
check_routed_dialogs() {
    local log=$1 calls=$2 n method bad
    n=$(trace_count "$log" received '^INVITE ')
    [[ $n -ge $((2 * calls)) ]] ||
        fail "the UAS received $n INVITEs (want $((2 * calls)): each call's and its re-INVITE) ($(basename "$log"))"
    for method in PRACK BYE; do
        n=$(trace_count "$log" received "^$method ")
        [[ $n -ge $calls ]] || fail "the UAS received $n ${method}s (want $calls) ($(basename "$log"))"
    done
    for method in PRACK INVITE BYE; do
        bad=$(trace_vias "$log" received "^$method " | awk -F' [|] ' 'NF != 2' | sed -n 1p)
        [[ -z $bad ]] ||
            fail "a $method reached the UAS with Via '$bad' (want 2 fields: the proxy's over the UAC's) ($(basename "$log"))"
    done
}

# check_one_via NAME: every response in NAME.msg.log (a UAC's trace) has exactly one Via, the
# UAC's own; the proxy removed its own and left the caller's (a response that lost it, or kept
# the proxy's, fails).
check_one_via() {
    local bad n
    bad=$(trace_vias "$WORK/$1.msg.log" received '^SIP/2.0 ' | grep -v -e '^SIP/2.0/UDP [^|]*$' || true)
    [[ -z $bad ]] || fail "$1: responses without exactly one Via (theirs: '$(head -n 1 <<<"$bad")') ($1.msg.log)"
    n=$(trace_messages "$WORK/$1.msg.log" received '^SIP/2.0 ' | awk '/^--$/ { if (!v) bad++; v = 0; next } /^(Via|v)[ \t]*:/ { v = 1 } END { print bad + 0 }')
    [[ $n == 0 ]] || fail "$1: $n responses without a Via ($1.msg.log)"
}

# dump FILE: the end of a log (2 KB at most: sipp's error log has no line breaks between
# events), on stderr, to explain a failure.
dump() {
    [[ -s $1 ]] || return 0
    echo "----- ${1#"$WORK"/} (end)" >&2
    tail -c 2000 "$1" >&2
    echo >&2
}
