#!/usr/bin/env bash
# `sipwire-dataplane --config FILE --check` as an operator runs it before a restart or a
# SIGHUP: it says whether a start would accept the configuration (with its [dpdk] section, the
# server policy and the users file) and exits, without binding anything; and `--version`.
# usage: dataplane_check_test.sh PATH/TO/sipwire-dataplane PATH/TO/configs
set -u
bin=$1 configs=$2
work=$(mktemp -d)
holder_pid=
cleanup() {
  [[ -n $holder_pid ]] && kill "$holder_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fails=0 passes=0
check() {  # check NAME EXPECTED_EXIT PATTERN -- ARGS...
  local name=$1 want_rc=$2 pattern=$3; shift 4
  local out rc
  out=$(timeout 20 "$@" 2>&1); rc=$?
  if [ "$rc" -eq "$want_rc" ] && grep -qE -- "$pattern" <<<"$out"; then
    passes=$((passes + 1))
  else
    echo "FAIL: $name (exit $rc, wanted $want_rc; pattern '$pattern')"; echo "$out" | head -20
    fails=$((fails + 1))
  fi
}

# --version: the build (version and source revision) and the libraries it runs with, no config.
check version 0 "^sipwire-dataplane [0-9]+\.[0-9]+\.[0-9]+ \(([0-9a-f]{7,}(-dirty)?|unknown)\), DPDK [0-9]+\.[0-9]+.*, Hyperscan [0-9]+\.[0-9]+.*, built with (g\+\+|clang) " \
  -- "$bin" --version

check default 0 "default.toml: configuration OK \(stateful, 1 worker, io socket, listen udp 127.0.0.1:5060; 0 routes" \
  -- "$bin" --config "$configs/default.toml" --check
check example-routes 0 "configuration OK \(stateless, 2 workers, io socket, listen udp 192.0.2.1:5060 udp \[2001:db8::1\]:5060; 2 routes" \
  -- "$bin" --config "$configs/stateless-example.toml" --check
check example-policy 0 "configuration OK .*1 destination set, 1 policy rule\)" \
  -- "$bin" --config "$configs/load-balancer.toml" --check

# What a start would refuse, refused the same way: file:line:column for the configuration.
printf 'mode = "bogus"\n' >"$work/bad-mode.toml"
check bad-value 2 "bad-mode.toml:1:8: mode \"bogus\" is not one of" \
  -- "$bin" --config "$work/bad-mode.toml" --check
cat >"$work/bad-rule.toml" <<'EOF'
[[listen]]
address = "127.0.0.1"

[[rule]]
name = "scanners"
header = "User-Agent"
header_regex = "(friendly-scanner"
action = "reject"
code = 403
reason = "Forbidden"
EOF
check bad-rule 2 "bad-rule.toml:7:16: rule\[0\].header_regex .* is not a regular expression" \
  -- "$bin" --config "$work/bad-rule.toml" --check
# The users file is read as a start reads it.
sed "s|^users_file = .*|users_file = \"$work/no-such-users\"|" "$configs/edge-proxy.toml" >"$work/edge.toml"
grep -q "^users_file = \"$work/no-such-users\"" "$work/edge.toml" || { echo "FAIL: edge-proxy.toml has no users_file line"; exit 1; }
check missing-users 2 "no-such-users: cannot open the users file" \
  -- "$bin" --config "$work/edge.toml" --check
printf 'alice example.com MD5 939e7578ed9e3c518a452acee763bce9\n' >"$work/users"
sed "s|^users_file = .*|users_file = \"$work/users\"|" "$configs/edge-proxy.toml" >"$work/edge-ok.toml"
check users 0 "edge-ok.toml: configuration OK" -- "$bin" --config "$work/edge-ok.toml" --check
printf 'alice example.com MD5 nothex\n' >"$work/bad-users"
sed "s|^users_file = .*|users_file = \"$work/bad-users\"|" "$configs/edge-proxy.toml" >"$work/edge-bad.toml"
check bad-users 2 "bad-users:1: " -- "$bin" --config "$work/edge-bad.toml" --check
# --io dpdk checks the [dpdk] section too (and starts no EAL: this runs without hugepages).
check dpdk-no-port 2 "refused: --io dpdk needs \[dpdk\] port" \
  -- "$bin" --config "$configs/default.toml" --check --io dpdk
cat >"$work/dpdk.toml" <<'EOF'
io = "dpdk"

[[listen]]
address = "10.99.0.2"

[dpdk]
port = "net_null0"
EOF
check dpdk 0 "configuration OK \(stateful, 1 worker, io dpdk, listen udp 10.99.0.2:5060;" \
  -- "$bin" --config "$work/dpdk.toml" --check

# It binds nothing: with the listen port held by another socket a start fails, the check not.
port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf '[[listen]]\naddress = "127.0.0.1"\nport = %s\n' "$port" >"$work/held.toml"
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
time.sleep(60)' "$port" &
holder_pid=$!
for _ in $(seq 50); do
  ss -uln | grep -q "127.0.0.1:$port " && break
  sleep 0.1
done
check held-port-start 1 "cannot start" -- "$bin" --config "$work/held.toml" --status-interval 0
check held-port-check 0 "held.toml: configuration OK" -- "$bin" --config "$work/held.toml" --check

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
