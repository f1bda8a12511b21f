#!/usr/bin/env bash
# Digest authentication over the wire, SHA-256 (RFC 7616, RFC 8760), and the no-open-relay
# default of the server policy.
#
# Debian's sipp 3.6 has no SHA-256 digest and answers only the first challenge it is offered,
# so SHA-256 is proven with the project's own client (digest_client.py), and MD5 with sipp's
# [authentication] against a proxy configured to offer MD5 first ([auth] algorithms).
# The proxy (stateful) challenges every REGISTER, registers authenticated ones, and has no
# trusted sources; alice's credentials are written by tools/sipwire-passwd. Checks:
#  - alice's REGISTER is challenged 401 offering SHA-256 first, then MD5; answered with
#    SHA-256 and the right password it gets 200;
#  - the same Authorization sent again (same nonce and nonce-count: a replay) is refused
#    (challenged again);
#  - a wrong password is refused (401 again);
#  - an INVITE for a domain that is not ours, from this untrusted and unauthenticated source,
#    gets 403 (no open relay), also with our own Route pre-loaded; a REGISTER with our Route
#    pre-loaded is challenged like any other; a BYE for example.net that claims a dialog of
#    ours (a To tag and our Route, unsigned or with a made-up signature) gets 403 too: only a
#    Route our Record-Route signed for its Call-ID lets a request skip the policy;
#  - then, with algorithms = ["MD5", "SHA-256"]: sipp registers alice with MD5 (401, then 200),
#    and with a wrong password gets 401 twice.
#
# usage: tests/e2e/auth.sh BUILD_DIR
# shellcheck source=tests/e2e/lib.sh source-path=SCRIPTDIR/../..
source "$(dirname "$0")/lib.sh"
e2e_init "$@"
direct_mode && skip "needs the proxy (it authenticates)"
command -v python3 >/dev/null || skip "python3 is missing"
passwd=$BUILD_DIR/tools/sipwire-passwd
[[ -x $passwd ]] || fail "sipwire-passwd not built: $passwd"

printf 'lion king\n' | "$passwd" --file "$WORK/users" --realm localhost --user alice \
    --password-stdin >/dev/null || fail "sipwire-passwd could not write the users file"
grep -q 'lion king' "$WORK/users" && fail "the users file holds the password itself"

E2E_EXTRA_CONFIG="[auth]
users_file = \"$WORK/users\"
realm = \"localhost\"

[[rule]]
name = \"register-challenge\"
method = \"REGISTER\"
action = \"challenge\"

[[rule]]
name = \"register\"
method = \"REGISTER\"
authenticated = true
action = \"register\""
E2E_MODE=stateful start_proxy

client() { in_peer python3 "$E2E_DIR/digest_client.py" "$PROXY_IP" "$PROXY_PORT" localhost "$@"; }

out=$(client alice 'lion king' --nc-replay) || fail "digest client failed: $out"
mapfile -t lines <<<"$out"
[[ ${lines[0]} == "401 SHA-256,MD5" ]] || fail "first answer '${lines[0]}' (want a 401 offering SHA-256, then MD5)"
[[ ${lines[1]} == "200" ]] || fail "SHA-256 REGISTER with the right password answered '${lines[1]}' (want 200)"
[[ ${lines[2]} == "401" ]] || fail "the replayed Authorization was answered '${lines[2]}' (want 401)"
log "SHA-256: challenged 401 (SHA-256, MD5), registered 200, replay refused 401"

out=$(client alice 'wrong password') || fail "digest client failed: $out"
mapfile -t lines <<<"$out"
[[ ${lines[1]} == "401" ]] || fail "a wrong password was answered '${lines[1]}' (want 401)"
log "wrong password: 401"

