#!/usr/bin/env bash
# Sequential forking by q-value through the transaction-stateful proxy (RFC 3261 16.6, 16.7).
#
# The proxy runs with mode = "stateful", whatever E2E_MODE says. sip:seq@localhost is registered
# with two contacts, first sip:first@127.0.0.1:P with q=1.0, then sip:second@127.0.0.1:P with
# q=0.5 (the later registration, so that neither registration order nor recency can pass for
# q order). Both name one sipp UAS on port P (uas_sequential.xml), which sees both INVITEs of
# the call in the order they arrive. The UAC (uac_dialog.xml) calls sip:seq@PROXY; its ACK and
# BYE follow the dialog: to the Contact of the 200, through the proxy's Record-Route.
# What each side must see:
#  - the UAS: INVITE sip:first@ first; it rings, then answers 486 300 ms later; only then
#    INVITE sip:second@ (arriving any earlier, e.g. during those 300 ms as a parallel fork
#    would send it, it fails the scenario), which it answers 180, 200; the proxy's own ACK
#    for the 486 (one Via, hop by hop); then the UAC's ACK and BYE;
#  - the UAC: the 200 and no 486; it ACKs and hangs up (one successful call);
#  - the proxy stops cleanly.
#
# usage: tests/e2e/fork_sequential.sh BUILD_DIR
# shellcheck source=tests/e2e/lib.sh source-path=SCRIPTDIR/../..
source "$(dirname "$0")/lib.sh"
e2e_init "$@"
direct_mode && skip "needs the proxy (it forks)"

E2E_MODE=stateful start_proxy
uas_port=""
free_udp_port uas_port
register_binding seq "sip:first@$LOOPBACK:$uas_port" 1.0
register_binding seq "sip:second@$LOOPBACK:$uas_port" 0.5

start_sipp uas "$uas_port" -sf "$SCEN_DIR/uas_sequential.xml" -m 1 -timeout 30s \
    -trace_msg -message_file "$WORK/uas.msg.log"
uas_pid=$SIPP_PID
rc=0
run_sipp uac 40 -sf "$SCEN_DIR/uac_dialog.xml" "$PROXY_HOSTPORT" -s seq \
    -key max_forwards 70 \
    -m 1 -timeout 30s -trace_msg -message_file "$WORK/uac.msg.log" || rc=$?
check_calls uac "$rc" 1
rc=0
wait_pid "$uas_pid" 10 || rc=$?
check_calls uas "$rc" 1

check_one_via uac
n=$(trace_count "$WORK/uac.msg.log" received '^SIP/2.0 486 ')
[[ $n == 0 ]] || fail "the UAC got the 486 of the first contact (uac.msg.log)"
# The UAS's own order of events (the scenario enforces it; shown here as a user reads it).
order=$(trace_messages "$WORK/uas.msg.log" received '^INVITE ' | grep -o '^INVITE sip:[a-z]*@' | tr '\n' ' ')
[[ $order == "INVITE sip:first@ INVITE sip:second@ " ]] ||
    fail "INVITEs at the UAS in this order: $order(want sip:first@, then sip:second@) (uas.msg.log)"
# The ACK for the 486 (To tag ...SIPpTag01..., the 486's) is the proxy's: its Via only, the top
# Via of the first INVITE.
first_top=$(trace_vias "$WORK/uas.msg.log" received '^INVITE sip:first@' | head -n 1)
first_top=${first_top%% | *}
acks=$(trace_vias "$WORK/uas.msg.log" received '^ACK ' '^To:.*;tag=[0-9]*SIPpTag01' | sort -u)
[[ $acks == "$first_top" && $first_top == "SIP/2.0/UDP $PROXY_HOSTPORT;"* ]] ||
    fail "the ACK for the 486 is not the proxy's own: Via '$acks', the INVITE's top Via '$first_top' (uas.msg.log)"

proxy_alive || fail "the proxy died during the test"
stop_proxy
pass "q=1.0 contact tried first (486), then the q=0.5 contact (200); the UAC got the 200 only"
