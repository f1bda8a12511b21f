#!/usr/bin/env bash
# The example configs in configs/ start and do what their comments say.
#
# Each example is copied into the work directory and rewritten with sed only where it names a
# real network: the listen address 192.0.2.1 becomes 127.0.0.1 on a free port, `workers = 0`
# becomes 1 (one shard, as every e2e test), next hops become sipp UASs on 127.0.0.1, a users
# file path becomes one written here. Rules, domains and everything else stay as shipped. No
# example needs trusted_sources to be exercised from 127.0.0.1, so none is added. The proxy
# (sipwire-dataplane --config COPY) must print its "listening on udp" line, pass the checks,
# and exit 0 on SIGTERM.
#  1. registrar.toml (stateful registrar for example.com): a UAS registers as alice with a
#     REGISTER for example.com (register.xml) and a UAC calls sip:alice@PROXY_IP:PORT through
#     the proxy (uac.xml; the listen address counts as our domain too): 1 call successful. An
#     OPTIONS ping to the proxy is answered 200 (rule "options-ping"); an INVITE for alice with
#     User-Agent friendly-scanner is answered 403 (rule "scanners"; not an OPTIONS, which the
#     ping rule before it answers whatever the User-Agent).
#  2. load-balancer.toml (a call_id_hash set of two app servers for pbx.example): the two hops
#     are two sipp UASs; probe_interval_ms becomes 0, since sipp UASs do not answer OPTIONS
#     outside a scenario (they would be marked down). 20 calls to sip:svc@pbx.example
#     (uac_dialog_domain.xml) all succeed, each UAS gets at least one (Call-IDs are random: with
#     20 calls, one of them gets none with probability 2^-19) and every INVITE carries X-LB.
#  3. edge-proxy.toml (digest authentication, numbers to a carrier): the users file is written
#     by sipwire-passwd (alice); the carrier's gateways are two local ports, the first a UAS;
#     probing off as in 2. The authenticating UAC is digest_uac.py, not sipp: Debian's sipp
#     3.6 answers only MD5 challenges and takes the first, and sipwire offers SHA-256 first.
#     REGISTER with alice's password: 401, then 200 (answering the SHA-256 challenge, and again
#     the MD5 one); with a wrong password: 401, then 401 again. An INVITE without credentials
#     (sipp, invite_expect_407.xml): 407. alice's INVITE to +15551234567: 407, then with
#     Proxy-Authorization it reaches the first gateway with X-Edge: sipwire and without the
#     Proxy-Authorization, and the call completes (ACK and BYE in the dialog, through the
#     proxy's Record-Route, unchallenged).
#
# usage: tests/e2e/example_configs.sh BUILD_DIR
# shellcheck source=tests/e2e/lib.sh source-path=SCRIPTDIR/../..
source "$(dirname "$0")/lib.sh"
e2e_init "$@"
socket_backend_only
direct_mode && skip "needs the proxy (it runs the example configs)"
command -v python3 >/dev/null || skip "python3 not installed"

CONFIGS=$REPO_ROOT/configs
CFG=""

# example_config NAME SED_ARGS...: $WORK/NAME.toml, a copy of configs/NAME.toml listening on
# 127.0.0.1 on a free port with one worker, further rewritten by SED_ARGS (sed -e ...). Sets CFG,
# PROXY_IP, PROXY_PORT, PROXY_HOSTPORT. Fails when a rewrite did not apply (the example changed).
example_config() {
    local name=$1
    shift
    free_udp_port PROXY_PORT
    PROXY_IP=$LOOPBACK
    PROXY_HOSTPORT=$(hostport "$PROXY_IP" "$PROXY_PORT")
    CFG=$WORK/$name.toml
    sed -e 's/^address = "192\.0\.2\.1"$/address = "127.0.0.1"/' \
        -e 's/"192\.0\.2\.1"/"127.0.0.1"/g' \
        -e "s/^port = 5060\$/port = $PROXY_PORT/" \
        -e 's/^workers = 0\([ #]\|$\)/workers = 1\1/' \
        "$@" "$CONFIGS/$name.toml" >"$CFG"
    grep -q '^address = "127.0.0.1"$' "$CFG" || fail "$name.toml: no listen address 192.0.2.1 to rewrite"
    grep -q "^port = $PROXY_PORT\$" "$CFG" || fail "$name.toml: no port = 5060 to rewrite"
    grep -q '^workers = 1' "$CFG" || fail "$name.toml: no workers = 0 to rewrite"
    ! grep -n '192\.0\.2\.' "$CFG" >&2 || fail "$name.toml: a 192.0.2.x address left after the rewrite"
}

