#!/usr/bin/env bash
# The capacity harness (issues 5 and 16): starts chat-server (Release) and, in the same sitting,
# the raw fan-out baseline chat-fanout-baseline (the "limit": the cheapest broadcast server on
# the same sockets and wire protocol), and measures on this machine memory per idle connection,
# fan-out latency at fixed loads, the highest clean delivery rate and REST throughput; then
# chat-server's fan-out with --threads 1 and --threads 2; then writes JSON + Markdown + HTML
# through chat-capacity-report, each figure also as a ratio to the limit measured in the sitting.
#
#   benchmarks/capacity.sh [--build DIR] [--server BIN] [--out DIR] [--compare BASELINE.json]
#                          [--duration SECONDS] [--runs N] [--skip memory,fanout,step,rest,limit,threads]
#
# --build: a Release build directory (default build/perf) holding chat-server, chat-load,
# chat-idle-memory, chat-fanout-baseline and chat-capacity-report. --server: measure another
# chat-server binary (a before/after comparison in one sitting). --runs N: repeat each
# measurement N times and report the median; runs alternate chat-server and the limit, so
# both see the same machine. Every command has a deadline (timeout), so a hung server or
# client costs minutes, not the sitting. Needs `ulimit -n 20000` (hard limit) and wrk
# (ci/install-deps.sh wrk).
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
    -h|--help) sed -n 2,18p "$0"; exit 0 ;;
    *) echo "capacity.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
server_bin=${server_bin:-$build/reference-server/chat-server}
out=${out:-$build/capacity}
load=$build/loadgen/chat-load
idle=$build/reference-server/chat-idle-memory
report=$build/benchmarks/chat-capacity-report
limit_bin=$build/benchmarks/chat-fanout-baseline
for bin in "$server_bin" "$load" "$idle" "$report"; do
  [ -x "$bin" ] || { echo "capacity.sh: $bin is missing; build $build first (Release)" >&2; exit 2; }
done
ulimit -n 20000 2>/dev/null || { echo "capacity.sh: cannot raise the open-file limit to 20000 (hard limit $(ulimit -Hn))" >&2; exit 2; }

skipped() { case "$skip" in *,"$1",*) return 0 ;; *) return 1 ;; esac; }
say() { echo "capacity: $*" >&2; }
if ! skipped rest && ! command -v wrk >/dev/null; then
  echo "capacity.sh: wrk is missing; run ci/install-deps.sh wrk (or --skip rest)" >&2
  exit 2
fi
if ! skipped limit && [ ! -x "$limit_bin" ]; then
  echo "capacity.sh: $limit_bin is missing; build the target chat-fanout-baseline (or --skip limit)" >&2
  exit 2
fi

raw=$out/raw
rm -rf "$raw"
mkdir -p "$raw"
server_pid=
server_url=
log=$raw/server.log

# start_server BIN [ARGS...]: a fresh server on a free port; its URL in $server_url.
start_server() {
  local bin=$1
  shift
  "$bin" --address 127.0.0.1 --port 0 --log-level warn "$@" >"$log" 2>&1 &
  server_pid=$!
  # Up to 30 s: a loaded machine can be slow to start a process.
  for _ in $(seq 600); do grep -qs listening "$log" && break; sleep 0.05; done
  server_url=$(sed -n 's/^.* listening on //p' "$log" | head -1)
  [ -n "$server_url" ] || { echo "capacity.sh: $bin did not start:" >&2; cat "$log" >&2; exit 2; }
}
stop_server() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    # A server that ignores SIGTERM for 10 s is killed.
    for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
}
trap stop_server EXIT

# Deadlines: a load run gets its duration, warm-up and drain plus two minutes.
load_deadline=$((duration + 120))

# fanout DIR: 10 rooms x 100 clients, 10 senders per room, at $per_room msg/s per room.
fanout() {
  timeout -k 5 "$load_deadline" "$load" run "$server_url" -q -c 1000 -r 10 -s 10 \
    --rate $((per_room / 10)) --arrival poisson -d "${duration}s" --warm-up 2s \
    --message-size 128 -t 1 --report-dir "$1" --format json >/dev/null 2>&1 || true
}

