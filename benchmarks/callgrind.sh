#!/usr/bin/env bash
# Instructions (callgrind Ir) a server spends per fan-out delivery and per GET /api/rooms:
# figures that repeat on a busy machine, where timed runs do not (issue 16). Each figure is a
# difference of two runs under callgrind, so start-up, connecting and the upgrade cancel out.
#
#   benchmarks/callgrind.sh [--build DIR] [--server BIN] [--out DIR]
#
# Delivery: 1 room x 100 clients, 2 senders at 10 msg/s each (2,000 deliveries/s, a lightly
# loaded server: one write per delivery), for 3 s and for 8 s. REST: 500 and 2,500 keep-alive
# GET /api/rooms. Prints "Ir per delivery" and "Ir per GET /api/rooms"; keeps the callgrind
# outputs in --out (default BUILD/callgrind) for callgrind_annotate. Needs valgrind and python3.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build/release
server_bin=
out=
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --server) server_bin=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n 2,11p "$0"; exit 0 ;;
    *) echo "callgrind.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
server_bin=${server_bin:-$build/reference-server/chat-server}
out=${out:-$build/callgrind}
load=$build/loadgen/chat-load
for bin in "$server_bin" "$load"; do
  [ -x "$bin" ] || { echo "callgrind.sh: $bin is missing; build it first (Release)" >&2; exit 2; }
done
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind is missing (apt-get install valgrind)" >&2; exit 2; }
mkdir -p "$out"
pid=

stop() {
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=
  fi
}
trap stop EXIT

# run NAME: the server under callgrind (one thread, so runs compare), URL in $url.
start() {
  local name=$1
  rm -f "$out/$name.out" "$out/$name.log"
  valgrind --tool=callgrind --callgrind-out-file="$out/$name.out" \
    "$server_bin" --address 127.0.0.1 --port 0 --threads 1 --log-level warn >"$out/$name.log" 2>&1 &
  pid=$!
  for _ in $(seq 1200); do grep -qs listening "$out/$name.log" && break; sleep 0.05; done
  url=$(sed -n 's/^.* listening on //p' "$out/$name.log" | head -1)
  [ -n "$url" ] || { echo "callgrind.sh: the server did not start:" >&2; cat "$out/$name.log" >&2; exit 2; }
}

# The total Ir of a finished callgrind run.
total_ir() { sed -n 's/^summary: *\([0-9]*\).*/\1/p; s/^totals: *\([0-9]*\).*/\1/p' "$1" | head -1; }

delivered=()
ir=()
for seconds in 3 8; do
  start "fanout-$seconds"
  timeout -k 5 120 "$load" run "$url" -q -c 100 -r 1 -s 2 --rate 10 -d "${seconds}s" --warm-up 1s \
    --report-dir "$out/fanout-$seconds" --format json >/dev/null 2>&1 || true
  stop
  delivered+=("$(python3 -c "import json,sys; t=json.load(open(sys.argv[1]))['totals']; print(t['delivered']+t['warmup_deliveries'])" "$out/fanout-$seconds/chat-load.json")")
  ir+=("$(total_ir "$out/fanout-$seconds.out")")
done
echo "Ir per delivery: $(( (ir[1] - ir[0]) / (delivered[1] - delivered[0]) )) ($((delivered[1] - delivered[0])) deliveries, ${ir[0]} / ${ir[1]} Ir)"

rest=()
for n in 500 2500; do
  start "rest-$n"
  timeout -k 5 120 python3 - "$url" "$n" <<'EOF'
import http.client, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
for _ in range(int(sys.argv[2])):
    c.request("GET", "/api/rooms")
    r = c.getresponse()
    r.read()
    assert r.status == 200
EOF
  stop
  rest+=("$(total_ir "$out/rest-$n.out")")
done
echo "Ir per GET /api/rooms: $(( (rest[1] - rest[0]) / 2000 )) (${rest[0]} / ${rest[1]} Ir)"
