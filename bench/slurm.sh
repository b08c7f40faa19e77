#!/usr/bin/env bash
# Slurm backend benchmark, one command: `bash bench/slurm.sh [JOBS]` (as root).
# The latency a job sees, from sending the submission to reading its verdict
# (polled every 10 ms), for the Iris demo solution run one at a time: by a
# `proctor-worker` on this machine (the baseline, measured in the same run),
# then by `proctor-worker --slurm` through the one-node Slurm cluster of
# `.ci/slurm.sh`, polling the queue every 5 s (the default) and every 0.5 s.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${1:-10}
for product in proctor proctor-service proctor-worker proctor-init; do
  swift build -c release --static-swift-stdlib --product "$product" >/dev/null
done
bin=$(swift build -c release --show-bin-path)
SLURM_CONF=$(bash .ci/slurm.sh start)
export SLURM_CONF
work=$(mktemp -d /tmp/proctor-slurmbench-XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; bash .ci/slurm.sh stop; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/competitions" "$work/spool"
cp -r examples/competitions/iris "$work/competitions/"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin/proctor" serve --data-dir "$work/data" --competitions "$work/competitions" --port "$port" --slots 0 \
  --max-queued 1000 >"$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
token() { "$bin/proctor" admin token create --data-dir "$work/data" --user "$1" --role "$2"; }
export PROCTOR_SERVER="http://127.0.0.1:$port" PROCTOR_TOKEN
PROCTOR_TOKEN=$(token bench user)
worker_token=$(token node worker)

measure() {  # $1: label; the worker runs already
  python3 - "$1" "$jobs" <<'PY'
import json, os, sys, time, statistics, urllib.request, uuid
label, count = sys.argv[1], int(sys.argv[2])
server, token = os.environ["PROCTOR_SERVER"], os.environ["PROCTOR_TOKEN"]
solution = open("examples/iris/solution.py", "rb").read()
def call(method, path, body=None, content_type=None):
    request = urllib.request.Request(server + path, data=body, method=method, headers={"Authorization": "Bearer " + token})
    if content_type: request.add_header("Content-Type", content_type)
    with urllib.request.urlopen(request) as answer: return json.load(answer)
latencies = []
for _ in range(count):
    boundary = uuid.uuid4().hex
    form = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"competition\"\r\n\r\niris\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"solution.py\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + solution + f"\r\n--{boundary}--\r\n".encode()
    started = time.monotonic()
    job = call("POST", "/v1/jobs", form, "multipart/form-data; boundary=" + boundary)
    while job["state"] not in ("succeeded", "failed", "timed_out", "cancelled", "errored"):
        time.sleep(0.01)
        job = call("GET", "/v1/jobs/" + job["id"])
    if job["state"] != "succeeded": sys.exit(f"{label}: a job ended {job['state']}: {job.get('error')}")
    latencies.append(time.monotonic() - started)
print(f"{label} {statistics.median(latencies):.3f} {min(latencies):.3f} {max(latencies):.3f}")
PY
}

run_with() {  # $1: label, then the worker's extra options
  local label=$1; shift
  "$bin/proctor-worker" --server "$PROCTOR_SERVER" --token "$worker_token" --competitions "$work/competitions" \
    --work-dir "$work/worker" --heartbeat 1 "$@" >"$work/$label.log" 2>&1 &
  local worker=$!
  pids+=("$worker")
  measure "$label" >>"$work/results"
  kill "$worker"; wait "$worker" 2>/dev/null || true
}

echo "== submission to verdict, Iris solution, $jobs jobs one at a time each"
run_with local
run_with slurm-poll-5s --slurm --spool "$work/spool" --max-jobs 1
run_with slurm-poll-0.5s --slurm --spool "$work/spool" --max-jobs 1 --slurm-poll 0.5
python3 - "$work/results" <<'PY'
import sys
rows = [line.split() for line in open(sys.argv[1])]
base = float(rows[0][1])
for label, median, low, high in rows:
    m = float(median)
    print(f"  {label:16s} median {m*1000:7.0f} ms (min {float(low)*1000:.0f}, max {float(high)*1000:.0f})   "
          f"added {1000*(m - base):+7.0f} ms   {m / base:.2f}x local")
PY