# must_contain FILE TEXT: the rewritten config has a line with TEXT (a rewrite applied).
must_contain() {
    grep -qF -- "$2" "$1" || fail "${1#"$WORK"/}: rewrite to '$2' did not apply (the example changed?)"
}

# start_example NAME: sipwire-dataplane --config $CFG, waits (10 s at most) for its "listening on
# udp" line. Output in $WORK/NAME.proxy.out and .err; lib.sh's stop_proxy reads sipwire.err, so
# that is a link to the latter.
start_example() {
    local name=$1 bin out err i
    bin=${SIPWIRE_DATAPLANE:-$BUILD_DIR/dataplane/sipwire-dataplane}
    [[ -x $bin ]] || fail "proxy binary not found: $bin (build it, or set SIPWIRE_DATAPLANE)"
    out=$WORK/$name.proxy.out
    err=$WORK/$name.proxy.err
    ln -sfn "$err" "$WORK/sipwire.err"
    "$bin" --config "$CFG" </dev/null >"$out" 2>"$err" &
    PROXY_PID=$!
    E2E_PIDS+=("$PROXY_PID")
    for ((i = 0; i < 100; i++)); do
        if grep -qsF "listening on udp $PROXY_HOSTPORT" "$out"; then
            log "$name: proxy pid $PROXY_PID: $(grep -m1 "listening on" "$out")"
            return 0
        fi
        kill -0 "$PROXY_PID" 2>/dev/null || { dump "$err"; fail "$name.toml: the proxy exited at startup (refused the config?)"; }
        sleep 0.1
    done
    dump "$out"
    dump "$err"
    fail "$name.toml: the proxy is not listening after 10 s"
}

# sip_request NAME TEXT: sends TEXT (CRLF line ends added) over UDP to the proxy from a free
# port and prints the first line of the first final response (2 s at most; "" if none).
sip_request() {
    local name=$1 port
    free_udp_port port
    printf '%s' "$2" >"$WORK/$name.sent"
    python3 - "$PROXY_IP" "$PROXY_PORT" "$port" "$WORK/$name.sent" "$WORK/$name.received" <<'EOF'
import socket, sys, time
ip, port, local, sent, received = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
text = open(sent).read().replace("@LOCAL@", f"{ip}:{local}").replace("@PROXY@", f"{ip}:{port}")
msg = "\r\n".join(text.split("\n")).encode()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((ip, local))
s.settimeout(0.2)
s.sendto(msg, (ip, port))
deadline, first = time.time() + 2, ""
with open(received, "wb") as log:
    while time.time() < deadline:
        try:
            data = s.recv(65535)
        except socket.timeout:
            continue
        log.write(data + b"\n----\n")
        line = data.split(b"\r\n", 1)[0].decode(errors="replace")
        if line.startswith("SIP/2.0 ") and not line.startswith("SIP/2.0 1"):
            first = line
            break
print(first)
EOF
}

# simple_request NAME METHOD USER USER_AGENT: METHOD sip:USER@PROXY (USER "": the proxy itself)
# without a body; prints the final response's status line.
simple_request() {
    local ruri="sip:${3:+$3@}@PROXY@"
    sip_request "$1" "$2 $ruri SIP/2.0
Via: SIP/2.0/UDP @LOCAL@;branch=z9hG4bK-$1-$RANDOM
From: <sip:e2e@@LOCAL@>;tag=$RANDOM
To: <$ruri>
Call-ID: $1-$RANDOM@127.0.0.1
CSeq: 1 $2
Contact: <sip:e2e@@LOCAL@>
Max-Forwards: 70
User-Agent: $4
Content-Length: 0

"
}

# digest NAME ARGS...: one digest_uac.py run (its output in NAME.out); must exit 0.
digest() {
    local name=$1
    shift
    timeout --foreground -k 5 30 python3 "$E2E_DIR/digest_uac.py" "$@" >"$WORK/$name.out" 2>&1 ||
        { dump "$WORK/$name.out"; fail "edge-proxy.toml: $name: $(tail -n 1 "$WORK/$name.out")"; }
    log "$name: $(grep -c '^received SIP/2.0 ' "$WORK/$name.out") responses, as expected"
}

