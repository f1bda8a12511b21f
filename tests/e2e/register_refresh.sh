#!/usr/bin/env bash
# Registration lifecycle through the registrar: register, refresh, call, unregister, call again.
#
#  1. REGISTER sip:uas@localhost (Expires 3600), then the same binding again (a refresh): 200 both.
#  2. One call to sip:uas@PROXY reaches the UAS at the registered Contact (the binding works).
#  3. REGISTER with Expires: 0 for the same Contact: 200, and the binding is gone.
#  4. INVITE sip:uas@PROXY: the proxy answers 404 or 480 itself (scenario invite_unreachable.xml:
#     any other final response, e.g. a 200 from a leftover binding, fails the run).
#  5. REGISTER sip:brief@localhost for 1 s, not refreshed. Once it has lapsed, the status line
#     counts no binding and no AOR: the removed and the expired AOR both left the location
#     service (a small table, expected_aors = 1024, is swept in under half a second).
#
# usage: tests/e2e/register_refresh.sh BUILD_DIR
# shellcheck source=tests/e2e/lib.sh source-path=SCRIPTDIR/../..
source "$(dirname "$0")/lib.sh"
e2e_init "$@"
direct_mode && skip "needs the proxy (registrar)"

E2E_EXTRA_CONFIG='[registrar]
min_expires = 1
expected_aors = 1024'
start_proxy
uas_port=""
free_udp_port uas_port

register_user uas "$uas_port" 3600
register_user uas "$uas_port" 3600

start_sipp uas "$uas_port" -sf "$SCEN_DIR/uas.xml" -m 1 -timeout 30s
uas_pid=$SIPP_PID
rc=0
run_sipp call 40 -sf "$SCEN_DIR/uac.xml" "$PROXY_HOSTPORT" -s uas -key max_forwards 70 \
    -m 1 -timeout 30s || rc=$?
check_calls call "$rc" 1
# The UAS ends after its one call; the unregistration below is sent from its port (the Contact).
rc=0
wait_pid "$uas_pid" 10 || rc=$?
check_calls uas "$rc" 1

register_user uas "$uas_port" 0

rc=0
run_sipp unreachable 40 -sf "$SCEN_DIR/invite_unreachable.xml" "$PROXY_HOSTPORT" -s uas \
    -m 1 -timeout 30s -trace_msg -message_file "$WORK/unreachable.msg.log" || rc=$?
check_calls unreachable "$rc" 1

brief_port=""
free_udp_port brief_port
register_user brief "$brief_port" 1
status=""
for ((i = 0; i < 30; i++)); do  # lapsed after 1 s, swept within the next half second
    sleep 0.2
    status=$(proxy_status)
    [[ $status == *" aors 0 bindings 0 "* ]] && break
done
[[ $status == *" aors 0 bindings 0 "* ]] ||
    { dump "$WORK/sipwire.out"; fail "a removed and an expired AOR are still counted: $status"; }

stop_proxy
pass "register, refresh, call, Expires 0, then INVITE answered $(grep -ao 'SIP/2.0 4[0-9][0-9]' "$WORK/unreachable.msg.log" | head -n 1); a lapsed registration left the table"
