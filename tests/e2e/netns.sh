# shellcheck shell=bash
# The E2E_BACKEND=dpdk plumbing of the end-to-end tests: sourced by lib.sh, never run by itself.
#
# With the DPDK backend the data plane owns a network port, so it cannot share 127.0.0.1 with
# sipp. Each test gets two network namespaces of its own, named after its PID:
#
#   swpPID (the peers: sipp, the python helpers, nc)      swdPID (the data plane)
#     lo up                                                 lo up
#     swvPIDp 10.99.0.1/24  <-------- veth pair -------->   swvPIDd  up, no address
#                                                           swtPID   the exception tap, created by
#                                                                    sipwire-dataplane itself
#
# sipwire-dataplane runs in swdPID on net_af_packet over swvPIDd and answers for 10.99.0.2
# (PROXY_IP). TX checksum offload is off on both veth ends: the data plane computes checksums in
# software, and veth would otherwise hand the peers packets with a partial checksum.
# The kernel of swdPID must not answer on the wire itself (the data plane does: ARP, ping, SIP;
# other traffic goes to the kernel through the tap): swvPIDd has no address, ARP for local
# addresses is not answered on it (arp_ignore 8), a packet on it from 10.99.0.0/24 fails the
# strict reverse-path check (rp_filter 1: the route back is via the tap) so it is dropped before
# the kernel's TCP, UDP or ICMP sees it, and IPv6 is off on both ends (no router solicitations or
# MLD reports on the wire; with E2E_IP=6 it is on at the peers' end, see NETNS_PEER_IP6; the data
# plane's end never has an IPv6 address of its own, so its kernel cannot answer for fd99::2
# either). Without this the kernel would answer ping and TCP for the tap's
# 10.99.0.2 straight over the veth, and send port unreachables for every SIP datagram.
#
# With E2E_VLAN=N (1..4094) the link is a trunk carrying VLAN N: tc BPF programs on swvPIDp
# (vlan_access_port.bpf.c, built here with clang) tag what the peers send and untag what they
# receive, as a switch's access port would, and the data plane runs with [dpdk] vlan = N. Its own
# kernel ignores the tagged frames (it has no VLAN interface); the tap stays untagged.
#
# Both namespaces (and so the veth pair and the tap) are deleted by netns_teardown, which
# cleanup() in lib.sh calls after every process has been stopped by PID.

NETNS_PEER_IP=10.99.0.1
NETNS_PEER_IP2=10.99.0.3  # a second peer address, for tests that need two sources (flood.sh)
# shellcheck disable=SC2034  # lib.sh's PROXY_IP
NETNS_APPLIANCE_IP=10.99.0.2
NETNS_NET=10.99.0.0/24
# With E2E_IP=6 (lib.sh; unset means 4, as for tools/dpdk-demo.sh, which sources this file
# alone) the peers and the appliance use these instead. The peers' veth end then
# has IPv6 on (the data plane's end keeps it off), and the data plane's namespace skips duplicate
# address detection, so the address the tap carries answers neighbour solicitations at once.
NETNS_PEER_IP6=fd99::1
# shellcheck disable=SC2034  # lib.sh's PROXY_IP
NETNS_APPLIANCE_IP6=fd99::2
NETNS_NET6=fd99::/64
NETNS_PEER=""     # the peers' namespace (sipp, helpers), once created
NETNS_DP=""       # the data plane's namespace, once created
NETNS_PEER_IF=""  # the peers' veth end (10.99.0.1/24)
NETNS_DP_IF=""    # the data plane's veth end (no address; DPDK's net_af_packet port)
NETNS_TAP=""      # the exception tap sipwire-dataplane creates in NETNS_DP
# The command prefixes that run something in a namespace (empty with the socket backend). Both
# end in an exec: "${PEER_EXEC[@]}" CMD & leaves CMD's own PID in $!.
PEER_EXEC=()
DP_EXEC=()

dpdk_backend() { [[ ${E2E_BACKEND:-socket} == dpdk ]]; }