# calls_at NAME: distinct Call-IDs of the INVITEs UAS NAME received.
calls_at() {
    trace_messages "$WORK/$1.msg.log" received '^INVITE ' | tr -d '\r' |
        awk 'tolower($0) ~ /^(call-id|i)[ \t]*:/ { print $2 }' | sort -u | grep -c . || true
}

# --- 1. registrar.toml ----------------------------------------------------------------------
example_config registrar
start_example registrar
port_uas=""
free_udp_port port_uas
rc=0
run_sipp reg_alice 40 -sf "$SCEN_DIR/register.xml" "$PROXY_HOSTPORT" -s alice \
    -key domain example.com -key expires 600 -p "$port_uas" -m 1 -timeout 30s \
    -trace_msg -message_file "$WORK/reg_alice.msg.log" || rc=$?
check_calls reg_alice "$rc" 1
start_sipp uas_alice "$port_uas" -sf "$SCEN_DIR/uas.xml" -m 1 -timeout 30s \
    -trace_msg -message_file "$WORK/uas_alice.msg.log"
pid_uas=$SIPP_PID
rc=0
run_sipp uac_alice 40 -sf "$SCEN_DIR/uac.xml" "$PROXY_HOSTPORT" -s alice \
    -key max_forwards 70 -m 1 -timeout 30s -trace_msg -message_file "$WORK/uac_alice.msg.log" || rc=$?
check_calls uac_alice "$rc" 1
rc=0; wait_pid "$pid_uas" 10 || rc=$?
check_calls uas_alice "$rc" 1
status=$(simple_request ping OPTIONS "" sipwire-e2e)
[[ $status == "SIP/2.0 200 "* ]] || fail "registrar.toml: OPTIONS ping answered '${status:-nothing}', want 200 (ping.received)"
status=$(simple_request scanner INVITE alice friendly-scanner)
[[ $status == "SIP/2.0 403 "* ]] || fail "registrar.toml: INVITE from friendly-scanner answered '${status:-nothing}', want 403 (scanner.received)"
stop_proxy
echo "registrar.toml: alice registered for example.com; a call to her through the proxy succeeded; OPTIONS ping 200; INVITE from friendly-scanner 403; exit 0 on SIGTERM"

# --- 2. load-balancer.toml ------------------------------------------------------------------
port_a="" port_b=""
free_udp_port port_a
free_udp_port port_b
example_config load-balancer \
    -e "s/\"192\\.0\\.2\\.20:5060\"/\"127.0.0.1:$port_a\"/" \
    -e "s/\"192\\.0\\.2\\.21:5060\"/\"127.0.0.1:$port_b\"/" \
    -e 's/^probe_interval_ms = [0-9]*/probe_interval_ms = 0/'
must_contain "$CFG" "\"127.0.0.1:$port_a\""
must_contain "$CFG" "\"127.0.0.1:$port_b\""
must_contain "$CFG" "probe_interval_ms = 0"
start_example load-balancer
calls=20
start_sipp app_a "$port_a" -sf "$SCEN_DIR/uas.xml" -m "$calls" -timeout 60s \
    -trace_msg -message_file "$WORK/app_a.msg.log"
pid_a=$SIPP_PID
start_sipp app_b "$port_b" -sf "$SCEN_DIR/uas.xml" -m "$calls" -timeout 60s \
    -trace_msg -message_file "$WORK/app_b.msg.log"
pid_b=$SIPP_PID
rc=0
run_sipp uac_lb 50 -sf "$SCEN_DIR/uac_dialog_domain.xml" "$PROXY_HOSTPORT" -s svc \
    -key domain pbx.example -key max_forwards 70 -m "$calls" -r 10 -l 5 -timeout 40s || rc=$?
check_calls uac_lb "$rc" "$calls"
sleep 0.5  # the last BYE's 200 is written to the UAS trace after it is sent
n_a=$(calls_at app_a)
n_b=$(calls_at app_b)
((n_a + n_b == calls)) || fail "load-balancer.toml: the app servers got $n_a + $n_b calls, want $calls"
((n_a >= 1 && n_b >= 1)) || fail "load-balancer.toml: calls not spread: $n_a and $n_b"
no_lb=$(trace_count "$WORK/app_a.msg.log" received '^INVITE ' '^X-LB: sipwire$')
no_lb=$((no_lb + $(trace_count "$WORK/app_b.msg.log" received '^INVITE ' '^X-LB: sipwire$')))
n_inv=$(($(trace_count "$WORK/app_a.msg.log" received '^INVITE ') + $(trace_count "$WORK/app_b.msg.log" received '^INVITE ')))
((no_lb == n_inv)) || fail "load-balancer.toml: $((n_inv - no_lb)) of $n_inv INVITEs without X-LB: sipwire"
kill -TERM "$pid_a" "$pid_b" 2>/dev/null || true
wait_pid "$pid_a" 5 || true
wait_pid "$pid_b" 5 || true
stop_proxy
echo "load-balancer.toml: $calls calls to pbx.example all succeeded, spread $n_a/$n_b by Call-ID, each INVITE with X-LB; exit 0 on SIGTERM"

