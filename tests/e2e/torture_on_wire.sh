#!/usr/bin/env bash
# The RFC 4475 torture messages on the wire: every invalid request gets its status code from
# the proxy, the two malformed responses get nothing, and the proxy still answers afterwards
# (send_torture.py has the expectations and why). E2E_TORTURE_ALL=1 also sends the valid
# messages, which the proxy routes off-host: only in an isolated network namespace.
#
# usage: tests/e2e/torture_on_wire.sh BUILD_DIR
# shellcheck source=tests/e2e/lib.sh source-path=SCRIPTDIR/../..
source "$(dirname "$0")/lib.sh"
e2e_init "$@"
direct_mode && skip "needs the proxy"
command -v python3 >/dev/null || skip "python3 not installed"

start_proxy
extra=()
[[ ${E2E_TORTURE_ALL:-0} == 1 ]] && extra=(--all)
rc=0
in_peer timeout --foreground -k 5 120 python3 "$E2E_DIR/send_torture.py" "$PROXY_IP" "$PROXY_PORT" \
    "$REPO_ROOT/tests/data/rfc4475" "${extra[@]}" >"$WORK/torture.log" 2>&1 || rc=$?
cat "$WORK/torture.log" >&2
((rc == 0)) || fail "$(grep -c '^FAIL' "$WORK/torture.log") torture check(s) failed (send_torture.py status $rc)"
proxy_alive || fail "proxy died during the torture messages"
stop_proxy
pass "$(grep -c '^ok' "$WORK/torture.log") checks: invalid requests answered, responses dropped, proxy alive"