# in_peer CMD...: CMD where the peers are (the peer namespace with the DPDK backend; here with
# sockets). in_dataplane CMD...: the same for the data plane's side.
in_peer() { "${PEER_EXEC[@]}" "$@"; }
in_dataplane() { "${DP_EXEC[@]}" "$@"; }

# netns_setup: creates the namespaces and the veth pair (the names above, PID $$); fails (exit 1)
# when a step fails, skips (77) without root or `ip`.
netns_setup() {
    local id=$$
    [[ $(id -u) == 0 ]] || skip "E2E_BACKEND=dpdk needs root (network namespaces)"
    command -v ip >/dev/null || skip "E2E_BACKEND=dpdk needs ip (iproute2)"
    command -v ethtool >/dev/null || skip "E2E_BACKEND=dpdk needs ethtool"
    NETNS_PEER=swp$id NETNS_DP=swd$id
    NETNS_PEER_IF=swv${id}p NETNS_DP_IF=swv${id}d NETNS_TAP=swt$id
    # Recorded before creation, so a half-made setup is still torn down.
    NETNS_CREATED=1
    ip netns add "$NETNS_PEER" || fail "cannot create network namespace $NETNS_PEER"
    ip netns add "$NETNS_DP" || fail "cannot create network namespace $NETNS_DP"
    PEER_EXEC=(ip netns exec "$NETNS_PEER")
    DP_EXEC=(ip netns exec "$NETNS_DP")
    ip link add "$NETNS_PEER_IF" netns "$NETNS_PEER" type veth peer name "$NETNS_DP_IF" netns "$NETNS_DP" ||
        fail "cannot create the veth pair $NETNS_PEER_IF/$NETNS_DP_IF"
    in_peer sysctl -qw "net.ipv6.conf.$NETNS_PEER_IF.disable_ipv6=$((${E2E_IP:-4} == 6 ? 0 : 1))"
    if [[ ${E2E_IP:-4} == 6 ]]; then
        in_dataplane sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0 ||
            fail "cannot turn off duplicate address detection in $NETNS_DP"
    fi
    in_dataplane sysctl -qw "net.ipv6.conf.$NETNS_DP_IF.disable_ipv6=1" \
        "net.ipv4.conf.$NETNS_DP_IF.arp_ignore=8" "net.ipv4.conf.$NETNS_DP_IF.rp_filter=1" ||
        fail "cannot set the sysctls of $NETNS_DP_IF"
    ip -n "$NETNS_PEER" link set lo up
    ip -n "$NETNS_DP" link set lo up
    ip -n "$NETNS_PEER" addr add "$NETNS_PEER_IP/24" dev "$NETNS_PEER_IF"
    ip -n "$NETNS_PEER" addr add "$NETNS_PEER_IP2/24" dev "$NETNS_PEER_IF"
    if [[ ${E2E_IP:-4} == 6 ]]; then
        ip -n "$NETNS_PEER" addr add "$NETNS_PEER_IP6/64" dev "$NETNS_PEER_IF" nodad ||
            fail "cannot add $NETNS_PEER_IP6 to $NETNS_PEER_IF"
    fi
    ip -n "$NETNS_PEER" link set "$NETNS_PEER_IF" up
    ip -n "$NETNS_DP" link set "$NETNS_DP_IF" up
    in_peer ethtool -K "$NETNS_PEER_IF" tx off >/dev/null || fail "ethtool -K $NETNS_PEER_IF tx off failed"
    in_dataplane ethtool -K "$NETNS_DP_IF" tx off >/dev/null || fail "ethtool -K $NETNS_DP_IF tx off failed"
    [[ -z ${E2E_VLAN:-} ]] || netns_vlan_access_port "$E2E_VLAN"
    local addresses="$NETNS_PEER_IP/24"
    [[ ${E2E_IP:-4} == 6 ]] && addresses+=" $NETNS_PEER_IP6/64"
    [[ -z ${E2E_VLAN:-} ]] || addresses+=", VLAN $E2E_VLAN"
    log "namespaces $NETNS_PEER ($NETNS_PEER_IF $addresses) and $NETNS_DP ($NETNS_DP_IF)"
}