# --- 3. edge-proxy.toml ---------------------------------------------------------------------
passwd=$BUILD_DIR/tools/sipwire-passwd
[[ -x $passwd ]] || fail "sipwire-passwd not found: $passwd (build it)"
users=$WORK/users
printf 'alice-secret\n' | "$passwd" --file "$users" --realm example.com --user alice \
    --password-stdin >"$WORK/passwd.out" 2>&1 || { dump "$WORK/passwd.out"; fail "sipwire-passwd failed"; }
port_gw1="" port_gw2="" port_phone=""
free_udp_port port_gw1
free_udp_port port_gw2
free_udp_port port_phone
example_config edge-proxy \
    -e "s|^users_file = \"/etc/sipwire/users\"|users_file = \"$users\"|" \
    -e "s/\"198\\.51\\.100\\.10:5060\"/\"127.0.0.1:$port_gw1\"/" \
    -e "s/\"198\\.51\\.100\\.11:5060\"/\"127.0.0.1:$port_gw2\"/" \
    -e 's/^probe_interval_ms = [0-9]*/probe_interval_ms = 0/'
must_contain "$CFG" "users_file = \"$users\""
must_contain "$CFG" "\"127.0.0.1:$port_gw1\""
must_contain "$CFG" "\"127.0.0.1:$port_gw2\""
must_contain "$CFG" "probe_interval_ms = 0"
start_example edge-proxy
digest reg_sha256 register "$PROXY_IP" "$PROXY_PORT" "$port_phone" example.com alice alice-secret
digest reg_md5 register "$PROXY_IP" "$PROXY_PORT" "$port_phone" example.com alice alice-secret \
    --algorithm MD5
port_wrong=""
free_udp_port port_wrong
digest reg_wrong register "$PROXY_IP" "$PROXY_PORT" "$port_wrong" example.com alice not-her-password \
    --expect 401
rc=0
run_sipp invite_noauth 40 -sf "$SCEN_DIR/invite_expect_407.xml" "$PROXY_HOSTPORT" \
    -s +15551234567 -key domain example.com -m 1 -timeout 30s \
    -trace_msg -message_file "$WORK/invite_noauth.msg.log" || rc=$?
check_calls invite_noauth "$rc" 1
start_sipp gw1 "$port_gw1" -sf "$SCEN_DIR/uas.xml" -m 1 -timeout 30s \
    -trace_msg -message_file "$WORK/gw1.msg.log"
pid_gw1=$SIPP_PID
port_caller=""
free_udp_port port_caller
digest invite_auth invite "$PROXY_IP" "$PROXY_PORT" "$port_caller" example.com alice alice-secret \
    +15551234567
rc=0; wait_pid "$pid_gw1" 10 || rc=$?
check_calls gw1 "$rc" 1
n=$(trace_count "$WORK/gw1.msg.log" received '^INVITE sip:\+15551234567@example\.com ' '^X-Edge: sipwire$')
[[ $n -ge 1 ]] || fail "edge-proxy.toml: the carrier's gateway got no INVITE with X-Edge: sipwire (gw1.msg.log)"
n=$(trace_count "$WORK/gw1.msg.log" received '^INVITE ' '^Proxy-Authorization:')
[[ $n == 0 ]] || fail "edge-proxy.toml: the phone's Proxy-Authorization reached the carrier (gw1.msg.log)"
stop_proxy
echo "edge-proxy.toml: REGISTER 401 then 200 with the password (SHA-256, and MD5), 401 again with a wrong one; INVITE without credentials 407; authenticated call to +15551234567 reached the first gateway with X-Edge, without Proxy-Authorization; exit 0 on SIGTERM"

pass "registrar.toml, load-balancer.toml and edge-proxy.toml start, serve their calls and stop cleanly"
