#!/usr/bin/env bash
# Reloading the server policy with SIGHUP: a good file takes effect without a restart; a file
# with a bad rule is refused with its file:line:column and the running policy stays in force.
#
# The proxy's config has a rule answering OPTIONS for sip:ping@... with 200 "Policy One".
#  1. OPTIONS sip:ping@PROXY is answered "200 Policy One".
#  2. The file is changed to answer "Policy Two" and given a regex Hyperscan refuses; SIGHUP:
#     the proxy says "reload refused" naming the file and the line of the bad rule, and still
#     answers "Policy One".
#  3. The bad rule is fixed, and the mode changed; SIGHUP: the proxy says it reloaded, that the
#     mode waits for a restart, and answers "Policy Two".
# Before each SIGHUP, `sipwire-dataplane --check` on the file, beside the running proxy, refuses
# the bad file with the same file:line and accepts the fixed one.
#
# usage: tests/e2e/reload.sh BUILD_DIR
# shellcheck source=tests/e2e/lib.sh source-path=SCRIPTDIR/../..
source "$(dirname "$0")/lib.sh"
e2e_init "$@"
direct_mode && skip "needs the proxy"
command -v python3 >/dev/null || skip "python3 is missing"

E2E_EXTRA_CONFIG='[[rule]]
name = "ping"
method = "OPTIONS"
ruri_user = "ping"
action = "reply"
code = 200
reason = "Policy One"'
E2E_MODE=stateful start_proxy
cfg=$WORK/sipwire-stateful.toml

# ping N: the status line of the answer to OPTIONS sip:ping@PROXY (branch N).
ping() {
    in_peer python3 - "$PROXY_IP" "$PROXY_PORT" "$1" <<'PY'
import os, socket, sys
local = os.environ.get("E2E_LOCAL_IP", "127.0.0.1")
ip, port, n = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((local, 0))
s.settimeout(5)
me = s.getsockname()[1]
s.sendto((f"OPTIONS sip:ping@{ip}:{port} SIP/2.0\r\nVia: SIP/2.0/UDP {local}:{me};branch=z9hG4bKping{n}\r\n"
          f"Max-Forwards: 70\r\nFrom: <sip:t@{local}>;tag=t{n}\r\nTo: <sip:ping@{ip}>\r\n"
          f"Call-ID: ping-{n}@{local}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode(), (ip, port))
print(s.recv(65535).decode("latin-1").split("\r\n", 1)[0])
PY
}

# wait_for FILE TEXT: up to 5 s for TEXT to appear in FILE.
wait_for() {
    local i
    for ((i = 0; i < 50; i++)); do
        grep -qs -- "$2" "$1" && return 0
        sleep 0.1
    done
    return 1
}

[[ $(ping 1) == "SIP/2.0 200 Policy One" ]] || fail "before any reload: '$(ping 1b)'"

sed -i 's/Policy One/Policy Two/' "$cfg"
cat >>"$cfg" <<'EOF2'

[[rule]]
name = "broken"
header = "User-Agent"
header_regex = "(a)\\1"
action = "reject"
code = 403
EOF2
bad_line=$(grep -n '^name = "broken"' "$cfg" | cut -d: -f1)
# What an operator runs before the SIGHUP says the same, beside the running proxy.
check_bin=${SIPWIRE_DATAPLANE:-$BUILD_DIR/dataplane/sipwire-dataplane}
rc=0
"$check_bin" --config "$cfg" --check >"$WORK/check.out" 2>&1 || rc=$?
if ((rc != 2)) || ! grep -q "$cfg:$((bad_line + 2)):" "$WORK/check.out"; then
    dump "$WORK/check.out"
    fail "--check on the bad file: exit $rc, not 2 with $cfg:$((bad_line + 2))"
fi
kill -HUP "$PROXY_PID"
wait_for "$WORK/sipwire.err" "reload refused" || { dump "$WORK/sipwire.err"; fail "no 'reload refused' after a bad file"; }
grep -q "$cfg:$((bad_line + 2)):" "$WORK/sipwire.err" ||
    { dump "$WORK/sipwire.err"; fail "the refusal does not name $cfg:$((bad_line + 2)) (the bad regex)"; }
log "bad file: $(grep 'reload refused' "$WORK/sipwire.err" | head -n 1)"
[[ $(ping 2) == "SIP/2.0 200 Policy One" ]] || fail "after a refused reload the policy changed"

sed -i 's/header_regex = "(a)\\\\1"/header_regex = "friendly-scanner"/' "$cfg"
sed -i 's/^mode = "stateful"/mode = "stateless"/' "$cfg"
"$check_bin" --config "$cfg" --check >"$WORK/check.out" 2>&1 ||
    { dump "$WORK/check.out"; fail "--check refuses the fixed file"; }
kill -HUP "$PROXY_PID"
wait_for "$WORK/sipwire.out" "reloaded the policy" || { dump "$WORK/sipwire.out"; dump "$WORK/sipwire.err"; fail "no reload after the file was fixed"; }
grep -q "reloaded the policy.*; not applied until a restart: mode$" "$WORK/sipwire.out" ||
    { dump "$WORK/sipwire.out"; fail "the reload does not say that the mode waits for a restart"; }
ok=""
for ((i = 0; i < 20; i++)); do  # the shards take the new policy up at their next tick
    [[ $(ping "3$i") == "SIP/2.0 200 Policy Two" ]] && { ok=1; break; }
    sleep 0.05
done
[[ -n $ok ]] || fail "after a good reload the answer is still '$(ping 4)'"

proxy_alive || fail "the proxy died"
stop_proxy
pass "SIGHUP: a bad rule was refused with its file:line and the old policy kept; the fixed file took effect, the mode change waits for a restart"
