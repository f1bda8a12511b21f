#!/usr/bin/env bash
# A phone behind a NAT: it registers a Contact naming its private address (here 127.0.0.9 at a
# port nothing listens on, a private address of this machine, so that a proxy sending there
# reaches no one and nothing leaves the machine) from its public one, the address and port
# it listens at. The proxy must reach it where the REGISTER came from, with its Contact as the
# Request-URI ([registrar] private_contacts = "source", the default), and its registration is
# granted no longer than [registrar] nat_max_expires (50 s here). A sipp UAS registers so
# (register_contact.xml sent from the UAS's own port), a UAC places calls to it: every call
# completes, and the UAS's trace shows each INVITE addressed to the registered Contact.
# Over both backends (over DPDK the peers' address is 10.99.0.1: the Contact is still another).
# Then dialogs through NATs (nat_alias, the default): the UAS answers with its private Contact
# and the UAC's INVITE names a private Contact too (127.0.0.8, nothing listening); the UAC
# sends its ACK and BYE to the 200's Contact by the route set (uac_dialog.xml). Every call
# completes only if the proxy added its alias to both Contacts and sent the ACK and BYE to the
# UAS's address, their Request-URI without the alias (the UAS's trace shows both).
# usage: tests/e2e/nat_contact.sh BUILD_DIR    (E2E_CALLS: default 20)
# shellcheck source=tests/e2e/lib.sh source-path=SCRIPTDIR/../..
source "$(dirname "$0")/lib.sh"
e2e_init "$@"
direct_mode && skip "needs the proxy"
[[ $E2E_IP == 4 ]] || skip "an IPv4 private address"
calls=${E2E_CALLS:-20}

# Its registration is granted no longer than nat_max_expires, so its refreshes keep its NAT's
# mapping open.
E2E_EXTRA_CONFIG="[registrar]
nat_max_expires = 50"
start_proxy
uas_port="" private_port=""
free_udp_port uas_port
free_udp_port private_port
contact="sip:natted@127.0.0.9:$private_port"
rc=0
run_sipp register-natted 40 -sf "$SCEN_DIR/register_contact.xml" "$PROXY_HOSTPORT" -s natted \
    -key domain localhost -key expires 3600 -key contact "$contact" -p "$uas_port" -m 1 \
    -timeout 30s -trace_msg -message_file "$WORK/register-natted.msg.log" || rc=$?
check_calls register-natted "$rc" 1
n=$(trace_count "$WORK/register-natted.msg.log" received '^SIP/2.0 200 ' "^Contact: <$contact>;expires=50\$")
[[ $n -ge 1 ]] || fail "the 200 to the REGISTER from behind a NAT does not grant 50 s (register-natted.msg.log)"

start_sipp natted-uas "$uas_port" -sf "$SCEN_DIR/uas.xml" -m "$calls" -timeout 60s \
    -trace_msg -message_file "$WORK/natted-uas.msg.log"
uas_pid=$SIPP_PID
rc=0
run_sipp natted-uac 60 -sf "$SCEN_DIR/uac.xml" "$PROXY_HOSTPORT" -s natted -key max_forwards 70 \
    -m "$calls" -r 10 -timeout 60s || rc=$?
check_calls natted-uac "$rc" "$calls"
rc=0
wait_pid "$uas_pid" 15 || rc=$?
check_calls natted-uas "$rc" "$calls"

n=$(trace_count "$WORK/natted-uas.msg.log" received "^INVITE $contact SIP/2.0\$")
[[ $n -ge $calls ]] ||
    fail "the UAS received $n INVITEs for $contact (want $calls) (natted-uas.msg.log)"
log "$calls calls reached the phone registered as $contact at its port $uas_port"

# --- dialogs: both ends' Contacts private -----------------------------------------------------
dialogs=$(( calls / 2 > 0 ? calls / 2 : 1 ))
# The test's scenarios with the Contacts a phone behind a NAT writes.
sed "s|Contact: <sip:\[local_ip\]:\[local_port\];transport=\[transport\]>|Contact: <$contact>|" \
    "$SCEN_DIR/uas.xml" >"$WORK/uas_natted.xml"
sed 's|Contact: <sip:sipp@\[local_ip\]:\[local_port\]>|Contact: <sip:sipp@127.0.0.8:[local_port]>|' \
    "$SCEN_DIR/uac_dialog.xml" >"$WORK/uac_natted.xml"
grep -q "Contact: <$contact>" "$WORK/uas_natted.xml" || fail "test setup: no private Contact in uas_natted.xml"
grep -q '127.0.0.8' "$WORK/uac_natted.xml" || fail "test setup: no private Contact in uac_natted.xml"
start_sipp dialog-uas "$uas_port" -sf "$WORK/uas_natted.xml" -m "$dialogs" -timeout 60s \
    -trace_msg -message_file "$WORK/dialog-uas.msg.log"
uas_pid=$SIPP_PID
rc=0
run_sipp dialog-uac 60 -sf "$WORK/uac_natted.xml" "$PROXY_HOSTPORT" -s natted -key max_forwards 70 \
    -m "$dialogs" -r 10 -timeout 60s -trace_msg -message_file "$WORK/dialog-uac.msg.log" || rc=$?
check_calls dialog-uac "$rc" "$dialogs"
rc=0
wait_pid "$uas_pid" 15 || rc=$?
check_calls dialog-uas "$rc" "$dialogs"
alias_re=';alias=[0-9.]+~[0-9]+~1>'
n=$(trace_count "$WORK/dialog-uas.msg.log" received '^INVITE ' "^Contact: <sip:sipp@127\.0\.0\.8:[0-9]+$alias_re")
[[ $n -ge $dialogs ]] || fail "$n INVITEs reached the UAS with the caller's Contact aliased (want $dialogs) (dialog-uas.msg.log)"
n=$(trace_count "$WORK/dialog-uac.msg.log" received '^SIP/2.0 200 ' "^Contact: <$contact$alias_re")
[[ $n -ge $dialogs ]] || fail "$n 200s reached the UAC with the callee's Contact aliased (want $dialogs) (dialog-uac.msg.log)"
for method in ACK BYE; do
  n=$(trace_count "$WORK/dialog-uas.msg.log" received "^$method $contact SIP/2.0\$")
  [[ $n -ge $dialogs ]] ||
      fail "the UAS received $n ${method}s for $contact, without the alias (want $dialogs) (dialog-uas.msg.log)"
done
proxy_alive || fail "the proxy died during the test"
stop_proxy
pass "$calls calls to a phone registered as $contact from its port $uas_port: reached there, its Contact the Request-URI; $dialogs dialogs between private Contacts: aliased both ways, ACK and BYE delivered"
