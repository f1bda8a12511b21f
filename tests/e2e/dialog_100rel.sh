#!/usr/bin/env bash
# Calls as desk phones place them, the dialog routed through the proxy: a reliable provisional
# response (RFC 3262: 183 with Require: 100rel and RSeq, then the PRACK that acknowledges it),
# and a re-INVITE that puts the call on hold, all in-dialog requests sent to the UAS's Contact
# with the proxy's Record-Route as their Route (RFC 3261 12.2, 16.4 loose routing).
#
# A sipp UAS (uas_100rel.xml) registers as sip:rel@localhost and answers each call: 183
# reliable, 200, the PRACK's 200 (its RAck must name the 183), the re-INVITE's 200 (the offer
# must be on hold: a=sendonly), the BYE's 200, copying the Record-Route. The sipp UAC
# (uac_100rel.xml) places the calls through the proxy. Passes when both complete every call
# (each scenario fails a call on anything unexpected, a missing RSeq or RAck included), the
# proxy recorded its route (the UAS saw Record-Route on the INVITE) and every PRACK, re-INVITE
# and BYE came to the UAS through the proxy with the UAC's Via under the proxy's.
#
# usage: tests/e2e/dialog_100rel.sh BUILD_DIR    (E2E_CALLS: default 50 calls, at 25/s)
# shellcheck source=tests/e2e/lib.sh source-path=SCRIPTDIR/../..
source "$(dirname "$0")/lib.sh"
e2e_init "$@"
direct_mode && skip "needs the proxy (its Record-Route makes the route set)"

calls=${E2E_CALLS:-50}
start_proxy
uas_port=""
free_udp_port uas_port
start_100rel_uas "$uas_port" "$calls"
run_100rel_calls "$PROXY_HOSTPORT" "$calls" 25 "$SIPP_PID"

uas_log=$WORK/rel-uas.msg.log
check_routed_dialogs "$uas_log" "$calls"
grep -qi '^Record-Route: <sip:' "$uas_log" ||
    fail "no Record-Route reached the UAS: the dialog would not be routed through the proxy (rel-uas.msg.log)"
proxy_alive || fail "the proxy died during the test"
stop_proxy
pass "$calls calls with a reliable 183, PRACK, a re-INVITE on hold and BYE through the proxy's route"
