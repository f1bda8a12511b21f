#!/usr/bin/env bash
# Calls from IPv4 to IPv6 through one proxy (RFC 6157 3.1). The proxy listens on an IPv4 and an
# IPv6 address (on two ports); a sipp UAS registers as sip:rel@localhost over IPv6 and answers
# there, a sipp UAC calls it over IPv4. The dialogs of dialog_100rel.sh: a reliable 183 and its PRACK,
# a re-INVITE, BYE, each in-dialog request sent with the route set the Record-Routes made.
#
# The INVITE leaves the proxy over IPv6, so its Via must name the proxy's IPv6 address (a phone
# answers there, RFC 3261 18.2.2; sipp answers where the request came from, so the calls would
# complete anyway, and the Via is checked in the trace), and it must carry two
# Record-Routes, the IPv6 one on top (the UAS's route set starts with it) and the IPv4 one below
# (the UAC's). The UAC's PRACK, re-INVITE and BYE then carry both as Route: the proxy takes
# both off and they reach the UAS over IPv6 with the proxy's Via over the UAC's. Passes when
# every call completes on both sides and the UAS's trace shows all that.
#
# Over sockets the addresses are 127.0.0.1 and ::1; over DPDK (E2E_BACKEND=dpdk) the veth pair
# carries both families (the namespaces are made as for E2E_IP=6), the peers 10.99.0.1 and
# fd99::1, the data plane 10.99.0.2 and fd99::2.
#
# usage: tests/e2e/dual_stack.sh BUILD_DIR    (E2E_CALLS: default 20 calls, at 10/s)
# shellcheck source=tests/e2e/lib.sh source-path=SCRIPTDIR/../..
[[ ${E2E_BACKEND:-socket} == dpdk ]] && export E2E_IP=6  # both families on the veth pair
source "$(dirname "$0")/lib.sh"
e2e_init "$@"
direct_mode && skip "needs the proxy (it joins the two families)"

calls=${E2E_CALLS:-20}
if dpdk_backend; then
    peer4=$NETNS_PEER_IP peer6=$NETNS_PEER_IP6 ip4=$NETNS_APPLIANCE_IP ip6=$NETNS_APPLIANCE_IP6
else
    [[ $E2E_IP == 4 ]] || skip "uses both IP families itself"
    peer4=127.0.0.1 peer6=::1 ip4=127.0.0.1 ip6=::1
fi
# start_proxy listens on its family's address (E2E_IP); the other one is added here.
other_port=""
free_udp_port other_port
other_ip=$ip6
[[ $E2E_IP == 6 ]] && other_ip=$ip4
E2E_EXTRA_CONFIG="[[listen]]
address = \"$other_ip\"
port = $other_port
transport = \"udp\""
start_proxy
if [[ $E2E_IP == 6 ]]; then
    proxy6=$PROXY_HOSTPORT proxy4=$(hostport "$ip4" "$other_port")
else
    proxy4=$PROXY_HOSTPORT proxy6=$(hostport "$ip6" "$other_port")
fi

# The UAS's side speaks IPv6: sipp binds the peers' IPv6 address and registers at the proxy's.
LOOPBACK=$peer6 E2E_IP=6 PROXY_HOSTPORT=$proxy6
uas_port=""
free_udp_port uas_port
start_100rel_uas "$uas_port" "$calls"
uas_pid=$SIPP_PID

# The caller's side speaks IPv4.
LOOPBACK=$peer4 E2E_IP=4 PROXY_HOSTPORT=$proxy4
run_100rel_calls "$proxy4" "$calls" 10 "$uas_pid"

uas_log=$WORK/rel-uas.msg.log
# The first INVITE of each call: the proxy's IPv6 address in its Via, both Record-Routes.
# (sed, not head: see check_routed_dialogs.)
top=$(trace_vias "$uas_log" received '^INVITE ' | sed -n 1p)
top=${top%% | *}
[[ $top == "SIP/2.0/UDP $proxy6;"* ]] ||
    fail "the INVITE reached the UAS with top Via '$top' (want the proxy's IPv6 address $proxy6) (rel-uas.msg.log)"
# (Each signed for the call: ;sw= and 16 hex digits, written SIG here.)
rr=$(trace_messages "$uas_log" received '^INVITE ' | grep -i '^Record-Route:' | sed -n 1,2p |
  sed -E 's/;sw=[0-9a-f]{16}>/;sw=SIG>/' | tr '\n' '|')
[[ $rr == "Record-Route: <sip:$proxy6;lr;sw=SIG>|Record-Route: <sip:$proxy4;lr;sw=SIG>|" ]] ||
    fail "the INVITE's Record-Routes were '$rr' (want the IPv6 one over the IPv4 one) (rel-uas.msg.log)"
# The in-dialog requests: through the proxy (its Via over the UAC's), our Routes taken off.
check_routed_dialogs "$uas_log" "$calls"
n=$(trace_count "$uas_log" received '^[A-Z]+ ' '^Route:')
[[ $n == 0 ]] || fail "$n requests reached the UAS with a Route the proxy should have taken off (rel-uas.msg.log)"
proxy_alive || fail "the proxy died during the test"
stop_proxy
pass "$calls calls from IPv4 to IPv6 with 100rel, a re-INVITE and BYE through both Record-Routes"
