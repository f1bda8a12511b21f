#!/usr/bin/env bash
# The DPDK data plane's exception path: what is not SIP over UDP reaches the kernel (E2E_BACKEND=dpdk
# only; skipped over sockets, where the kernel owns the port anyway).
#
# The data plane owns the veth end in its namespace and creates the exception tap there (its
# kernel side, exception_tap in the config, with the appliance address 10.99.0.2). From the
# peers' namespace:
#  1. the tap exists and 10.99.0.2 is a local address of the data plane's namespace;
#  2. `ping -c 3 -W 2 10.99.0.2` is answered;
#  3. ARP for 10.99.0.2 is answered: arping from the peers' veth gets a reply (when arping, from
#     iputils-arping, is installed), and the peers' neighbour entry for 10.99.0.2 has a MAC and
#     is REACHABLE, STALE or DELAY (with E2E_IP=6: fd99::2, its entry learnt by neighbour
#     discovery; every step then runs over IPv6);
#  4. TCP works: `nc -l 10.99.0.2 PORT` in the data plane's namespace receives the line that
#     `nc -N 10.99.0.2 PORT` sends from the peers' namespace;
#  5. the SIP fast path is unaffected: a UAS registers and 10 calls through the proxy succeed;
#  6. the data plane's counters show frames passed to the kernel and frames from it.
#  7. the data plane said its port's link is up, at start and in its status line;
#  8. and its status gave the port's own counters ("port: rx N ...").
# Passes when all of these do and the proxy stops cleanly.
#
# usage: E2E_BACKEND=dpdk tests/e2e/exception_path.sh BUILD_DIR
# shellcheck source=tests/e2e/lib.sh source-path=SCRIPTDIR/../..
source "$(dirname "$0")/lib.sh"
e2e_init "$@"
dpdk_backend || skip "E2E_BACKEND=dpdk only (the exception path of the DPDK data plane)"
direct_mode && skip "needs the proxy"
command -v ping >/dev/null || skip "ping (iputils-ping) not installed"
command -v nc >/dev/null || skip "nc (netcat-openbsd) not installed"

start_proxy

# 1. The tap, and the appliance address on the data plane's kernel side (10 s at most).
inet=inet
[[ $E2E_IP == 6 ]] && inet=inet6
for ((i = 0; i < 100; i++)); do
    if ip -n "$NETNS_DP" link show "$NETNS_TAP" >/dev/null 2>&1 &&
        ip -n "$NETNS_DP" "-$E2E_IP" -o addr show | grep -qF " $inet $PROXY_IP/"; then
        break
    fi
    sleep 0.1
done
ip -n "$NETNS_DP" link show "$NETNS_TAP" >/dev/null 2>&1 ||
    fail "no exception tap $NETNS_TAP in $NETNS_DP 10 s after start"
where=$(ip -n "$NETNS_DP" "-$E2E_IP" -o addr show | awk -v a="$PROXY_IP/" 'index($4, a) == 1 { print $2 }')
[[ -n $where ]] || fail "$PROXY_IP is not an address of the data plane's namespace $NETNS_DP (the tap has: $(ip -n "$NETNS_DP" "-$E2E_IP" -o addr show dev "$NETNS_TAP"))"
log "exception tap $NETNS_TAP is there; $PROXY_IP is on $where"

# 2. ICMP echo.
in_peer ping -c 3 -W 2 "$PROXY_IP" >"$WORK/ping.log" 2>&1 || { dump "$WORK/ping.log"; fail "ping $PROXY_IP from the peers' namespace: no answer"; }
log "ping: $(grep -o '[0-9]* received' "$WORK/ping.log")"

# 3. ARP (over IPv6: neighbour discovery, which ping has just done; the entry is checked).
if [[ $E2E_IP == 6 ]]; then
    :
elif command -v arping >/dev/null; then
    in_peer arping -c 2 -w 5 -I "$NETNS_PEER_IF" "$PROXY_IP" >"$WORK/arping.log" 2>&1 ||
        { dump "$WORK/arping.log"; fail "arping $PROXY_IP on $NETNS_PEER_IF: no reply"; }
    log "arping: $(grep -c '^Unicast reply' "$WORK/arping.log") replies"
else
    log "arping not installed (iputils-arping): checking the neighbour entry only"
fi
neigh=$(ip -n "$NETNS_PEER" neigh show "$PROXY_IP" dev "$NETNS_PEER_IF")
[[ $neigh =~ lladdr\ ([0-9a-f:]{17}).*(REACHABLE|STALE|DELAY) ]] ||
    fail "the peers' neighbour entry for $PROXY_IP is not resolved: '$neigh'"
