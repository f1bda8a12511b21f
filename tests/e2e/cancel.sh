#!/usr/bin/env bash
# CANCEL while ringing, through the transaction-stateful proxy (RFC 3261 9.2, 16.10, 17.1.1.3).
#
# The proxy runs with mode = "stateful", whatever E2E_MODE says. A sipp UAS registers as
# sip:uas@localhost and answers INVITE with 180 (scenario uas_cancel.xml); the UAC
# (uac_cancel.xml) sends INVITE sip:uas@PROXY, waits for the 180, then CANCELs.
# What each side must see:
#  - the UAC: 200 for its CANCEL, then 487 for its INVITE, which it ACKs (the scenario checks
#    the CSeq of each response; anything else fails the call); one 200 for the CANCEL only (the
#    UAS's 200 for the proxy's CANCEL ends at the proxy) and one 487;
#  - the UAS: the INVITE, then a CANCEL sent by the proxy itself, hop by hop: its only Via is
#    the proxy's, the same as the INVITE's top Via (same branch, RFC 3261 9.1); it answers 200,
#    then 487; then the ACK for its 487, also from the proxy alone (one Via, the INVITE's top
#    Via): the UAC's ACK ends at the proxy;
#  - both scenarios complete (1 successful call each), and the proxy stops cleanly.
# With SIPWIRE_E2E_DIRECT=1 the UAC cancels a call to the UAS directly (scenarios only).
#
# usage: tests/e2e/cancel.sh BUILD_DIR
# shellcheck source=tests/e2e/lib.sh source-path=SCRIPTDIR/../..
source "$(dirname "$0")/lib.sh"
e2e_init "$@"

uas_port=""
free_udp_port uas_port
if direct_mode; then
    target=$LOOPBACK:$uas_port
else
    E2E_MODE=stateful start_proxy
    register_user uas "$uas_port" 3600
    target=$PROXY_HOSTPORT
fi

start_sipp uas "$uas_port" -sf "$SCEN_DIR/uas_cancel.xml" -m 1 -timeout 30s \
    -trace_msg -message_file "$WORK/uas.msg.log"
uas_pid=$SIPP_PID
rc=0
run_sipp uac 40 -sf "$SCEN_DIR/uac_cancel.xml" "$target" -s uas -m 1 -timeout 30s \
    -trace_msg -message_file "$WORK/uac.msg.log" || rc=$?
check_calls uac "$rc" 1
rc=0
wait_pid "$uas_pid" 10 || rc=$?
check_calls uas "$rc" 1

direct_mode && pass "INVITE, 180, CANCEL, 200, 487, ACK directly between the sipp UAC and UAS"

check_one_via uac
uac_log=$WORK/uac.msg.log
uas_log=$WORK/uas.msg.log
n=$(trace_distinct "$uac_log" received '^SIP/2.0 200 ' '^CSeq: *1 CANCEL')
[[ $n == 1 ]] || fail "the UAC got $n different 200 responses for its CANCEL (want 1, the proxy's) (uac.msg.log)"
n=$(trace_distinct "$uac_log" received '^SIP/2.0 487 ')
[[ $n == 1 ]] || fail "the UAC got $n different 487 responses (want 1) (uac.msg.log)"

invite_top=$(trace_vias "$uas_log" received '^INVITE ' | head -n 1)
invite_top=${invite_top%% | *}
[[ $invite_top == "SIP/2.0/UDP $PROXY_HOSTPORT;"* ]] ||
    fail "the INVITE at the UAS does not come from the proxy: top Via '$invite_top' (uas.msg.log)"
# Every CANCEL and ACK the UAS received (retransmissions included) has one Via, the INVITE's top.
for method in CANCEL ACK; do
    n=$(trace_count "$uas_log" received "^$method ")
    ((n >= 1)) || fail "the UAS received no $method (uas.msg.log)"
    others=$(trace_vias "$uas_log" received "^$method " | grep -vxF -- "$invite_top" || true)
    [[ -z $others ]] ||
        fail "a $method at the UAS is not the proxy's own (hop by hop, Via '$invite_top'): Via '$others' (uas.msg.log)"
done

proxy_alive || fail "the proxy died during the test"
stop_proxy
pass "INVITE, 180, CANCEL: the UAC got 200 (CANCEL) and 487, and ACKed; the UAS got the proxy's CANCEL and its ACK for the 487"
