#!/usr/bin/env bash
# Parallel forking and best-response selection through the transaction-stateful proxy
# (RFC 3261 16.6, 16.7).
#
# The proxy runs with mode = "stateful", whatever E2E_MODE says. Two sipp UAS register the same
# AOR, sip:uas@localhost, each with its own address as Contact and no q-value (equal q, so the
# proxy forks to both at once): "busy" answers 486 at once (uas_busy.xml); "ok" rings and answers
# 200 300 ms later (uas_slow.xml), so the 486 normally reaches the proxy first and has to be held
# back. The UAC (uac_dialog.xml) calls sip:uas@PROXY; its ACK and BYE follow the dialog: to the
# Contact of the 200, through the proxy's Record-Route.
# What each side must see:
#  - the UAC: the 200, never the 486 (a 486 is an unexpected message for uac_dialog.xml, and
#    none may be in its trace); it ACKs and hangs up (one successful call);
#  - busy: one INVITE, and the ACK for its 486 from the proxy itself (one Via: the INVITE's top,
#    the proxy's, hop by hop), since the UAC never saw that 486;
#  - ok: one INVITE, then ACK and BYE from the UAC (one successful call);
#  - the proxy stops cleanly.
# Equal q-values say nothing about the order; the test does not assert one (fork_cancel.sh
# shows that branches are pending together).
#
# usage: tests/e2e/fork_parallel.sh BUILD_DIR
# shellcheck source=tests/e2e/lib.sh source-path=SCRIPTDIR/../..
source "$(dirname "$0")/lib.sh"
e2e_init "$@"
direct_mode && skip "needs the proxy (it forks)"

E2E_MODE=stateful start_proxy
busy_port="" ok_port=""
free_udp_port busy_port
free_udp_port ok_port
register_user uas "$busy_port" 3600
register_user uas "$ok_port" 3600

start_sipp busy "$busy_port" -sf "$SCEN_DIR/uas_busy.xml" -m 1 -timeout 30s \
    -trace_msg -message_file "$WORK/busy.msg.log"
declare -A uas_pid
uas_pid[busy]=$SIPP_PID
start_sipp ok "$ok_port" -sf "$SCEN_DIR/uas_slow.xml" -m 1 -timeout 30s \
    -trace_msg -message_file "$WORK/ok.msg.log"
uas_pid[ok]=$SIPP_PID
rc=0
run_sipp uac 40 -sf "$SCEN_DIR/uac_dialog.xml" "$PROXY_HOSTPORT" -s uas \
    -key max_forwards 70 \
    -m 1 -timeout 30s -trace_msg -message_file "$WORK/uac.msg.log" || rc=$?
check_calls uac "$rc" 1
for name in busy ok; do
    rc=0
    wait_pid "${uas_pid[$name]}" 10 || rc=$?
    check_calls "$name" "$rc" 1
    n=$(trace_distinct "$WORK/$name.msg.log" received '^INVITE ')
    [[ $n == 1 ]] || fail "$name received $n different INVITEs (want 1) ($name.msg.log)"
done

check_one_via uac
n=$(trace_count "$WORK/uac.msg.log" received '^SIP/2.0 486 ')
[[ $n == 0 ]] || fail "the UAC got the 486 although another branch answered 200 (uac.msg.log)"
n=$(trace_distinct "$WORK/uac.msg.log" received '^SIP/2.0 200 ' '^CSeq: *1 INVITE')
[[ $n == 1 ]] || fail "the UAC got $n different 200 responses to its INVITE (want 1) (uac.msg.log)"
top=$(trace_vias "$WORK/busy.msg.log" received '^INVITE ' | head -n 1)
top=${top%% | *}
acks=$(trace_vias "$WORK/busy.msg.log" received '^ACK ' | sort -u)
[[ $acks == "$top" && $top == "SIP/2.0/UDP $PROXY_HOSTPORT;"* ]] ||
    fail "the ACK for the 486 is not the proxy's own: Via '$acks', the INVITE's top Via '$top' (busy.msg.log)"

proxy_alive || fail "the proxy died during the test"
stop_proxy
pass "forked to two contacts: 486 held back and ACKed by the proxy, the 200 reached the UAC"
