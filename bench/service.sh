#!/usr/bin/env bash
# Service benchmark, one command: `bash bench/service.sh [SECONDS]` (as root).
# Submissions/s, GET job req/s with p99, and end-to-end jobs/s, each against
# the same server's /healthz measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product proctor-init >/dev/null
swift build -c release --product service-bench >/dev/null
bin=$(swift build -c release --show-bin-path)
PROCTOR_INIT="$bin/proctor-init" "$bin/service-bench" "${1:-5}"
