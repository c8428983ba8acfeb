#!/usr/bin/env bash
# A deployment of three chat-server nodes on one NATS JetStream engine (SPEC.md "Deployments",
# issue #14), judged as one server:
#   cluster.sh --server BIN --conform BIN [--mutant-server BIN] [--report-dir DIR] CASE
#   suite       the whole chat-conform suite with the three endpoints passes
#   node-death  a node killed (SIGKILL) mid-run: the other nodes' clients are still served and
#               the counts drop its clients within NODE_EXPIRY_MS
#   mutant NAME the nodes run chat-server-mutant --mutant NAME; the three-endpoint run must fail
#               exactly the clauses the catalogue lists for NAME
# Everything runs on loopback: nats-server on a random port (-p -1, read from its ports file),
# its store in a temporary folder, the nodes on port 0. Every wait has a deadline. Exit 77
# (SKIP) only when nats-server is absent (ci/install-deps.sh installs it).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/test_server.sh"

server= conform= mutant_server= report_dir=
while [ $# -gt 0 ]; do
  case "$1" in
    --server) server=$2; shift 2 ;;
    --conform) conform=$2; shift 2 ;;
    --mutant-server) mutant_server=$2; shift 2 ;;
    --report-dir) report_dir=$2; shift 2 ;;
    *) break ;;
  esac
done
case_name=${1:?usage: cluster.sh --server BIN --conform BIN CASE}
mutant=${2:-}

if ! command -v nats-server >/dev/null; then
  echo "SKIP: nats-server is not installed (ci/install-deps.sh installs it)"
  exit 77
fi

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The engine: JetStream on, a random free client port, its store in $work.
nats-server -js -a 127.0.0.1 -p -1 -sd "$work/store" --ports_file_dir "$work" >"$work/nats.log" 2>&1 &
nats_pid=$!
pids+=("$nats_pid")
nats_url=
for _ in $(seq 100); do
  f=$(ls "$work"/*.ports 2>/dev/null | head -n1 || true)
  if [ -n "$f" ]; then
    nats_url=$(sed -n 's/.*"nats":\["\([^"]*\)".*/\1/p' "$f")
    [ -n "$nats_url" ] && break
  fi
  kill -0 "$nats_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$nats_url" ]; then
  echo "nats-server did not start within 10 s:" >&2
  cat "$work/nats.log" >&2
  exit 1
fi

# Three nodes. NODE_EXPIRY_MS (SPEC.md Deployments) is 3000.
bin=$server
node_args=()
if [ "$case_name" = mutant ]; then
  bin=$mutant_server
  node_args=(--mutant "$mutant")
fi
urls=() node_pids=()
for i in 0 1 2; do
  mkdir -p "$work/node$i"
  start_chat_server "$bin" "$work/node$i" --address 127.0.0.1 --cluster "$nats_url" "${node_args[@]}"
  pids+=("$server_pid")
  node_pids+=("$server_pid")
  urls+=("http://127.0.0.1:$port")
done
echo "engine $nats_url; nodes ${urls[*]}"

# The sanitizer presets run everything slower (CMakePresets.json sets the scale).
scale_args=()
[ -n "${CHAT_CONFORM_TIMEOUT_SCALE:-}" ] && scale_args=(--timeout-scale "$CHAT_CONFORM_TIMEOUT_SCALE")
report_args=(--no-report)
if [ -n "$report_dir" ]; then
  rm -rf "$report_dir"
  report_args=(--report-dir "$report_dir" --format json,md)
fi

case "$case_name" in
  suite)
    start=$(date +%s.%N)
    "$conform" run "${urls[@]}" -q "${report_args[@]}" "${scale_args[@]}"
    echo "the whole suite with 3 endpoints took $(python3 -c "print(round($(date +%s.%N) - $start, 2))") s"
    # Each node stops cleanly on SIGTERM (under the sanitizers: no leak, no use after free in
    # the backplane's teardown), within 10 s.
    for i in 0 1 2; do
      kill -TERM "${node_pids[$i]}"
      for _ in $(seq 100); do kill -0 "${node_pids[$i]}" 2>/dev/null || break; sleep 0.1; done
      if kill -0 "${node_pids[$i]}" 2>/dev/null; then
        echo "node $i did not stop within 10 s of SIGTERM" >&2
        exit 1
      fi
      set +e; wait "${node_pids[$i]}"; code=$?; set -e
      if [ "$code" -ne 0 ]; then
        echo "node $i exited $code after SIGTERM:" >&2
        tail -n 30 "$work/node$i/server.err" >&2
        exit 1
      fi
    done
    ;;
  node-death)
    python3 "$here/cluster_node_death.py" --kill-pid "${node_pids[2]}" --expiry-ms 3000 "${urls[@]}"
    ;;
  mutant)
    # The catalogue's clauses for this mutant; the run must fail exactly these.
    expected=$("$mutant_server" --list-mutants | python3 -c '
import json, sys
print(" ".join(sorted(json.load(sys.stdin)[sys.argv[1]]["breaks"])))
' "$mutant")
    set +e
    "$conform" run "${urls[@]}" -q --report-dir "$work/report" --format json "${scale_args[@]}"
    code=$?
    set -e
    got=$(python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
print(" ".join(sorted(c["id"] for c in doc["clauses"] if c["outcome"] in ("FAIL", "WARN"))))
' "$work/report/chat-conform.json")
    echo "expected: $expected"
    echo "failed:   $got"
    if [ "$code" -ne 1 ] || [ "$got" != "$expected" ]; then
      echo "mutant $mutant: exit code $code; the failed clauses are not exactly the catalogue's" >&2
      exit 1
    fi
    ;;
  *)
    echo "unknown case '$case_name' (suite, node-death, mutant NAME)" >&2
    exit 2
    ;;
esac
