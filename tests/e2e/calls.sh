#!/usr/bin/env bash
# 1,000 calls at 200 calls/s through the proxy, all of which must succeed.
#
# A sipp UAS registers as sip:uas@localhost (a one-shot REGISTER sent from the port it then
# listens on, so the Contact is its address), then a sipp UAC places the calls to
# sip:uas@PROXY_IP:PROXY_PORT: the proxy looks the user up and forwards INVITE, ACK and BYE to
# the UAS, and relays the responses back. Passes when the UAC exits 0 with E2E_CALLS successful and
# 0 failed calls in its statistics, and the UAS answered as many, and the proxy stops cleanly.
# With SIPWIRE_E2E_DIRECT=1 the UAC calls the UAS directly (harness self-check, no proxy).
#
# usage: tests/e2e/calls.sh BUILD_DIR    (E2E_CALLS, E2E_RATE: default 1000 calls, 200/s)
# shellcheck source=tests/e2e/lib.sh source-path=SCRIPTDIR/../..
source "$(dirname "$0")/lib.sh"
e2e_init "$@"

calls=${E2E_CALLS:-1000}
rate=${E2E_RATE:-200}
uas_port=""
free_udp_port uas_port

if direct_mode; then
    target=$(hostport "$LOOPBACK" "$uas_port")
else
    start_proxy
    register_user uas "$uas_port" 3600
    target=$PROXY_HOSTPORT
fi

# The UAS stops by itself after answering $calls calls (-m), or fails at -timeout.
start_sipp uas "$uas_port" -sf "$SCEN_DIR/uas.xml" -m "$calls" -timeout 60s
uas_pid=$SIPP_PID

# -l caps the calls open at once, so a stalled proxy shows up as failed calls, not a pile-up.
uac_rc=0
run_sipp uac 90 -sf "$SCEN_DIR/uac.xml" "$target" -s uas -key max_forwards 70 \
    -m "$calls" -r "$rate" -rp 1000 -l 400 -timeout 60s || uac_rc=$?
check_calls uac "$uac_rc" "$calls"

uas_rc=0
wait_pid "$uas_pid" 15 || uas_rc=$?
check_calls uas "$uas_rc" "$calls"

direct_mode || stop_proxy
pass "$calls calls at $rate/s to sip:uas@$target: all successful"
