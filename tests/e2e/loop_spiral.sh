#!/usr/bin/env bash
# Loop detection and spirals (RFC 3261 16.3 step 4), built from registrations alone.
#
#  Loop: user `loop` is registered with Contact sip:loop@PROXY (the proxy itself). An INVITE
#    to sip:loop@PROXY is forwarded to the proxy with the same Request-URI; on its second
#    arrival its loop hash equals the one in the proxy's own Via, so the proxy answers 482, and
#    relays that 482 (sent to its own Via) back to the caller (scenario invite_loop.xml).
#  Spiral: user `fwd` is registered with Contact sip:uas@PROXY and `uas` at a sipp UAS. An
#    INVITE to sip:fwd@PROXY comes back to the proxy with a new Request-URI (sip:uas@PROXY), so
#    it is a spiral, not a loop, and goes on to the UAS. SPIRAL_CALLS complete calls
#    (INVITE/200/ACK/BYE/200, every message through the proxy twice) must succeed at the UAC
#    and the UAS, whose INVITEs must carry two Vias of the proxy. They run after the loop
#    case, so they also show the proxy still works.
#  Finally the proxy still runs and stops cleanly on SIGTERM.
#
# Loop detection does not depend on the mode; in redirect mode the proxy would answer 302
# instead of forwarding (redirect.sh tests that), so E2E_MODE=redirect skips this test.
#
# usage: tests/e2e/loop_spiral.sh BUILD_DIR
# shellcheck source=tests/e2e/lib.sh source-path=SCRIPTDIR/../..
source "$(dirname "$0")/lib.sh"
e2e_init "$@"
direct_mode && skip "needs the proxy (loop detection)"
[[ ${E2E_MODE:-stateless} == redirect ]] && skip "a redirect server forwards nothing: no loop to detect"

SPIRAL_CALLS=10

# register_contact USER CONTACT: REGISTER sip:USER@localhost with Contact CONTACT (any URI; the
# sender's port does not matter), Expires 3600; must get 200.
register_contact() {
    local user=$1 contact=$2 rc=0
    run_sipp "register-$user" 40 -sf "$SCEN_DIR/register_contact.xml" "$PROXY_HOSTPORT" \
        -s "$user" -key domain localhost -key expires 3600 -key contact "$contact" -m 1 \
        -timeout 30s -trace_msg -message_file "$WORK/register-$user.msg.log" || rc=$?
    check_calls "register-$user" "$rc" 1
}

start_proxy
proxy=$PROXY_HOSTPORT

# The loop. The binding's text equals the INVITE's Request-URI (uac scenarios write
# sip:USER@IP:PORT), so the rewritten Request-URI hashes the same.
register_contact loop "sip:loop@$proxy"
rc=0
run_sipp loop 40 -sf "$SCEN_DIR/invite_loop.xml" "$proxy" -s loop -m 1 -timeout 30s \
    -trace_msg -message_file "$WORK/loop.msg.log" || rc=$?
check_calls loop "$rc" 1

# The spiral.
uas_port=""
free_udp_port uas_port
register_user uas "$uas_port" 3600
register_contact fwd "sip:uas@$proxy"
start_sipp uas "$uas_port" -sf "$SCEN_DIR/uas.xml" -m "$SPIRAL_CALLS" -timeout 30s \
    -trace_msg -message_file "$WORK/uas.msg.log"
uas_pid=$SIPP_PID
rc=0
run_sipp spiral 40 -sf "$SCEN_DIR/uac.xml" "$proxy" -s fwd -key max_forwards 70 \
    -m "$SPIRAL_CALLS" -r 10 -timeout 30s || rc=$?
check_calls spiral "$rc" "$SPIRAL_CALLS"
rc=0
wait_pid "$uas_pid" 10 || rc=$?
check_calls uas "$rc" "$SPIRAL_CALLS"
# A spiral, not a shortcut: each INVITE the UAS received carries two Vias of the proxy, one per
# pass (a retransmitted INVITE is counted again, hence "at least").
spiralled=$(tr -d '\r' <"$WORK/uas.msg.log" | awk -v via="Via: SIP/2.0/UDP $proxy;" '
    /^INVITE / { inv = 1; n = 0; next }
    inv && index($0, via) == 1 { n++ }
    inv && /^From:/ { if (n == 2) ok++; else bad++; inv = 0 }
    END { print ok + 0, bad + 0 }')
read -r ok bad <<<"$spiralled"
((ok >= SPIRAL_CALLS && bad == 0)) ||
    fail "INVITEs at the UAS with two proxy Vias: $ok (want $SPIRAL_CALLS), other: $bad (uas.msg.log)"

proxy_alive || fail "the proxy died during the test"
stop_proxy
pass "INVITE around a loop answered 482; $SPIRAL_CALLS calls spiralling through sip:fwd@$proxy reached the UAS"
