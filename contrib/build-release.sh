#!/usr/bin/env bash
# Builds the release binaries and installs them in PREFIX/bin (default
# /usr/local): proctor (small: `proctor run` itself, every other command
# through proctor-service beside it), proctor-service (service, CLI),
# proctor-worker (a node's worker, no database drivers) and proctor-init
# (static, runs inside each sandbox). Needs what scripts/install-dependencies.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:-/usr/local}
bash scripts/install-dependencies.sh demo
for product in proctor proctor-service proctor-worker proctor-init; do swift build -c release --product "$product"; done
bin=$(swift build -c release --show-bin-path)
install -d "$prefix/bin"
install -m 0755 "$bin/proctor" "$bin/proctor-service" "$bin/proctor-worker" "$bin/proctor-init" "$prefix/bin/"
echo "installed proctor, proctor-service, proctor-worker and proctor-init in $prefix/bin; systemd units are in contrib/"