mac=${BASH_REMATCH[1]}
port_mac=$(ip -n "$NETNS_DP" -br link show "$NETNS_DP_IF" | awk '{ print $3 }')
log "neighbour $PROXY_IP is $mac ($([[ $mac == "$port_mac" ]] && echo "the data plane's port" || echo "not the port's MAC $port_mac"))"

# 4. TCP through the tap: the data plane's kernel listens, a peer sends a line.
tcp_port=$((40000 + RANDOM % 20000))
"${DP_EXEC[@]}" nc -l "$PROXY_IP" "$tcp_port" </dev/null >"$WORK/nc.received" 2>"$WORK/nc.err" &
nc_pid=$!
E2E_PIDS+=("$nc_pid")
for ((i = 0; i < 50; i++)); do
    in_dataplane ss -Htln "sport = :$tcp_port" | grep -q . && break
    kill -0 "$nc_pid" 2>/dev/null || { dump "$WORK/nc.err"; fail "nc -l $PROXY_IP $tcp_port exited at start"; }
    sleep 0.1
done
line="sipwire exception path $$ $RANDOM"
rc=0
in_peer timeout --foreground -k 2 15 nc -N -w 10 "$PROXY_IP" "$tcp_port" <<<"$line" >"$WORK/nc.sender" 2>&1 || rc=$?
((rc == 0)) || { dump "$WORK/nc.sender"; fail "nc -N $PROXY_IP $tcp_port from the peers' namespace failed (status $rc)"; }
rc=0
wait_pid "$nc_pid" 10 || rc=$?
[[ $(cat "$WORK/nc.received") == "$line" ]] ||
    fail "the TCP listener received '$(head -c 200 "$WORK/nc.received")' (want '$line'; nc -l status $rc)"
log "TCP to $(hostport "$PROXY_IP" "$tcp_port"): the line arrived"

# 5. The SIP fast path.
calls=10
uas_port=""
free_udp_port uas_port
register_user uas "$uas_port" 3600
start_sipp uas "$uas_port" -sf "$SCEN_DIR/uas.xml" -m "$calls" -timeout 30s
uas_pid=$SIPP_PID
rc=0
run_sipp uac 40 -sf "$SCEN_DIR/uac.xml" "$PROXY_HOSTPORT" -s uas -key max_forwards 70 \
    -m "$calls" -r 10 -timeout 30s || rc=$?
check_calls uac "$rc" "$calls"
rc=0
wait_pid "$uas_pid" 10 || rc=$?
check_calls uas "$rc" "$calls"

stop_proxy
# 6. And it went through the data plane: its counters saw frames to the kernel and back.
counters=$(grep '^dpdk:' "$WORK/sipwire.out" | tail -n 1)
to_kernel=$(sed -n 's/.* kernel in [0-9]* out \([0-9]*\).*/\1/p' <<<"$counters")
from_kernel=$(sed -n 's/.* kernel in \([0-9]*\) out.*/\1/p' <<<"$counters")
((${to_kernel:-0} > 0 && ${from_kernel:-0} > 0)) ||
    fail "the data plane's counters show no exception-path traffic ($counters)"
log "data plane: $to_kernel frames to the kernel, $from_kernel from it"
# 7. The port's link, which the kernel no longer shows: said at start, and in the status line.
link=$(grep -m1 '^sipwire-dataplane: link ' "$WORK/sipwire.out" || true)
[[ $link == "sipwire-dataplane: link up"* ]] || fail "the data plane did not say its port's link is up ('$link')"
[[ $counters == "dpdk: link up,"* ]] || fail "the status line does not say the link is up ($counters)"
log "${link#sipwire-dataplane: }"
# 8. What the port itself counted, under the data plane's counters: it took every frame the
#    workers saw (and would count here what it dropped before them).
port=$(grep '^port:' "$WORK/sipwire.out" | tail -n 1)
port_rx=$(sed -n 's/^port: rx \([0-9]*\) .*/\1/p' <<<"$port")
frames_rx=$(sed -n 's/.* frames rx \([0-9]*\) .*/\1/p' <<<"$counters")
((${port_rx:-0} > 0 && ${port_rx:-0} >= ${frames_rx:-1})) ||
    fail "the port's own counters are missing or below the workers' ('$port'; workers: $frames_rx frames)"
log "$port"
pass "ping, $([[ $E2E_IP == 6 ]] && echo "neighbour discovery" || echo ARP) and TCP to $PROXY_IP through the exception path; registration and $calls calls on the fast path"
