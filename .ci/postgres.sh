#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on 127.0.0.1:54329 for the tests and
# prints the URL to use (PROCTOR_TEST_POSTGRES). `bash .ci/postgres.sh stop` stops it.
set -euo pipefail
dir=/tmp/proctor-postgres
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
if [ "${1:-start}" = stop ]; then
  su postgres -c "$bin/pg_ctl -D $dir/data stop -m fast" >/dev/null 2>&1 || true
  exit 0
fi
su postgres -c "$bin/pg_ctl -D $dir/data stop -m fast" >/dev/null 2>&1 || true
rm -rf "$dir"
mkdir -p "$dir"
chown postgres "$dir"
su postgres -c "$bin/initdb -D $dir/data -A trust -U postgres" >/dev/null
su postgres -c "$bin/pg_ctl -D $dir/data -o '-p 54329 -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300' -l $dir/log start -w" >/dev/null
echo "postgres://postgres@127.0.0.1:54329/postgres"
