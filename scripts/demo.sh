#!/usr/bin/env bash
# A newcomer's first command: installs what the build needs, builds, and
# starts the service on the demo competitions with the embedded SQLite
# database in ./data, printing a token for a user 'demo' and the lines to
# paste to submit. Extra arguments go to `proctor serve` (e.g. --port 9000).
# The sandbox needs root (namespaces, cgroups): run it as root.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-dependencies.sh demo
if [ "$(id -u)" -ne 0 ]; then
  echo "proctor serve runs each job in a sandbox made of namespaces and cgroups, which needs root: run this as root." >&2
  exit 1
fi
swift build --product proctor --product proctor-service --product proctor-init
exec .build/debug/proctor serve --demo --data-dir ./data --competitions ./examples/competitions "$@"
