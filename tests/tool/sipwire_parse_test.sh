#!/usr/bin/env bash
# sipwire-parse as an operator runs it: verdicts, status codes and exit codes.
# usage: sipwire_parse_test.sh PATH/TO/sipwire-parse PATH/TO/tests/data
set -u
tool=$1 data=$2
fails=0 passes=0
check() {  # check NAME EXPECTED_EXIT PATTERN -- ARGS...
  local name=$1 want_rc=$2 pattern=$3; shift 4
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -eq "$want_rc" ] && grep -qE -- "$pattern" <<<"$out"; then
    passes=$((passes + 1))
  else
    echo "FAIL: $name (exit $rc, wanted $want_rc; pattern '$pattern')"; echo "$out" | head -20
    fails=$((fails + 1))
  fi
}

check valid-file 0 "valid request INVITE sip:vivekg@chair-dnrc.example.com" -- "$tool" "$data/rfc4475/wsinv.dat"
check forwards 0 "a proxy forwards it" -- "$tool" "$data/rfc4475/wsinv.dat"
check bad-version 1 "505 SIP version not supported \(line 1, column 34" -- "$tool" "$data/rfc4475/badvers.dat"
check answers-505 1 "a proxy answers SIP/2.0 505" -- "$tool" "$data/rfc4475/badvers.dat"
check response-dropped 1 "a proxy drops it" -- "$tool" "$data/rfc4475/bigcode.dat"
check zero-max-forwards 0 "a proxy answers SIP/2.0 483" -- "$tool" "$data/rfc4475/zeromf.dat"
check unsupported 0 "420 Bad Extension with Unsupported: noProxiesSupportThis, norDoAnyProxiesSupportThis" -- "$tool" "$data/rfc4475/bext01.dat"
check strict-date 0 "strict   400 Malformed Date" -- "$tool" "$data/rfc4475/baddate.dat"
check trailing-bytes 0 "450 bytes after the message are ignored" -- "$tool" "$data/rfc4475/dblreq.dat"
check stdin 0 "valid request OPTIONS sip:user@example.com" -- bash -c "\"$tool\" < \"$data/rfc4475/lwsdisp.dat\""
check mixed-files 1 "invalid" -- "$tool" "$data/rfc4475/wsinv.dat" "$data/rfc4475/ncl.dat"
check missing-file 2 "cannot read" -- "$tool" /nonexistent/file.sip
msg=$'OPTIONS sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nFrom: <sip:b@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n'
check stream-two 0 "stdin#2: valid request OPTIONS" -- bash -c "printf '%s\r\n\r\n%s' \"\$1\" \"\$1\" | \"$tool\" --stream" _ "$msg"
check stream-cut 1 "incomplete" -- bash -c "printf '%s' \"\${1:0:40}\" | \"$tool\" --stream" _ "$msg"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
