#!/usr/bin/env bash
# What the proxy's Via and Record-Route name, for the listen addresses an operator writes.
#  1. The wildcard 0.0.0.0 with advertise (here 127.0.0.2, a loopback address the wildcard
#     receives on, as a NAT's public address would forward to us): the advertised address.
#  2. The wildcard without advertise: the address this host sends from (the start prints
#     which), an address of this host, never 0.0.0.0, which no peer can send to.
#  3. Two addresses of one family, 127.0.0.1 and 127.0.0.2 (two ports): a call that comes in
#     at the second leaves from it, and names it.
#  4. A specific address advertised with another port (a NAT forwarding its public port to
#     ours), here 127.0.0.3 at a port nothing listens on: Via and Record-Route name that host
#     and port, and the Route naming it in the ACKs and BYEs is ours (popped: were it not, they
#     would go to 127.0.0.3 and the calls fail).
# Each round: a sipp UAS registers (at the proxy's first address) and a UAC places dialog
# calls to it (uac_dialog.xml: ACK and BYE with the route set as Route), sent to and addressed
# to 127.0.0.2 in rounds 1 and 3, to the proxy's address in rounds 2 and 4 (every address of
# the host is ours when we listen on them all: a foreign domain would be refused 403). Passes
# when every call completes and the UAS's trace shows each INVITE, ACK and BYE with the
# proxy's Via, naming that host and port, over the UAC's (one Via more would be a request the
# proxy sent to itself, not knowing the name for its own), and the INVITE's Record-Route
# naming it too. sipp answers where a request came from, so the calls would complete with any
# Via: the trace is the test.
#
# Rounds 1-3 on the socket backend only (the DPDK data plane owns specific addresses and
# refuses a wildcard; it chooses the address to send from as the socket backend does,
# DpdkShared::source_for); round 4 on both.
# usage: tests/e2e/listen_addresses.sh BUILD_DIR    (E2E_CALLS: default 10 calls per round)
# shellcheck source=tests/e2e/lib.sh source-path=SCRIPTDIR/../..
source "$(dirname "$0")/lib.sh"
e2e_init "$@"
direct_mode && skip "needs the proxy"
[[ $E2E_IP == 4 ]] || skip "listens on the IPv4 wildcard"
calls=${E2E_CALLS:-10}

# calls_naming USER TARGET WANT: CALLS dialog calls to sip:USER@TARGET, sent there (host:port),
# a UAS registered as USER answering; WANT (host:port) is what the proxy's Via and
# Record-Route must name.
calls_naming() {
    local user=$1 target=$2 want=$3 uas_port="" uas_pid rc=0 method bad n rr
    free_udp_port uas_port
    register_user "$user" "$uas_port" 3600
    start_sipp "$user-uas" "$uas_port" -sf "$SCEN_DIR/uas.xml" -m "$calls" -timeout 60s \
        -trace_msg -message_file "$WORK/$user-uas.msg.log"
    uas_pid=$SIPP_PID
    run_sipp "$user-uac" 60 -sf "$SCEN_DIR/uac_dialog.xml" "$target" -s "$user" \
        -key max_forwards 70 -m "$calls" -r 10 -timeout 60s \
        -trace_msg -message_file "$WORK/$user-uac.msg.log" || rc=$?
    check_calls "$user-uac" "$rc" "$calls"
    rc=0
    wait_pid "$uas_pid" 15 || rc=$?
    check_calls "$user-uas" "$rc" "$calls"

    local log=$WORK/$user-uas.msg.log
    for method in INVITE ACK BYE; do
        n=$(trace_count "$log" received "^$method ")
        [[ $n -ge $calls ]] || fail "the UAS received $n ${method}s (want $calls) ($user-uas.msg.log)"
        bad=$(trace_vias "$log" received "^$method " |
            awk -F' [|] ' -v want="SIP/2.0/UDP $want;" 'NF != 2 || index($1, want) != 1' | sed -n 1p)
        [[ -z $bad ]] ||
            fail "a $method reached the UAS with Via '$bad' (want the proxy's, naming $want, over the UAC's) ($user-uas.msg.log)"
    done
    # (Each signed for its call: ;sw= and 16 hex digits, written SIG here.)
    rr=$(trace_messages "$log" received '^INVITE ' | grep -i '^Record-Route:' |
      sed -E 's/;sw=[0-9a-f]{16}>/;sw=SIG>/' | sort -u | tr '\n' '|')
    [[ $rr == "Record-Route: <sip:$want;lr;sw=SIG>|" ]] ||
        fail "the INVITEs' Record-Route was '$rr' (want <sip:$want;lr;sw=SIG>) ($user-uas.msg.log)"
}

# 4. advertise with a port, on both backends.
adv_port=""
free_udp_port adv_port
E2E_LISTEN_EXTRA="advertise = \"127.0.0.3:$adv_port\"" start_proxy
adv_ip=$PROXY_IP
calls_naming port "$PROXY_HOSTPORT" "127.0.0.3:$adv_port"
proxy_alive || fail "the proxy died during the test"
stop_proxy
if dpdk_backend; then
    pass "$calls calls: $adv_ip advertised as 127.0.0.3:$adv_port: Via and Record-Route name it, its Route is ours (the wildcard rounds need the socket backend)"
fi

# 1. advertise
E2E_LISTEN_ADDRESS=0.0.0.0 E2E_LISTEN_EXTRA='advertise = "127.0.0.2"' start_proxy
calls_naming adv "127.0.0.2:$PROXY_PORT" "127.0.0.2:$PROXY_PORT"
proxy_alive || fail "the proxy died during the test"
stop_proxy

# 2. no advertise: the address the start names, one of this host's.
E2E_LISTEN_ADDRESS=0.0.0.0 start_proxy
named=$(sed -n "s/^sipwire-dataplane: 0\.0\.0\.0:$PROXY_PORT is named \([^ ]*\) in Via and Record-Route.*/\1/p" "$WORK/sipwire.out")
[[ -n $named ]] || { dump "$WORK/sipwire.out"; fail "the start did not say what 0.0.0.0:$PROXY_PORT is named"; }
[[ $named != 0.0.0.0 ]] || fail "0.0.0.0 named as itself"
ip -4 -o addr show | grep -qF " $named/" || fail "0.0.0.0 named $named, which is no address of this host"
calls_naming wild "$PROXY_HOSTPORT" "$named:$PROXY_PORT"
proxy_alive || fail "the proxy died during the test"
stop_proxy

# 3. two addresses of one family: calls in at the second.
second_port=""
free_udp_port second_port
E2E_EXTRA_CONFIG="[[listen]]
address = \"127.0.0.2\"
port = $second_port" start_proxy
calls_naming two "127.0.0.2:$second_port" "127.0.0.2:$second_port"
proxy_alive || fail "the proxy died during the test"
stop_proxy
pass "$calls calls each: 0.0.0.0 advertised as 127.0.0.2, 0.0.0.0 named $named, in at a second address 127.0.0.2, $adv_ip advertised as 127.0.0.3:$adv_port: Via and Record-Route name them"
