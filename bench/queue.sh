#!/usr/bin/env bash
# Queue-depth benchmark, one command: `bash bench/queue.sh`. Claim, submit,
# queue, list and get-job latency through a real server on SQLite at 1k, 10k
# and 100k queued jobs over 100 users, and with 1M finished jobs in the history,
# each as a ratio to the same call at 1k queued.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product queue-bench >/dev/null
"$(swift build -c release --show-bin-path)/queue-bench"
