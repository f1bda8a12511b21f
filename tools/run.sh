#!/usr/bin/env bash
# Quick-start command 1: install what is missing, build, and start sipwire.
#
# Until the proxy engine lands (issue "Step 2"), the product's main job is the parser: this
# parses the SIP messages given as files (or on stdin) and prints what it finds, or the defect
# with the status code a proxy answers. With no arguments and a terminal on stdin it parses the
# RFC 4475 torture messages as a demonstration.
#
#   sudo ./tools/run.sh                      # the demonstration
#   sudo ./tools/run.sh capture1.sip ...     # your own messages, one per file
#   ./tools/run.sh < message.sip             # one message on stdin
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/install-deps.sh
if [ ! -f build/build.ninja ]; then
  meson setup build --buildtype=release >/dev/null
fi
ninja -C build tools/sipwire-parse >/dev/null

if [ $# -eq 0 ] && [ -t 0 ]; then
  echo "sipwire: no messages given; parsing the RFC 4475 torture messages (tests/data/rfc4475)."
  echo "Give files as arguments, or a message on stdin, to parse your own."
  echo
  exec build/tools/sipwire-parse tests/data/rfc4475/*.dat
fi
exec build/tools/sipwire-parse "$@"