# Each probe prints the first final answer: an INVITE for another domain, the same with our own
# Route pre-loaded (as a phone with us as outbound proxy sends it: that must not skip the
# policy), a REGISTER with our Route pre-loaded (still challenged), and two BYEs for another
# domain that claim a dialog of ours with a To tag and our Route, one without our signature and
# one with a made-up one (no Record-Route of ours signed them: decided by the policy).
probes=$(in_peer python3 - "$PROXY_IP" "$PROXY_PORT" <<'PY'
import os, socket, sys
local = os.environ.get("E2E_LOCAL_IP", "127.0.0.1")
ip, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((local, 0))
s.settimeout(5)
me = s.getsockname()[1]
ours = f"Route: <sip:{ip}:{port};lr>\r\n"
forged = f"Route: <sip:{ip}:{port};lr;sw=0123456789abcdef>\r\n"
for n, (method, ruri, to, route) in enumerate([
        ("INVITE", "sip:bob@example.net", "<sip:bob@example.net>", ""),
        ("INVITE", "sip:bob@example.net", "<sip:bob@example.net>", ours),
        ("REGISTER", "sip:localhost", "<sip:alice@localhost>", ours),
        ("BYE", "sip:bob@example.net", "<sip:bob@example.net>;tag=d1", ours),
        ("BYE", "sip:bob@example.net", "<sip:bob@example.net>;tag=d1", forged)]):
    s.sendto((f"{method} {ruri} SIP/2.0\r\nVia: SIP/2.0/UDP {local}:{me};branch=z9hG4bKrelay{n}\r\n"
              f"{route}Max-Forwards: 70\r\nFrom: <sip:mallory@example.org>;tag=m1\r\nTo: {to}\r\n"
              f"Call-ID: relay-{n}@{local}\r\nCSeq: 1 {method}\r\nContact: <sip:mallory@{local}:{me}>\r\n"
              "Content-Length: 0\r\n\r\n").encode(), (ip, port))
    while True:
        first = s.recv(65535).decode("latin-1").split("\r\n", 1)[0]
        if not first.startswith("SIP/2.0 1"):
            print(first)
            break
PY
) || fail "relay probes failed"
mapfile -t relay <<<"$probes"
[[ ${relay[0]} == "SIP/2.0 403 "* ]] || fail "an unauthenticated INVITE for example.net was answered '${relay[0]}' (want 403)"
[[ ${relay[1]} == "SIP/2.0 403 "* ]] ||
  fail "an unauthenticated INVITE for example.net with our Route pre-loaded was answered '${relay[1]}' (want 403)"
[[ ${relay[2]} == "SIP/2.0 401 "* ]] ||
  fail "a REGISTER without credentials with our Route pre-loaded was answered '${relay[2]}' (want 401)"
for k in 3 4; do
  [[ ${relay[$k]} == "SIP/2.0 403 "* ]] ||
    fail "a BYE for example.net with a To tag and our Route $([[ $k == 3 ]] && echo unsigned || echo with a made-up signature) was answered '${relay[$k]}' (want 403)"
done
log "relay attempts: ${relay[0]}; with our Route pre-loaded: ${relay[1]}; REGISTER with it: ${relay[2]}; BYEs claiming our dialog: ${relay[3]}, ${relay[4]}"

proxy_alive || fail "the proxy died"
stop_proxy

# --- MD5 with sipp's [authentication], MD5 offered first -----------------------------------
E2E_EXTRA_CONFIG=${E2E_EXTRA_CONFIG/realm = \"localhost\"/realm = \"localhost\"
algorithms = [\"MD5\", \"SHA-256\"]}
grep -q 'algorithms' <<<"$E2E_EXTRA_CONFIG" || fail "test setup: no algorithms line"
E2E_MODE=stateful start_proxy
rc=0
run_sipp sipp_md5 30 -sf "$SCEN_DIR/register_auth.xml" "$PROXY_HOSTPORT" -s alice \
    -key domain localhost -au alice -ap 'lion king' -m 1 -timeout 20s \
    -trace_msg -message_file "$WORK/sipp_md5.msg.log" || rc=$?
check_calls sipp_md5 "$rc" 1
grep -q 'algorithm=MD5' "$WORK/sipp_md5.msg.log" || fail "sipp's answer is not MD5 (sipp_md5.msg.log)"
rc=0
run_sipp sipp_wrong 30 -sf "$SCEN_DIR/register_auth_refused.xml" "$PROXY_HOSTPORT" -s alice \
    -key domain localhost -au alice -ap 'not the password' -m 1 -timeout 20s || rc=$?
check_calls sipp_wrong "$rc" 1
log "MD5 (sipp): registered with the password, 401 again with a wrong one"
proxy_alive || fail "the proxy died"
stop_proxy
pass "SHA-256 (own client) and MD5 (sipp) digest REGISTER accepted; replay and wrong passwords refused; open relay refused 403"
