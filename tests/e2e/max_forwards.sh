#!/usr/bin/env bash
# Max-Forwards through the proxy (RFC 3261 16.3 step 3, 16.6 step 3).
#
# The user "uas" is registered and a UAS answers at its Contact, so anything the proxy forwards
# would be answered:
#  1. INVITE sip:uas@PROXY with Max-Forwards: 0 gets 483 from the proxy (invite_mf0.xml; a
#     response from the UAS would be unexpected and fail the run).
#  2. The same call with Max-Forwards: 1 is forwarded (with Max-Forwards 0) and succeeds: the
#     boundary is exact and the 483 above was not a routing failure.
#  3. OPTIONS with Max-Forwards: 0, to the proxy's address and to sip:uas@PROXY, get 200 from
#     the proxy (options_mf0.xml): a request it answers itself is no hop, and one it would
#     forward is answered as its final recipient would (16.3 step 3), not passed to the UAS.
#
# usage: tests/e2e/max_forwards.sh BUILD_DIR
# shellcheck source=tests/e2e/lib.sh source-path=SCRIPTDIR/../..
source "$(dirname "$0")/lib.sh"
e2e_init "$@"
direct_mode && skip "needs the proxy"

start_proxy
uas_port=""
free_udp_port uas_port
register_user uas "$uas_port" 3600
start_sipp uas "$uas_port" -sf "$SCEN_DIR/uas.xml" -m 1 -timeout 30s
uas_pid=$SIPP_PID

rc=0
run_sipp mf0 40 -sf "$SCEN_DIR/invite_mf0.xml" "$PROXY_HOSTPORT" -s uas \
    -m 1 -timeout 30s || rc=$?
check_calls mf0 "$rc" 1

rc=0
run_sipp mf1 40 -sf "$SCEN_DIR/uac.xml" "$PROXY_HOSTPORT" -s uas -key max_forwards 1 \
    -m 1 -timeout 30s || rc=$?
check_calls mf1 "$rc" 1

rc=0
run_sipp options_mf0 40 -sf "$SCEN_DIR/options_mf0.xml" "$PROXY_HOSTPORT" -s uas \
    -m 1 -timeout 30s || rc=$?
check_calls options_mf0 "$rc" 1

# The UAS answered exactly that one call: the Max-Forwards 0 INVITE and OPTIONS never reached
# it.
rc=0
wait_pid "$uas_pid" 10 || rc=$?
check_calls uas "$rc" 1

stop_proxy
pass "Max-Forwards 0 answered 483 by the proxy; Max-Forwards 1 forwarded and answered; OPTIONS with Max-Forwards 0 answered 200 by the proxy"
