#!/usr/bin/env bash
# The data plane's code has no `rep stos` / `rep movs` outside its start-up functions.
# usage: no_rep_string_ops_test.sh PATH/TO/sipwire-dataplane
#
# Why: GCC's generic tuning zeroes and copies structures of a few hundred bytes with them, and
# each one starts up in tens of cycles on current AMD and Intel cores. On the per-message path
# they cost 10% of the data plane's time, and callgrind counts one as a single instruction, so
# no instruction count shows them coming back. meson.build's -mmemset-strategy and
# -mmemcpy-strategy keep the compiler from emitting them for known sizes up to 1 KiB; this
# test fails if one reappears (a larger structure, a new flag, another compiler), naming the
# function. Start-up code may keep them: add such a function to `allowed`, with its reason.
set -u
binary=$1
command -v objdump >/dev/null || { echo "objdump is missing (binutils)"; exit 1; }
[ -x "$binary" ] || { echo "no binary at $binary"; exit 1; }

# Run once, before any message: process start, configuration, opening the backends.
allowed='^(main|sipwire::dataplane::(Socket|Dpdk)Backend::open\(.*|sipwire::load_config.*|sipwire::auth::parse_users_file\(.*)$'

listing=$(objdump -d --no-show-raw-insn -C "$binary" | awk '
  /^[0-9a-f]+ <.*>:$/ { ++functions; fn = substr($0, index($0, "<") + 1); sub(/>:$/, "", fn); next }
  /\trep[a-z ]* (stos|movs)/ { print "rep " fn }
  END { print "functions " functions + 0 }')
functions=$(sed -n 's/^functions //p' <<<"$listing")
[ "${functions:-0}" -gt 100 ] || { echo "FAIL: objdump listed ${functions:-no} functions"; exit 1; }
found=$(sed -n 's/^rep //p' <<<"$listing" | sort -u)

bad=$(grep -vE "$allowed" <<<"$found" || true)
if [ -n "$bad" ]; then
  echo "FAIL: rep stos/movs in functions outside start-up:"
  echo "$bad"
  exit 1
fi
echo "ok: no rep stos/movs outside start-up ($(grep -c . <<<"$found") start-up function(s) keep some)"
