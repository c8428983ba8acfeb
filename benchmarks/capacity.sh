#!/usr/bin/env bash
# The capacity harness (issue 5): starts chat-server (Release) and measures, on this machine,
# memory per idle connection, fan-out latency at fixed loads, the highest clean delivery rate
# and REST throughput; then writes JSON + Markdown + HTML through chat-capacity-report.
#
#   benchmarks/capacity.sh [--build DIR] [--server BIN] [--out DIR] [--compare BASELINE.json]
#                          [--duration SECONDS] [--runs N] [--skip memory,fanout,step,rest]
#
# --build: a Release build directory (default build/perf) holding chat-server, chat-load,
# chat-idle-memory and chat-capacity-report. --server: measure another chat-server binary
# (a before/after comparison in one sitting). --runs N: repeat each measurement N times and
# report the median. Needs `ulimit -n 20000` (hard limit) and wrk (ci/install-deps.sh wrk).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build/perf
server_bin=
out=
compare=
duration=10
runs=1
skip=,
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --server) server_bin=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --compare) compare=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --skip) skip=,$2,; shift 2 ;;
    -h|--help) sed -n 2,13p "$0"; exit 0 ;;
    *) echo "capacity.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
server_bin=${server_bin:-$build/reference-server/chat-server}
out=${out:-$build/capacity}
load=$build/loadgen/chat-load
idle=$build/reference-server/chat-idle-memory
report=$build/benchmarks/chat-capacity-report
for bin in "$server_bin" "$load" "$idle" "$report"; do
  [ -x "$bin" ] || { echo "capacity.sh: $bin is missing; build $build first (Release)" >&2; exit 2; }
done
command -v wrk >/dev/null || { echo "capacity.sh: wrk is missing; run ci/install-deps.sh wrk" >&2; exit 2; }
ulimit -n 20000 2>/dev/null || { echo "capacity.sh: cannot raise the open-file limit to 20000 (hard limit $(ulimit -Hn))" >&2; exit 2; }

raw=$out/raw
rm -rf "$raw"
mkdir -p "$raw"
server_pid=
server_url=
log=$raw/server.log

start_server() {
  "$server_bin" --address 127.0.0.1 --port 0 --log-level warn >"$log" 2>&1 &
  server_pid=$!
  # Up to 30 s: a loaded machine can be slow to start a process.
  for _ in $(seq 600); do grep -qs listening "$log" && break; sleep 0.05; done
  server_url=$(sed -n 's/^chat-server listening on //p' "$log" | head -1)
  [ -n "$server_url" ] || { echo "capacity.sh: chat-server did not start:" >&2; cat "$log" >&2; exit 2; }
}
stop_server() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
}
trap stop_server EXIT
skipped() { case "$skip" in *,"$1",*) return 0 ;; *) return 1 ;; esac; }
say() { echo "capacity: $*" >&2; }

{
  echo "load_average=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "cores=$(nproc)"
  echo "server=$server_bin"
  echo "duration_s=$duration"
  echo "runs=$runs"
  echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
} >"$raw/environment.txt"

for run in $(seq "$runs"); do
  # Memory per idle connection: a fresh server each time, so nothing else is resident.
  if ! skipped memory; then
    for n in 10000 19000; do
      start_server
      say "run $run: idle memory with $n connections"
      "$idle" --pid "$server_pid" --url "$server_url" --clients "$n" --rooms 100 \
        >"$raw/idle-$n-run$run.txt" 2>&1 || true
      stop_server
    done
  fi

  start_server
  # Fan-out at fixed loads: 10 rooms x 100 clients, 10 senders per room.
  if ! skipped fanout; then
    for per_room in 100 200; do
      say "run $run: fan-out 10x100 at $per_room msg/s per room"
      "$load" run "$server_url" -q -c 1000 -r 10 -s 10 --rate $((per_room / 10)) \
        --arrival poisson -d "${duration}s" --warm-up 2s --message-size 128 -t 1 \
        --report-dir "$raw/fanout-$per_room-run$run" --format json >/dev/null 2>&1 || true
    done
  fi

  # The highest clean rate: step msg/s per room until delivery < 100% or p99 >= 50 ms.
  if ! skipped step; then
    for per_room in 50 100 200 300 400 500 600 700 800 1000 1200; do
      say "run $run: step 10x100 at $per_room msg/s per room"
      dir=$raw/step-$per_room-run$run
      "$load" run "$server_url" -q -c 1000 -r 10 -s 10 --rate $((per_room / 10)) \
        --arrival poisson -d "${duration}s" --warm-up 2s --message-size 128 -t 2 \
        --threshold 'delivery>=1' --threshold 'p99<50ms' \
        --report-dir "$dir" --format json >/dev/null 2>&1 && continue
      break # the first rate that fails (or is INVALID) ends the steps
    done
  fi

  stop_server

  # REST throughput on a fresh server (general plus one room with a full 100-message
  # history), so the listing is as small as the original's was.
  if ! skipped rest; then
    start_server
    say "run $run: filling a 100-message history"
    "$load" run "$server_url" -q -c 1 -r 1 -s 1 --rate 100 -d 2s --warm-up 0 \
      --room-prefix capacity-history >/dev/null 2>&1 || true
    say "run $run: wrk /api/rooms"
    wrk -t 1 -c 64 -d "${duration}s" "$server_url/api/rooms" >"$raw/wrk-rooms-run$run.txt" 2>&1 || true
    say "run $run: wrk history"
    wrk -t 1 -c 64 -d "${duration}s" "$server_url/api/rooms/capacity-history-0000/messages" \
      >"$raw/wrk-history-run$run.txt" 2>&1 || true
    curl -s "$server_url/api/rooms/capacity-history-0000/messages" >"$raw/history-body.json" 2>/dev/null || true
  fi
  stop_server
done

args=("$raw" --out "$out")
[ -n "$compare" ] && args+=(--compare "$compare")
"$report" "${args[@]}"
