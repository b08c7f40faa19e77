#!/usr/bin/env bash
# Runs the tests exactly as CI does (`.ci/run` calls this): installs what they
# need, starts a throwaway PostgreSQL for the store's PostgreSQL cases and a
# one-node Slurm cluster for the Slurm backend's (and fails if either does not
# come up: no test may pass without running), runs `swift test`, and stops
# them again. Runs as root.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-dependencies.sh test

PROCTOR_TEST_POSTGRES=$(bash .ci/postgres.sh start) || { echo "scripts/test.sh: PostgreSQL did not start; its tests cannot be skipped" >&2; exit 1; }
export PROCTOR_TEST_POSTGRES
trap 'bash .ci/postgres.sh stop; bash .ci/slurm.sh stop' EXIT
PROCTOR_TEST_SLURM=$(bash .ci/slurm.sh start) || { echo "scripts/test.sh: Slurm did not start; its tests cannot be skipped" >&2; exit 1; }
export PROCTOR_TEST_SLURM
if ! su postgres -c "psql -h 127.0.0.1 -p 54329 -U postgres -tAc 'SELECT 1'" 2>/dev/null | grep -qx 1; then
  echo "scripts/test.sh: PostgreSQL at $PROCTOR_TEST_POSTGRES does not answer" >&2
  exit 1
fi
swift test "$@"
