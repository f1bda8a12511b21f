#!/usr/bin/env bash
# Redirect mode (RFC 3261 8.3): the proxy answers an INVITE for a registered user with 302 and
# the registered contact, and does not forward it.
#
#  1. The proxy starts with mode = "redirect" (whatever E2E_MODE says: this test is about that
#     mode). REGISTER sip:uas@localhost, Contact sip:uas@LOOPBACK:UAS_PORT (the peers' address): 200.
#  2. INVITE sip:uas@PROXY: 302 whose Contact is exactly <sip:uas@LOOPBACK:UAS_PORT>
#     (scenario invite_redirect.xml checks it with ereg + strcmp, check_it), then ACK. Nothing
#     listens on UAS_PORT: were the INVITE forwarded instead, no 302 would come and the call
#     would fail at -timeout.
#  3. INVITE sip:nobody@PROXY (never registered): 404 (invite_unreachable.xml).
#  4. The proxy is still running, stops cleanly on SIGTERM, and forwarded no request at all
#     (its final status line): the ACK for the 302 is absorbed.
#
# usage: tests/e2e/redirect.sh BUILD_DIR
# shellcheck source=tests/e2e/lib.sh source-path=SCRIPTDIR/../..
source "$(dirname "$0")/lib.sh"
e2e_init "$@"
direct_mode && skip "needs the proxy (redirect server)"

E2E_MODE=redirect start_proxy
uas_port=""
free_udp_port uas_port
# Sent from UAS_PORT, so the binding is sip:uas@LOOPBACK:UAS_PORT; no UAS is started there.
register_user uas "$uas_port" 3600

rc=0
run_sipp redirect 40 -sf "$SCEN_DIR/invite_redirect.xml" "$PROXY_HOSTPORT" -s uas \
    -key contact "sip:uas@$LOOPBACK:$uas_port" -m 1 -timeout 30s \
    -trace_msg -message_file "$WORK/redirect.msg.log" || rc=$?
check_calls redirect "$rc" 1

rc=0
run_sipp unregistered 40 -sf "$SCEN_DIR/invite_unreachable.xml" "$PROXY_HOSTPORT" -s nobody \
    -m 1 -timeout 30s -trace_msg -message_file "$WORK/unregistered.msg.log" || rc=$?
check_calls unregistered "$rc" 1
# invite_unreachable.xml accepts 480 too; an AOR that was never registered must get 404.
grep -aq '^SIP/2.0 404' "$WORK/unregistered.msg.log" || fail "unregistered user: no 404 in unregistered.msg.log"

stop_proxy
# The final status line (printed on exit) counts forwarded messages: in redirect mode neither the
# INVITEs nor the ACKs (the 302's is absorbed, the 404's dropped) go anywhere.
grep -q '^status: .* forwarded 0 ' "$WORK/sipwire.out" ||
    fail "the proxy forwarded requests in redirect mode: $(grep '^status:' "$WORK/sipwire.out" | tail -n 1)"
pass "INVITE to sip:uas@$PROXY_HOSTPORT answered 302 with Contact <sip:uas@$LOOPBACK:$uas_port>; unregistered user 404"
