#!/usr/bin/env bash
# Destination sets through the transaction-stateful proxy: failover within a transaction, and
# calls spread by the set's algorithm.
#
# The proxy routes the domain pool.example to a [[destination]] set (a [[route]] with
# destination = "pool"); the UAC (uac_dialog_domain.xml) calls sip:svc@pool.example through it.
#  1. algorithm "priority", hops A (priority 1, a UAS that answers 503: uas_unavailable.xml) and
#     B (priority 2, uas.xml). One call: A gets the INVITE first and answers 503 (the proxy
#     ACKs it), then B gets it in the same transaction and answers 200; the UAC gets the 200 and
#     never the 503.
#  2. algorithm "round_robin", hops C and D (uas.xml each): 10 calls, each UAS answers exactly 5.
# Probing is off (probe_interval_ms = 0): sipp UASs do not answer OPTIONS outside a scenario.
#
# usage: tests/e2e/destination_set.sh BUILD_DIR
# shellcheck source=tests/e2e/lib.sh source-path=SCRIPTDIR/../..
source "$(dirname "$0")/lib.sh"
e2e_init "$@"
direct_mode && skip "needs the proxy (it routes to a destination set)"

# set_config ALGORITHM PORT_1 PRIORITY_1 PORT_2 PRIORITY_2: the set and the route to it.
set_config() {
    E2E_EXTRA_CONFIG="[[destination]]
name = \"pool\"
algorithm = \"$1\"
probe_interval_ms = 0
hops = [
  { address = \"$LOOPBACK:$2\", priority = $3 },
  { address = \"$LOOPBACK:$4\", priority = $5 },
]

[[route]]
domain = \"pool.example\"
destination = \"pool\""
}

# The UAC ($LOOPBACK) may use the proxy to reach pool.example (not our domain): trusted.
E2E_TOP_CONFIG="trusted_sources = [\"$PEER_NET\"]"

# --- 1. failover on a 503 -----------------------------------------------------------------
port_a="" port_b=""
free_udp_port port_a
free_udp_port port_b
set_config priority "$port_a" 1 "$port_b" 2
E2E_MODE=stateful start_proxy
start_sipp uas_a "$port_a" -sf "$SCEN_DIR/uas_unavailable.xml" -m 1 -timeout 30s \
    -trace_msg -message_file "$WORK/uas_a.msg.log"
pid_a=$SIPP_PID
start_sipp uas_b "$port_b" -sf "$SCEN_DIR/uas.xml" -m 1 -timeout 30s \
    -trace_msg -message_file "$WORK/uas_b.msg.log"
pid_b=$SIPP_PID
rc=0
run_sipp uac 40 -sf "$SCEN_DIR/uac_dialog_domain.xml" "$PROXY_HOSTPORT" -s svc \
    -key domain pool.example -key max_forwards 70 -m 1 -timeout 30s \
    -trace_msg -message_file "$WORK/uac.msg.log" || rc=$?
check_calls uac "$rc" 1
rc=0; wait_pid "$pid_a" 10 || rc=$?
check_calls uas_a "$rc" 1
rc=0; wait_pid "$pid_b" 10 || rc=$?
check_calls uas_b "$rc" 1
n=$(trace_count "$WORK/uac.msg.log" received '^SIP/2.0 503 ')
[[ $n == 0 ]] || fail "the UAC got hop A's 503 (uac.msg.log)"
check_one_via uac
proxy_alive || fail "the proxy died during the failover call"
stop_proxy

# --- 2. round robin -----------------------------------------------------------------------
port_c="" port_d=""
free_udp_port port_c
free_udp_port port_d
set_config round_robin "$port_c" 0 "$port_d" 0
E2E_MODE=stateful start_proxy
start_sipp uas_c "$port_c" -sf "$SCEN_DIR/uas.xml" -m 5 -timeout 60s
pid_c=$SIPP_PID
start_sipp uas_d "$port_d" -sf "$SCEN_DIR/uas.xml" -m 5 -timeout 60s
pid_d=$SIPP_PID
rc=0
run_sipp uac_rr 60 -sf "$SCEN_DIR/uac_dialog_domain.xml" "$PROXY_HOSTPORT" -s svc \
    -key domain pool.example -key max_forwards 70 -m 10 -r 10 -l 1 -timeout 50s || rc=$?
check_calls uac_rr "$rc" 10
rc=0; wait_pid "$pid_c" 10 || rc=$?
check_calls uas_c "$rc" 5
rc=0; wait_pid "$pid_d" 10 || rc=$?
check_calls uas_d "$rc" 5
proxy_alive || fail "the proxy died during the round-robin calls"
stop_proxy
pass "a 503 from the first hop failed over to the second in the same call; 10 calls spread 5/5 by round robin"
