#!/usr/bin/env bash
# A 2xx on one branch cancels the others (RFC 3261 16.7 step 10), through the transaction-
# stateful proxy; this also shows that equal-q contacts are tried in parallel.
#
# The proxy runs with mode = "stateful", whatever E2E_MODE says. Two sipp UAS register the same
# AOR, sip:both@localhost, each with its own address as Contact and no q-value: "ringing" rings
# and never answers by itself (uas_cancel.xml: it waits for a CANCEL); "ok" rings and answers
# 200 300 ms later (uas_slow.xml). The UAC (uac_dialog.xml) calls sip:both@PROXY; its ACK and
# BYE follow the dialog: to the Contact of the 200, through the proxy's Record-Route.
# What each side must see:
#  - the UAC: the 200, no 487 (uac_dialog.xml fails on any other final response); ACK, BYE;
#    one successful call;
#  - ringing: the INVITE, then a CANCEL from the proxy (one Via, the INVITE's top: the proxy's,
#    hop by hop): it answers 200 and 487, and gets the proxy's ACK for its 487 (same Via).
#    It can only get that CANCEL if its INVITE was pending when the 200 came, so the proxy forked
#    to both at once;
#  - ok: one INVITE, then ACK and BYE from the UAC; one successful call;
#  - the proxy stops cleanly.
#
# usage: tests/e2e/fork_cancel.sh BUILD_DIR
# shellcheck source=tests/e2e/lib.sh source-path=SCRIPTDIR/../..
source "$(dirname "$0")/lib.sh"
e2e_init "$@"
direct_mode && skip "needs the proxy (it forks)"

E2E_MODE=stateful start_proxy
ringing_port="" ok_port=""
free_udp_port ringing_port
free_udp_port ok_port
register_user both "$ringing_port" 3600
register_user both "$ok_port" 3600

declare -A uas_pid
start_sipp ringing "$ringing_port" -sf "$SCEN_DIR/uas_cancel.xml" -m 1 -timeout 30s \
    -trace_msg -message_file "$WORK/ringing.msg.log"
uas_pid[ringing]=$SIPP_PID
start_sipp ok "$ok_port" -sf "$SCEN_DIR/uas_slow.xml" -m 1 -timeout 30s \
    -trace_msg -message_file "$WORK/ok.msg.log"
uas_pid[ok]=$SIPP_PID
rc=0
run_sipp uac 40 -sf "$SCEN_DIR/uac_dialog.xml" "$PROXY_HOSTPORT" -s both \
    -key max_forwards 70 \
    -m 1 -timeout 30s -trace_msg -message_file "$WORK/uac.msg.log" || rc=$?
check_calls uac "$rc" 1
for name in ringing ok; do
    rc=0
    wait_pid "${uas_pid[$name]}" 10 || rc=$?
    check_calls "$name" "$rc" 1
done

check_one_via uac
n=$(trace_count "$WORK/uac.msg.log" received '^SIP/2.0 487 ')
[[ $n == 0 ]] || fail "the UAC got the cancelled branch's 487 (uac.msg.log)"
top=$(trace_vias "$WORK/ringing.msg.log" received '^INVITE ' | head -n 1)
top=${top%% | *}
[[ $top == "SIP/2.0/UDP $PROXY_HOSTPORT;"* ]] ||
    fail "the INVITE at 'ringing' does not come from the proxy: top Via '$top' (ringing.msg.log)"
for method in CANCEL ACK; do
    vias=$(trace_vias "$WORK/ringing.msg.log" received "^$method " | sort -u)
    [[ $vias == "$top" ]] ||
        fail "the $method at 'ringing' is not the proxy's own: Via '$vias', the INVITE's top Via '$top' (ringing.msg.log)"
done

proxy_alive || fail "the proxy died during the test"
stop_proxy
pass "forked to two contacts at once: the 200 reached the UAC, the ringing branch was CANCELled (200, 487, ACK by the proxy)"
