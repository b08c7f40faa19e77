#!/usr/bin/env bash
# Sandbox benchmark, one command: `bash bench/sandbox.sh [RUNS]` (as root).
# (1) /bin/true under `proctor run` against a bare exec, bubblewrap and firejail;
# (2) in one process, sandboxed runs against plain spawns; (3) kill latency;
# (4) the cost of copying back a workspace of 1,000 small files.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-200}
need=()
command -v bwrap >/dev/null || need+=(bubblewrap)
command -v firejail >/dev/null || need+=(firejail)
command -v hyperfine >/dev/null || need+=(hyperfine)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
swift build -c release --static-swift-stdlib --product proctor >/dev/null
swift build -c release --static-swift-stdlib --product proctor-init >/dev/null
swift build -c release --static-swift-stdlib --product sandbox-bench >/dev/null
bin=$(swift build -c release --show-bin-path)

echo "== (1) one /bin/true from the command line (hyperfine, $runs runs each)"
hyperfine -N --warmup 20 --runs "$runs" --export-json /tmp/proctor-bench.json \
  -n bare '/bin/true' \
  -n bubblewrap 'bwrap --unshare-all --ro-bind / / --dev /dev --proc /proc -- /bin/true' \
  -n firejail 'firejail --quiet --noprofile /bin/true' \
  -n proctor "$bin/proctor run --slot 0 --report /dev/null -- /bin/true" >/dev/null 2>&1 || true
python3 - <<'PY'
import json
results = {r["command"]: r for r in json.load(open("/tmp/proctor-bench.json"))["results"]}
proctor = results["proctor"]
print(f"  {'':11s} {'median':>10s} {'mean':>18s}   proctor/baseline (median, mean)")
for name, r in results.items():
    failed = " (failed on this machine)" if any(c != 0 for c in r.get("exit_codes", [0])) else ""
    print(f"  {name:11s} {r['median']*1000:7.2f} ms {r['mean']*1000:7.2f} ms ± {r['stddev']*1000:5.2f}"
          f"   {proctor['median'] / r['median']:.2f}x, {proctor['mean'] / r['mean']:.2f}x{failed}")
PY

echo "== (2), (3) and (4)"
"$bin/sandbox-bench" "$runs"