# measure BIN DIR: every figure of one server into DIR (raw/ for chat-server, raw/limit/ for
# the baseline), run number $run.
measure() {
  local bin=$1 dir=$2
  mkdir -p "$dir"
  # Memory per idle connection: a fresh server each time, so nothing else is resident.
  if ! skipped memory; then
    for n in 10000 19000; do
      start_server "$bin"
      say "run $run: $(basename "$bin"): idle memory with $n connections"
      timeout -k 5 600 "$idle" --pid "$server_pid" --url "$server_url" --clients "$n" --rooms 100 \
        >"$dir/idle-$n-run$run.txt" 2>&1 || true
      stop_server
    done
  fi

  start_server "$bin"
  # Fan-out at fixed loads: 10 rooms x 100 clients, 10 senders per room.
  if ! skipped fanout; then
    for per_room in 100 200; do
      say "run $run: $(basename "$bin"): fan-out 10x100 at $per_room msg/s per room"
      fanout "$dir/fanout-$per_room-run$run"
    done
  fi

  # The highest clean rate: step msg/s per room until delivery < 100% or p99 >= 50 ms.
  if ! skipped step; then
    for per_room in 50 100 200 300 400 500 600 700 800 1000 1200; do
      say "run $run: $(basename "$bin"): step 10x100 at $per_room msg/s per room"
      timeout -k 5 "$load_deadline" "$load" run "$server_url" -q -c 1000 -r 10 -s 10 \
        --rate $((per_room / 10)) --arrival poisson -d "${duration}s" --warm-up 2s \
        --message-size 128 -t 2 --threshold 'delivery>=1' --threshold 'p99<50ms' \
        --report-dir "$dir/step-$per_room-run$run" --format json >/dev/null 2>&1 && continue
      break # the first rate that fails (or is INVALID) ends the steps
    done
  fi

  stop_server

  # REST throughput on a fresh server (general plus one room with a full 100-message
  # history), so the listing is as small as the original's was.
  if ! skipped rest; then
    start_server "$bin"
    say "run $run: $(basename "$bin"): filling a 100-message history"
    timeout -k 5 60 "$load" run "$server_url" -q -c 1 -r 1 -s 1 --rate 100 -d 2s --warm-up 0 \
      --room-prefix capacity-history >/dev/null 2>&1 || true
    say "run $run: $(basename "$bin"): wrk /api/rooms"
    timeout -k 5 $((duration + 30)) wrk -t 1 -c 64 -d "${duration}s" "$server_url/api/rooms" \
      >"$dir/wrk-rooms-run$run.txt" 2>&1 || true
    if [ "$bin" = "$server_bin" ]; then # the baseline keeps no history
      say "run $run: $(basename "$bin"): wrk history"
      timeout -k 5 $((duration + 30)) wrk -t 1 -c 64 -d "${duration}s" \
        "$server_url/api/rooms/capacity-history-0000/messages" \
        >"$dir/wrk-history-run$run.txt" 2>&1 || true
      curl -s -m 10 "$server_url/api/rooms/capacity-history-0000/messages" \
        >"$raw/history-body.json" 2>/dev/null || true
    fi
    stop_server
  fi
}

{
  echo "load_average=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "cores=$(nproc)"
  echo "server=$server_bin"
  skipped limit || echo "limit=$limit_bin"
  echo "duration_s=$duration"
  echo "runs=$runs"
  echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
} >"$raw/environment.txt"

for run in $(seq "$runs"); do
  measure "$server_bin" "$raw"
  skipped limit || measure "$limit_bin" "$raw/limit"
  # Scaling (issue 16 section 3): chat-server with one and with two event-loop threads at the
  # same load, 10x100 at 200 msg/s per room.
  if ! skipped threads; then
    for t in 1 2; do
      mkdir -p "$raw/threads-$t"
      start_server "$server_bin" --threads "$t"
      per_room=200
      say "run $run: chat-server --threads $t: fan-out 10x100 at $per_room msg/s per room"
      fanout "$raw/threads-$t/fanout-$per_room-run$run"
      stop_server
    done
  fi
done
echo "load_average_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$raw/environment.txt"

args=("$raw" --out "$out")
[ -n "$compare" ] && args+=(--compare "$compare")
"$report" "${args[@]}"
