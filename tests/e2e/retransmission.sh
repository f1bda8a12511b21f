#!/usr/bin/env bash
# INVITE retransmissions through the transaction-stateful proxy (RFC 3261 17.1.1.2, 17.2.1).
#
# The proxy runs with mode = "stateful", whatever E2E_MODE says. Two calls, each to its own sipp
# UAS registered with the proxy:
#  1. The proxy retransmits (Timer A). The UAC (uac_once.xml) sends its INVITE once and never
#     again; the UAS (uas_second_copy.xml, sipp -nr) ignores the first copy it receives and
#     answers only the next one, late: 180, 200. The call completes only if the proxy's client
#     transaction retransmits the INVITE on its own (T1 = 500 ms) and relays the late 200.
#     Checks: the UAC got a 100 Trying and the 200, and ACKed it (the scenario requires each;
#     one successful call), having sent one INVITE; the UAS received the INVITE twice, both
#     copies identical (a retransmission of one client transaction, same branch).
#  2. The proxy absorbs a retransmission. The UAC (dup_invite_uac.py) sends its INVITE twice,
#     the same bytes (same branch), back to back, before any answer; the UAS (uas_slow.xml)
#     rings at once and answers 200 300 ms later, so the copy reaches the proxy while the
#     transaction is still pending even when the UAC is descheduled between its two sends. Checks: the UAS received one INVITE (one server transaction: the copy is not
#     forwarded again); the UAC got a 100 Trying, the 180, and one more provisional response
#     for the copy (the latest one, 100 or 180, whichever reached the proxy first: RFC 3261
#     17.2.1), then the 200, which it ACKed; one successful call at the UAS.
# Finally the proxy still runs and stops cleanly.
#
# usage: tests/e2e/retransmission.sh BUILD_DIR
# shellcheck source=tests/e2e/lib.sh source-path=SCRIPTDIR/../..
source "$(dirname "$0")/lib.sh"
e2e_init "$@"
direct_mode && skip "needs the proxy (its transactions retransmit and absorb)"
command -v python3 >/dev/null || skip "python3 not installed"

E2E_MODE=stateful start_proxy
proxy=$PROXY_HOSTPORT

# 1. The proxy retransmits; the 200 comes late.
late_port=""
free_udp_port late_port
register_user late "$late_port" 3600
start_sipp late-uas "$late_port" -sf "$SCEN_DIR/uas_second_copy.xml" -nr -m 1 -timeout 30s \
    -trace_msg -message_file "$WORK/late-uas.msg.log"
uas_pid=$SIPP_PID
rc=0
run_sipp late-uac 40 -sf "$SCEN_DIR/uac_once.xml" "$proxy" -s late -key max_forwards 70 \
    -m 1 -timeout 30s -trace_msg -message_file "$WORK/late-uac.msg.log" || rc=$?
check_calls late-uac "$rc" 1
rc=0
wait_pid "$uas_pid" 10 || rc=$?
check_calls late-uas "$rc" 1
check_one_via late-uac
n=$(trace_count "$WORK/late-uac.msg.log" sent '^INVITE ')
[[ $n == 1 ]] || fail "call 1: the UAC sent $n INVITEs (want 1) (late-uac.msg.log)"
n=$(trace_count "$WORK/late-uas.msg.log" received '^INVITE ')
d=$(trace_distinct "$WORK/late-uas.msg.log" received '^INVITE ')
[[ $n == 2 && $d == 1 ]] ||
    fail "call 1: the UAS received $n INVITEs, $d different (want 2 identical: the proxy's retransmission) (late-uas.msg.log)"
log "call 1: one INVITE sent, two identical copies at the UAS, answered late; call completed"

# 2. The proxy absorbs the UAC's copy. sipp cannot send two messages back to back (the 100
# Trying arriving between them would be unexpected), so the UAC is dup_invite_uac.py.
dup_port=""
free_udp_port dup_port
register_user dup "$dup_port" 3600
start_sipp dup-uas "$dup_port" -sf "$SCEN_DIR/uas_slow.xml" -m 1 -timeout 30s \
    -trace_msg -message_file "$WORK/dup-uas.msg.log"
uas_pid=$SIPP_PID
uac_port=""
free_udp_port uac_port
rc=0
in_peer timeout --foreground -k 5 40 python3 "$E2E_DIR/dup_invite_uac.py" "$uac_port" "$PROXY_IP" \
    "$PROXY_PORT" dup >"$WORK/dup-uac.log" 2>&1 || rc=$?
((rc == 0)) || { dump "$WORK/dup-uac.log"; fail "call 2: the UAC's call did not complete (dup_invite_uac.py status $rc)"; }
rc=0
wait_pid "$uas_pid" 10 || rc=$?
check_calls dup-uas "$rc" 1
n=$(grep -c '^sent INVITE ' "$WORK/dup-uac.log" || true)
[[ $n == 2 ]] || fail "call 2: the UAC sent $n INVITEs (want 2) (dup-uac.log)"
n=$(trace_count "$WORK/dup-uas.msg.log" received '^INVITE ')
[[ $n == 1 ]] || fail "call 2: the UAS received $n INVITEs (want 1: the copy absorbed by the proxy) (dup-uas.msg.log)"
# The proxy answers each copy with its latest provisional response: the 100 Trying, or the UAS's
# 180 when that came first (RFC 3261 17.2.1). So one more than the 100 and the 180: 3.
n=$(grep -c '^received SIP/2.0 1[0-9][0-9] .*| *1 INVITE$' "$WORK/dup-uac.log" || true)
t=$(grep -c '^received SIP/2.0 100 .*| *1 INVITE$' "$WORK/dup-uac.log" || true)
((n >= 3 && t >= 1)) ||
    fail "call 2: the UAC got $n provisional responses, $t of them 100 Trying (want a 100, the 180, and one more for the copy of its INVITE) (dup-uac.log)"
log "call 2: two identical INVITEs sent, $n provisional responses back ($t 100 Trying), one INVITE at the UAS; call completed"

proxy_alive || fail "the proxy died during the test"
stop_proxy
pass "the proxy retransmitted an unanswered INVITE (the late 200 reached the UAC) and absorbed a UAC's retransmitted INVITE (answered, not forwarded)"