# netns_vlan_access_port N: the peers' veth end tags what it sends with VLAN N and takes in only
# frames of VLAN N, untagged (vlan_access_port.bpf.c as tc programs). Skips (77) without clang.
netns_vlan_access_port() {
    local vlan=$1 clang dir src
    if ! [[ $vlan =~ ^[0-9]+$ ]] || ((vlan < 1 || vlan > 4094)); then
        fail "E2E_VLAN must be 1 to 4094, not '$vlan'"
    fi
    clang=$(command -v clang-14 || command -v clang) || skip "E2E_VLAN needs clang (a BPF program)"
    command -v tc >/dev/null || skip "E2E_VLAN needs tc (iproute2)"
    src=$(dirname "${BASH_SOURCE[0]}")/vlan_access_port.bpf.c
    # In the test's work directory (lib.sh), which cleanup() removes whatever happens here.
    dir=${WORK:?netns_vlan_access_port needs lib.sh\'s WORK}/vlan
    mkdir -p "$dir"
    local flags=(-O2 -target bpf -I "/usr/include/$(uname -m)-linux-gnu" -DVLAN_ID="$vlan")
    if ! "$clang" "${flags[@]}" -DTAG -c "$src" -o "$dir/tag.o" ||
        ! "$clang" "${flags[@]}" -c "$src" -o "$dir/untag.o"; then
        fail "cannot build $src"
    fi
    if ! in_peer tc qdisc add dev "$NETNS_PEER_IF" clsact ||
        ! in_peer tc filter add dev "$NETNS_PEER_IF" egress bpf da obj "$dir/tag.o" sec tc ||
        ! in_peer tc filter add dev "$NETNS_PEER_IF" ingress bpf da obj "$dir/untag.o" sec tc; then
        fail "cannot attach the VLAN $vlan programs to $NETNS_PEER_IF"
    fi
}

# netns_teardown: deletes both namespaces (the veth pair and the tap go with them). Only after
# every process in them has stopped.
NETNS_CREATED=0
netns_teardown() {
    ((NETNS_CREATED)) || return 0
    local ns
    for ns in "$NETNS_PEER" "$NETNS_DP"; do
        [[ -n $ns ]] || continue
        if ip netns list | grep -qw "$ns"; then
            ip netns delete "$ns" || log "cannot delete network namespace $ns"
        fi
    done
    NETNS_CREATED=0
}

# dpdk_config: the [dpdk] part of the proxy's configuration (a TOML table; it goes after the
# top-level keys). E2E_DPDK_QPAIRS > 1 asks net_af_packet for that many queue pairs;
# E2E_DPDK_VDEV names another virtual device on the same veth end (net_pcap0),
# E2E_DPDK_PORT_ARGS adds device arguments, and E2E_DPDK_TAP=0 leaves the exception tap out (the
# data plane then answers ARP and neighbour solicitations itself, and drops other traffic).
# E2E_VLAN=N puts the port on VLAN N (see above).
dpdk_config() {
    local port="${E2E_DPDK_VDEV:-net_af_packet0},iface=$NETNS_DP_IF${E2E_DPDK_PORT_ARGS:+,$E2E_DPDK_PORT_ARGS}"
    if ((${E2E_DPDK_QPAIRS:-1} > 1)); then port+=",qpairs=$E2E_DPDK_QPAIRS"; fi
    cat <<EOF
[dpdk]
eal = ["--no-pci", "--no-huge", "-m", "512", "--no-shconf", "--file-prefix", "sw$$"]
port = "$port"
$( ((${E2E_DPDK_TAP:-1})) && printf 'exception_tap = "%s"' "$NETNS_TAP")
networks = ["$NETNS_NET"$([[ ${E2E_IP:-4} == 6 ]] && printf ', "%s"' "$NETNS_NET6")]
$([[ -n ${E2E_VLAN:-} ]] && printf 'vlan = %s' "$E2E_VLAN")
EOF
}
