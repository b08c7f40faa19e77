#!/usr/bin/env bash
# Scale benchmark, one command: `bash bench/scale.sh` (as root). Starts a
# throwaway PostgreSQL, then measures claims/s with 1, 4 and 16 claimers on
# SQLite and PostgreSQL (no job claimed twice) and two replicas against one.
set -euo pipefail
cd "$(dirname "$0")/.."
PROCTOR_TEST_POSTGRES=$(bash .ci/postgres.sh start)
export PROCTOR_TEST_POSTGRES
trap 'bash .ci/postgres.sh stop' EXIT
swift build -c release --product scale-bench >/dev/null
"$(swift build -c release --show-bin-path)/scale-bench"
