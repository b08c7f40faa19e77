#!/usr/bin/env bash
# Environment benchmark, one command: `bash bench/environment.sh [RUNS]` (as root).
# (1) What a ready environment adds to a run: `proctor run -- /bin/true` with an
#     environment bound read-only at /env and PATH/VIRTUAL_ENV set, as jobs get it,
#     against the same run without (hyperfine, RUNS runs each).
# (2) A cold build of the digits demo's environment (numpy, scipy, scikit-learn) by a
#     node's worker, from the package index and from a wheelhouse, against a plain
#     `python3 -m venv` + `pip install --require-hashes` of the same file on the host.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-200}
command -v hyperfine >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null; }
for product in proctor proctor-service proctor-init; do swift build -c release --static-swift-stdlib --product "$product" >/dev/null; done
bin=$(swift build -c release --show-bin-path)
work=$(mktemp -d /tmp/proctor-envbench-XXXXXX)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
python=$(python3 -c 'import json; print(json.load(open("examples/competitions/digits/competition.json"))["environment"]["python"])')

echo "== (1) a ready environment's cost per run ($runs runs each)"
"/usr/bin/python$python" -m venv --without-pip "$work/env"
hyperfine -N --warmup 20 --runs "$runs" --export-json "$work/run.json" \
  -n without "$bin/proctor run --slot 0 --report /dev/null -- /bin/true" \
  -n with "$bin/proctor run --slot 0 --report /dev/null --bind $work/env:/env --env VIRTUAL_ENV=/env --env PATH=/env/bin:/usr/local/bin:/usr/bin:/bin -- /bin/true" \
  >/dev/null
python3 - "$work/run.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
a, b = r["without"], r["with"]
print(f"  without {a['median']*1000:6.2f} ms median ({a['mean']*1000:.2f} mean)   with /env {b['median']*1000:6.2f} ms median ({b['mean']*1000:.2f} mean)")
print(f"  added: {(b['median']-a['median'])*1000:+.2f} ms median, {(b['mean']-a['mean'])*1000:+.2f} ms mean; with/without = {b['median']/a['median']:.3f}x")
PY

echo "== (2) a cold build of the digits environment"
requirements=examples/competitions/digits/environment/requirements.txt
start=$(date +%s.%N)
"/usr/bin/python$python" -m venv "$work/host-venv"
"$work/host-venv/bin/pip" install -q --no-cache-dir --require-hashes --only-binary=:all: -r "$requirements"
baseline=$(python3 -c "import time; print(time.time() - $start)")
printf '  host venv + pip install (baseline): %.1f s\n' "$baseline"

# A node builds it: time from the worker's log ("environment ready … took=…").
build() {  # $1: label, then extra serve options
  local label=$1; shift
  local data="$work/data-$label"
  mkdir -p "$work/competitions-$label" && cp -r examples/competitions/digits "$work/competitions-$label/"
  "$bin/proctor" serve --data-dir "$data" --competitions "$work/competitions-$label" --port 0 --slots 1 "$@" 2>"$work/$label.log" >/dev/null &
  server=$!
  for _ in $(seq 1 1200); do
    grep -q "environment ready\|environment build failed" "$work/$label.log" && break
    sleep 0.5
  done
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
  local took
  took=$(grep -o 'took=[0-9.]* seconds' "$work/$label.log" | head -1 | tr -dc '0-9.')
  [ -n "$took" ] || { echo "  $label: the build did not finish:"; tail -5 "$work/$label.log"; return; }
  python3 -c "print(f'  node build, $label: {float(\"$took\"):.1f} s = {float(\"$took\") / $baseline:.2f}x the baseline')"
}
build "from-the-index"
"$bin/proctor" environment fetch --competitions examples/competitions --wheelhouse "$work/wheelhouse" >/dev/null
build "from-a-wheelhouse" --wheelhouse "$work/wheelhouse"
