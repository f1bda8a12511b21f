#!/usr/bin/env bash
# sipwire against Kamailio, the proxy operators compare it with: the same sipp load through
# each, one at a time, on loopback, and the CPU time each proxy spent per call.
#
# Both run as a stateful proxy and registrar with one UDP worker, Record-Route on the INVITE,
# and an in-memory location service: a sipp UAS registers as sip:uas@localhost, then a sipp
# UAC places CALLS calls (INVITE, 100, 180, 200, ACK, BYE, 200: 7 messages through the proxy,
# 4 requests and 3 responses) at RATE calls/s to sip:uas@127.0.0.1. The figure is the proxy's
# CPU time (user + system, all its processes, from /proc) divided by the calls; a proxy that
# keeps up at this rate shows it as "failed 0". CPU per call, unlike a maximum rate, does not
# depend on how much CPU sipp itself takes on this 2-core machine.
#
# usage: bench/vs_kamailio.sh [BUILD_DIR] [CALLS] [RATE]     (default: build 20000 2000)
# Installs kamailio and sip-tester if missing (apt-get, as root). Debian's kamailio package
# would start its own service on port 5060 (where sipwire's quick start listens): the install
# here keeps it from starting, and disables it. Exits non-zero when any call failed (the
# figures of a run that did not carry its calls measure nothing).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
calls=${2:-20000}
rate=${3:-2000}
bin=$build/dataplane/sipwire-dataplane
[[ -x $bin ]] || { echo "build $bin first: ninja -C $build" >&2; exit 1; }
missing=()
command -v kamailio >/dev/null || missing+=(kamailio)
command -v sipp >/dev/null || missing+=(sip-tester)
if ((${#missing[@]})); then
  # policy-rc.d 101: "action forbidden", honoured by invoke-rc.d and deb-systemd-invoke.
  created_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    created_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null || true
  ((created_policy)) && rm -f /usr/sbin/policy-rc.d
  if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
    systemctl disable --now kamailio >/dev/null 2>&1 || true
  fi
  command -v kamailio >/dev/null && command -v sipp >/dev/null ||
    { echo "could not install ${missing[*]}" >&2; exit 1; }
fi
any_failed=0

scen=tests/e2e/scenarios
work=$(mktemp -d /tmp/vs_kamailio.XXXXXX)
proxy_port=5960 uas_port=5970 uac_port=5980
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  pkill -f "kamailio -f $work/" 2>/dev/null || true
}
trap cleanup EXIT

# CPU ticks "user system" of a process and its children (Kamailio's workers are children of
# its main process).
cpu_ticks() {
  local user=0 sys=0 pid u s
  for pid in $1 $(pgrep -P "$1" 2>/dev/null || true); do
    [[ -r /proc/$pid/stat ]] || continue
    # fields 14 and 15 (utime, stime), counted after the ")" that ends the command name
    read -r u s < <(sed 's/.*) //' "/proc/$pid/stat" | awk '{print $12, $13}')
    user=$((user + u)) sys=$((sys + s))
  done
  echo "$user $sys"
}

wait_udp() {  # wait_udp PORT: until something listens on 127.0.0.1:PORT
  for _ in $(seq 100); do
    ss -uln | grep -q "127.0.0.1:$1 " && return 0
    sleep 0.1
  done
  echo "nothing listens on udp 127.0.0.1:$1" >&2
  return 1
}

start_sipwire() {
  cat >"$work/sipwire.toml" <<EOF
mode = "stateful"
workers = 1
record_route = true
domains = ["localhost"]

[[listen]]
address = "127.0.0.1"
port = $proxy_port
transport = "udp"
EOF
  "$bin" --config "$work/sipwire.toml" >"$work/sipwire.out" 2>&1 &
  proxy_pid=$!
  pids+=("$proxy_pid")
  wait_udp "$proxy_port"
}

start_kamailio() {
  local modules
  modules=$(dirname "$(find /usr/lib -name tm.so -path '*kamailio*' | head -n 1)")
  cat >"$work/kamailio.cfg" <<EOF
#!KAMAILIO
debug=0
log_stderror=yes
memdbg=5
memlog=5
children=1
disable_tcp=yes
auto_aliases=no
listen=udp:127.0.0.1:$proxy_port
alias="localhost"
mpath="$modules/"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "siputils.so"
loadmodule "textops.so"
modparam("usrloc", "db_mode", 0)

request_route {
  if (!mf_process_maxfwd_header("70")) { sl_send_reply("483", "Too Many Hops"); exit; }
  if (is_method("REGISTER")) { save("location"); exit; }
  if (is_method("CANCEL")) { if (t_check_trans()) t_relay(); exit; }
  if (has_totag() && loose_route()) { t_relay(); exit; }
  if (!lookup("location")) { sl_send_reply("404", "Not Found"); exit; }
  if (is_method("INVITE")) record_route();
  if (!t_relay()) sl_reply_error();
}
EOF
  kamailio -f "$work/kamailio.cfg" -DD -E -m 256 -M 16 >"$work/kamailio.out" 2>&1 &
  proxy_pid=$!
  pids+=("$proxy_pid")
  wait_udp "$proxy_port"
}

# stat_column FILE HEADER: the last row's value in the column named HEADER of a sipp
# -trace_stat file (';'-separated, a header row first).
stat_column() {
  awk -F';' -v h="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == h) c = i } END { print $c }' "$1"
}

# run_load NAME: registers the UAS, runs the calls, prints one table row.
run_load() {
  local name=$1 before after ticks_per_s uas_pid rc=0 ok failed u0 s0 u1 s1
  (cd "$work" && sipp -sf "$OLDPWD/$scen/register.xml" "127.0.0.1:$proxy_port" -s uas \
    -key domain localhost -key expires 3600 -i 127.0.0.1 -p "$uas_port" -m 1 -timeout 20s \
    >/dev/null 2>&1) || { echo "$name: the UAS could not register" >&2; return 1; }
  (cd "$work" && exec sipp -sf "$OLDPWD/$scen/uas.xml" -i 127.0.0.1 -p "$uas_port" \
    -m "$calls" -timeout 120s >/dev/null 2>&1) &
  uas_pid=$!
  pids+=("$uas_pid")
  wait_udp "$uas_port"
  before=$(cpu_ticks "$proxy_pid")
  (cd "$work" && sipp -sf "$OLDPWD/$scen/uac.xml" "127.0.0.1:$proxy_port" -s uas \
    -key max_forwards 70 -i 127.0.0.1 -p "$uac_port" -m "$calls" -r "$rate" -rp 1000 \
    -l 2000 -timeout 120s -trace_stat -stf "$work/$name.stat.csv" >/dev/null 2>&1) || rc=$?
  after=$(cpu_ticks "$proxy_pid")
  wait "$uas_pid" 2>/dev/null || true
  ticks_per_s=$(getconf CLK_TCK)
  ok=$(stat_column "$work/$name.stat.csv" 'SuccessfulCall(C)')
  failed=$(stat_column "$work/$name.stat.csv" 'FailedCall(C)')
  read -r u0 s0 <<<"$before"
  read -r u1 s1 <<<"$after"
  awk -v n="$name" -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v hz="$ticks_per_s" -v c="$calls" \
    -v ok="$ok" -v f="$failed" -v rc="$rc" 'BEGIN {
      us = (u + s) / hz * 1e6 / c
      printf "%-10s %8d %8s %8s %12.1f %10.1f %10.1f %14.0f %6d\n", n, c, ok, f, us,
        u / hz * 1e6 / c, s / hz * 1e6 / c, (us > 0 ? 1e6 / us : 0), rc }'
  [[ $rc == 0 && $failed == 0 && $ok == "$calls" ]] || any_failed=1
  kill "$proxy_pid" 2>/dev/null || true
  wait "$proxy_pid" 2>/dev/null || true
  pkill -f "kamailio -f $work/" 2>/dev/null || true
  sleep 1
}

echo "$calls calls at $rate/s through each proxy (sipp UAC -> proxy -> sipp UAS, loopback)"
printf '%-10s %8s %8s %8s %12s %10s %10s %14s %6s\n' proxy calls ok failed "CPU us/call" \
  "user us" "system us" "calls/s/core" sipp_rc
start_sipwire
run_load sipwire
start_kamailio
run_load kamailio
echo "(work files: $work)"
if ((any_failed)); then
  echo "some calls failed: the CPU figures above do not describe a proxy carrying its load" >&2
  exit 1
fi
