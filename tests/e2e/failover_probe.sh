#!/usr/bin/env bash
# Health probing of a destination set: when one hop dies, calls go to the other within the
# probe interval, with no failed call once it is marked down.
#
# Two UASs that answer OPTIONS (mini_uas.py; sipp's cannot) are the hops of a round-robin set
# probed every 300 ms (down after 2 unanswered probes, up after 1). The UAC (127.0.0.1, a
# trusted source) calls sip:svc@pool.example through the stateful proxy:
#  1. 10 calls: all succeed, both hops get some;
#  2. hop A is killed; after the probe interval x (down_after + 1) + slack (1.5 s), 10 more
#     calls: all succeed, and all reach hop B.
#
# usage: tests/e2e/failover_probe.sh BUILD_DIR
# shellcheck source=tests/e2e/lib.sh source-path=SCRIPTDIR/../..
source "$(dirname "$0")/lib.sh"
e2e_init "$@"
direct_mode && skip "needs the proxy (it probes)"
command -v python3 >/dev/null || skip "python3 is missing"

port_a="" port_b=""
free_udp_port port_a
free_udp_port port_b
"${PEER_EXEC[@]}" python3 "$E2E_DIR/mini_uas.py" "$LOOPBACK" "$port_a" "$WORK/a.count" 2>"$WORK/a.err" &
pid_a=$!
E2E_PIDS+=("$pid_a")
"${PEER_EXEC[@]}" python3 "$E2E_DIR/mini_uas.py" "$LOOPBACK" "$port_b" "$WORK/b.count" 2>"$WORK/b.err" &
E2E_PIDS+=("$!")
for ((i = 0; i < 50; i++)); do
    [[ -s $WORK/a.count && -s $WORK/b.count ]] && break
    sleep 0.1
done
[[ -s $WORK/a.count && -s $WORK/b.count ]] || fail "the UASs did not start"

E2E_TOP_CONFIG="trusted_sources = [\"$PEER_NET\"]"
E2E_EXTRA_CONFIG="[[destination]]
name = \"pool\"
algorithm = \"round_robin\"
probe_interval_ms = 300
down_after = 2
up_after = 1
hops = [{ address = \"$LOOPBACK:$port_a\" }, { address = \"$LOOPBACK:$port_b\" }]

[[route]]
domain = \"pool.example\"
destination = \"pool\""
E2E_MODE=stateful start_proxy

calls() {  # calls NAME: 10 calls to sip:svc@pool.example, all must succeed
    local rc=0
    run_sipp "$1" 60 -sf "$SCEN_DIR/uac_dialog_domain.xml" "$PROXY_HOSTPORT" -s svc \
        -key domain pool.example -key max_forwards 70 -m 10 -r 10 -timeout 30s || rc=$?
    check_calls "$1" "$rc" 10
}

calls uac1
a1=$(<"$WORK/a.count") b1=$(<"$WORK/b.count")
((a1 > 0 && b1 > 0)) || fail "round robin did not use both hops: A $a1, B $b1"
log "both hops up: A answered $a1 calls, B $b1"

kill -KILL "$pid_a"
wait "$pid_a" 2>/dev/null || true
sleep 1.5  # 300 ms probes: two misses take at most 900 ms

calls uac2
a2=$(<"$WORK/a.count") b2=$(<"$WORK/b.count")
((b2 - b1 == 10)) || fail "after A died, B answered $((b2 - b1)) of the 10 calls"
log "A killed: all 10 later calls reached B (A still shows $a2)"
proxy_alive || fail "the proxy died"
stop_proxy
pass "hop A killed: marked down by its unanswered probes, the next 10 calls all succeeded on B"
