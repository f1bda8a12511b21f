#!/usr/bin/env bash
# Two workers, transaction-stateful: datagrams handed over to the worker whose shard owns them.
#
# The proxy runs with mode = "stateful" and workers = 2 (E2E_WORKERS; with E2E_BACKEND=dpdk the
# net_af_packet port gets 2 queue pairs, E2E_DPDK_QPAIRS), whatever E2E_MODE says. A sipp UAS
# registers as sip:uas@localhost, then a sipp UAC places 200 calls at 100/s with one UDP socket
# per call (sipp -t un), so the calls come from 200 source ports and spread over both workers
# (SO_REUSEPORT's hash, or the NIC's RSS), while the UAS answers them all from its one port:
# about half of its responses reach the worker that does not own the call's transaction and
# must be handed over. Requests go by Call-ID, so a call's ACK and BYE, read by one worker, reach
# the owner in order (by branch, a BYE could overtake its ACK and the UAS aborted the call).
# Passes when all 200 calls succeed at the UAC and the UAS, the proxy's status line (SIGUSR1)
# says "handovers out N" with N > 0, and the proxy stops cleanly.
#
# usage: tests/e2e/two_workers.sh BUILD_DIR
# shellcheck source=tests/e2e/lib.sh source-path=SCRIPTDIR/../..
source "$(dirname "$0")/lib.sh"
e2e_init "$@"
direct_mode && skip "needs the proxy"

calls=200
E2E_WORKERS=2 E2E_DPDK_QPAIRS=2 E2E_MODE=stateful start_proxy
uas_port=""
free_udp_port uas_port
register_user uas "$uas_port" 3600
start_sipp uas "$uas_port" -sf "$SCEN_DIR/uas.xml" -m "$calls" -timeout 60s
uas_pid=$SIPP_PID

# -max_socket: sipp's default (50,000 sockets) is refused above the open-files limit.
rc=0
run_sipp uac 90 -sf "$SCEN_DIR/uac.xml" "$PROXY_HOSTPORT" -s uas -key max_forwards 70 \
    -t un -max_socket 1000 -m "$calls" -r 100 -l 200 -timeout 60s || rc=$?
# A UAC failure often starts at the UAS (a request it did not expect): show its side too.
[[ $rc -eq 0 ]] || dump "$WORK/uas.errors.log"
check_calls uac "$rc" "$calls"
rc=0
wait_pid "$uas_pid" 15 || rc=$?
check_calls uas "$rc" "$calls"

status=$(proxy_status)
[[ -n $status ]] || fail "no status line from the proxy after SIGUSR1 (sipwire.out)"
log "$status"
out=$(sed -n 's/.* handovers out \([0-9][0-9]*\) .*/\1/p' <<<"$status")
[[ -n $out ]] || fail "no 'handovers out N' in the status line: $status"
((out > 0)) || fail "handovers out 0: no datagram reached the worker that does not own its transaction ($status)"
exhausted=$(sed -n 's/.* scratch-exhausted \([0-9][0-9]*\)$/\1/p' <<<"$status")
[[ $exhausted == 0 ]] ||
  fail "scratch-exhausted '${exhausted}' in the status line, want 0 (no answer dropped): $status"

stop_proxy
pass "$calls calls through 2 stateful workers, all successful; $out datagrams handed over between workers"
