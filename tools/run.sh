#!/usr/bin/env bash
# Quick-start command 1: install what is missing, build, and start sipwire in the foreground
# on its embedded default configuration (configs/default.toml: UDP on 127.0.0.1:5060, domain
# localhost, registrar + stateless proxy). Ctrl-C stops it. A status line prints every second.
#
#   sudo ./tools/run.sh                         # the default configuration
#   sudo ./tools/run.sh --config my.toml        # another one (see configs/default.toml)
#
# Register a phone as sip:USER@localhost at 127.0.0.1:5060, then call sip:OTHER@localhost.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/install-deps.sh
if [ ! -f build/build.ninja ]; then
  meson setup build --buildtype=release >/dev/null
fi
ninja -C build dataplane/sipwire-dataplane tools/sipwire-parse >/dev/null

args=("$@")
if [ ${#args[@]} -eq 0 ]; then
  args=(--config configs/default.toml)
fi
exec build/dataplane/sipwire-dataplane "${args[@]}"
