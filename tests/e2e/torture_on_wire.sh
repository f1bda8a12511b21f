#!/usr/bin/env bash
# The RFC 4475 torture messages on the wire: every invalid request gets its status code from
# the proxy, the two malformed responses get nothing, and the proxy still answers afterwards
# (send_torture.py has the expectations and why). Also a bare LF in a request's header block
# (400), a request over max_message_size (513), and three CRLF keepalives, not answered and
# counted on the status line. E2E_TORTURE_ALL=1 also sends the valid messages, which the proxy
# routes off-host: only in an isolated network namespace.
#
# usage: tests/e2e/torture_on_wire.sh BUILD_DIR
# shellcheck source=tests/e2e/lib.sh source-path=SCRIPTDIR/../..
source "$(dirname "$0")/lib.sh"
e2e_init "$@"
direct_mode && skip "needs the proxy"
command -v python3 >/dev/null || skip "python3 not installed"

# The smallest max_message_size there is (every torture message the test expects an answer to
# is shorter): send_torture.py sends a request over it, which must get 513. It stays under the
# veth's 1,500-byte MTU, so that over DPDK it is one frame, and over sockets it is cut by the
# receive slot (one byte over the limit), as a longer one would be.
max_size=1024
export E2E_EXTRA_CONFIG="[limits]
max_message_size = $max_size"
start_proxy
extra=(--max-size "$max_size")
[[ ${E2E_TORTURE_ALL:-0} == 1 ]] && extra+=(--all)
rc=0
in_peer timeout --foreground -k 5 120 python3 "$E2E_DIR/send_torture.py" "$PROXY_IP" "$PROXY_PORT" \
    "$REPO_ROOT/tests/data/rfc4475" "${extra[@]}" >"$WORK/torture.log" 2>&1 || rc=$?
cat "$WORK/torture.log" >&2
((rc == 0)) || fail "$(grep -c '^FAIL' "$WORK/torture.log") torture check(s) failed (send_torture.py status $rc)"
proxy_alive || fail "proxy died during the torture messages"
status=$(proxy_status)
[[ $status == *" keepalives 3 "* ]] ||
    fail "the status line does not count the 3 CRLF keepalives send_torture.py sent: $status"
stop_proxy
pass "$(grep -c '^ok' "$WORK/torture.log") checks: invalid requests answered, responses dropped, proxy alive"
