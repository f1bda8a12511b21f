#!/usr/bin/env bash
# Flood protection: one source at 10x its rate limit gets 503s with Retry-After, while calls
# from another source keep succeeding.
#
# The proxy (stateful) allows 20 requests/s per source address with a burst of 40 ([flood]).
# A flooder on 127.0.0.2 (10.99.0.3 over DPDK; flood_source.py) sends 400 OPTIONS at 200/s
# (10x the rate) for 2 s; meanwhile a UAS registers and a sipp UAC on 127.0.0.1 (10.99.0.1)
# makes 10 calls at 5/s through the proxy (~15 requests/s, under its own limit). What must be
# seen:
#  - the flooder: at least 70% of its requests answered 503 with Retry-After, and no more
#    answered 200 than the burst plus the rate over the run (40 + 20/s x 3 s, with slack);
#  - the UAC: all 10 calls successful;
#  - the proxy alive, and stopping cleanly.
#
# usage: tests/e2e/flood.sh BUILD_DIR
# shellcheck source=tests/e2e/lib.sh source-path=SCRIPTDIR/../..
source "$(dirname "$0")/lib.sh"
e2e_init "$@"
direct_mode && skip "needs the proxy (it limits the rate)"
command -v python3 >/dev/null || skip "python3 is missing"

E2E_EXTRA_CONFIG='[flood]
requests_per_second = 20
burst = 40
action = "reject"'
E2E_MODE=stateful start_proxy

uas_port=""
free_udp_port uas_port
register_user uas "$uas_port" 3600
start_sipp uas "$uas_port" -sf "$SCEN_DIR/uas.xml" -m 10 -timeout 60s
uas_pid=$SIPP_PID

flooder_ip=127.0.0.2
dpdk_backend && flooder_ip=$NETNS_PEER_IP2
"${PEER_EXEC[@]}" python3 "$E2E_DIR/flood_source.py" "$PROXY_IP" "$PROXY_PORT" "$flooder_ip" 400 200 \
    >"$WORK/flood.out" 2>"$WORK/flood.err" &
flood_pid=$!
E2E_PIDS+=("$flood_pid")

rc=0
run_sipp uac 60 -sf "$SCEN_DIR/uac.xml" "$PROXY_HOSTPORT" -s uas -key max_forwards 70 \
    -m 10 -r 5 -timeout 50s || rc=$?
check_calls uac "$rc" 10
rc=0; wait_pid "$uas_pid" 10 || rc=$?
check_calls uas "$rc" 10

rc=0; wait_pid "$flood_pid" 30 || rc=$?
((rc == 0)) || { dump "$WORK/flood.err"; fail "the flooder failed (status $rc)"; }
read -r answered ok limited < <(sed -n 's/^answered=\([0-9]*\) ok=\([0-9]*\) limited=\([0-9]*\)$/\1 \2 \3/p' "$WORK/flood.out")
[[ -n ${limited:-} ]] || { dump "$WORK/flood.out"; fail "no result from the flooder"; }
log "flooder: $answered answered, $ok 200, $limited 503 with Retry-After (of 400 sent)"
((limited >= 280)) || fail "only $limited of 400 flood requests were limited (want at least 70%)"
((ok <= 110)) || fail "$ok flood requests were served (want at most burst 40 + 20/s over the run)"
proxy_alive || fail "the proxy died under the flood"
stop_proxy
pass "a source at 10x its limit: $limited of 400 answered 503 with Retry-After, $ok served; 10 calls from another source all succeeded"
