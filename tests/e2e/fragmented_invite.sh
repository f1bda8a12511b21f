#!/usr/bin/env bash
# INVITEs bigger than the MTU: IP fragments in, IP fragments out.
#
# A sipp UAS registers as sip:uas@localhost, then a sipp UAC (uac_big.xml) makes 5 calls whose
# INVITE carries an SDP body of 50 padding lines, about 3,500 bytes in all. With
# E2E_BACKEND=dpdk the peers' veth has a 1,500-byte MTU, so the UAC's kernel sends each INVITE as
# IP fragments: the data plane must reassemble it, proxy it, and fragment it again on its way
# to the UAS (whose kernel reassembles it). Over sockets on 127.0.0.1 (MTU 65,536) nothing is
# fragmented, and the test checks that a message of that size is proxied whole.
# Passes when the UAC's 5 calls (INVITE, 200, ACK, BYE) all succeed, the UAS answered 5, every
# INVITE the UAS received has all 50 padding lines, in order, and the proxy stops cleanly; with
# E2E_BACKEND=dpdk also when the peers' kernel counted fragments created (IpFragCreates, the
# UAC's INVITEs) and datagrams reassembled (IpReasmOKs, the proxy's INVITEs to the UAS). With
# E2E_IP=6 the same over IPv6: the kernel's fragment headers in, the data plane's out.
#
# Over DPDK the port is net_pcap on the veth end, not net_af_packet: af_packet's fanout group
# asks the kernel to reassemble IP fragments before DPDK sees them (PACKET_FANOUT_FLAG_DEFRAG)
# and its 2 KiB frames then cut the whole datagram short, so the data plane's own reassembly
# would never run. With net_pcap the data plane gets the fragments themselves; the test also
# requires its counters to show them reassembled (reassembled) and fragmented again
# (fragments-out).
#
# usage: tests/e2e/fragmented_invite.sh BUILD_DIR
# shellcheck source=tests/e2e/lib.sh source-path=SCRIPTDIR/../..
export E2E_DPDK_VDEV=${E2E_DPDK_VDEV:-net_pcap0}
source "$(dirname "$0")/lib.sh"
e2e_init "$@"
direct_mode && skip "needs the proxy"

calls=5
pads=50

# IpFragCreates and IpReasmOKs of the peers' kernel (its namespace: only this test's traffic);
# Ip6FragCreates and Ip6ReasmOKs over IPv6 (E2E_IP=6).
ip_mib=Ip
[[ $E2E_IP == 6 ]] && ip_mib=Ip6
frag_counters() {
    in_peer nstat -asz "${ip_mib}FragCreates" "${ip_mib}ReasmOKs" |
        awk -v c_name="${ip_mib}FragCreates" -v r_name="${ip_mib}ReasmOKs" \
            '$1 == c_name { c = $2 } $1 == r_name { r = $2 } END { print c + 0, r + 0 }'
}
if dpdk_backend; then
    command -v nstat >/dev/null || skip "nstat (iproute2) not installed"
    read -r creates0 reasm0 < <(frag_counters)
fi

start_proxy
uas_port=""
free_udp_port uas_port
register_user uas "$uas_port" 3600
start_sipp uas "$uas_port" -sf "$SCEN_DIR/uas.xml" -m "$calls" -timeout 30s \
    -trace_msg -message_file "$WORK/uas.msg.log"
uas_pid=$SIPP_PID

rc=0
run_sipp uac 40 -sf "$SCEN_DIR/uac_big.xml" "$PROXY_HOSTPORT" -s uas -key max_forwards 70 \
    -m "$calls" -r 5 -timeout 30s -trace_msg -message_file "$WORK/uac.msg.log" || rc=$?
check_calls uac "$rc" "$calls"
rc=0
wait_pid "$uas_pid" 10 || rc=$?
check_calls uas "$rc" "$calls"

# The size the UAC sent, and the body the UAS got: all padding lines, 01 to 50 in order.
size=$(trace_messages "$WORK/uac.msg.log" sent '^INVITE ' | awk '/^--$/ { done = 1 } !done { n += length($0) + 2 } END { print n + 0 }')
((size > 3000)) || fail "the UAC's INVITE is only $size bytes (uac.msg.log): not bigger than the MTU"
n=$(trace_count "$WORK/uas.msg.log" received '^INVITE ')
((n >= calls)) || fail "the UAS received $n INVITEs (want $calls) (uas.msg.log)"
bad=$(trace_messages "$WORK/uas.msg.log" received '^INVITE ' | awk -v want="$pads" '
    /^--$/ { if (k != want) bad++; k = 0; next }
    /^a=x-sipwire-pad:/ { split($0, f, ":"); if (f[2] + 0 == k + 1) k++ }
    END { print bad + 0 }')
[[ $bad == 0 ]] || fail "$bad INVITE(s) at the UAS without all $pads padding lines in order (uas.msg.log)"
log "INVITEs of $size bytes: $n at the UAS, each with its $pads padding lines"

if dpdk_backend; then
    read -r creates1 reasm1 < <(frag_counters)
    ((creates1 - creates0 >= 2 * calls)) ||
        fail "the peers' kernel created $((creates1 - creates0)) IP fragments (want $((2 * calls)) at least: the INVITEs were not fragmented)"
    ((reasm1 - reasm0 >= calls)) ||
        fail "the peers' kernel reassembled $((reasm1 - reasm0)) datagrams (want $calls at least: the proxy's INVITEs to the UAS, fragmented)"
    log "peers' kernel: $((creates1 - creates0)) fragments created, $((reasm1 - reasm0)) datagrams reassembled"
fi

stop_proxy
if dpdk_backend; then
    counters=$(grep '^dpdk:' "$WORK/sipwire.out" | tail -n 1)
    reassembled=$(sed -n 's/.* reassembled \([0-9]*\).*/\1/p' <<<"$counters")
    fragmented=$(sed -n 's/.* fragments-out \([0-9]*\).*/\1/p' <<<"$counters")
    ((${reassembled:-0} >= calls)) || fail "the data plane reassembled ${reassembled:-?} datagrams, want $calls or more ($counters)"
    ((${fragmented:-0} >= 2 * calls)) || fail "the data plane sent ${fragmented:-?} fragments, want $((2 * calls)) or more ($counters)"
    log "data plane: $reassembled datagrams reassembled, $fragmented fragments sent"
fi
pass "$calls calls with $size-byte INVITEs: all successful, every INVITE proxied whole"
