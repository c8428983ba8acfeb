#!/usr/bin/env bash
# Churn soak: starts chat-server (--port 0), runs chat-load's churn pool for CYCLES
# connect/join/leave cycles next to steady measured traffic, and checks that the server comes
# back to where it was: every room listed with 0 clients (rooms themselves persist, ROOM-5),
# as many open descriptors as at the start, resident memory within 10% of its value after a
# warm-up run of the same scenario. Prints every figure; exits 0 when all hold, 1 when one does
# not, 2 when the soak could not run.
#
#   loadgen/tools/soak.sh SERVER_BIN CHAT_LOAD_BIN [CYCLES] [-- extra chat-load run options]
#
# Environment: SOAK_WARMUP_CYCLES (default CYCLES/10, at least 1000), SOAK_POOL (churning
# clients, default 64), SOAK_OUT (results directory, default a temporary one), SOAK_RSS_CHECK
# (1; 0 reports resident memory without judging it, for sanitizer builds).
set -euo pipefail

say() { echo "soak: $*" >&2; }
if [ $# -lt 2 ]; then
    say "usage: soak.sh SERVER_BIN CHAT_LOAD_BIN [CYCLES] [-- chat-load run options]"
    exit 2
fi
server_bin=$1 load_bin=$2
shift 2
cycles=1000000
if [ $# -gt 0 ] && [ "$1" != "--" ]; then cycles=$1; shift; fi
[ $# -gt 0 ] && [ "$1" = "--" ] && shift
extra=("$@")
case "$cycles" in ''|*[!0-9]*|0) say "CYCLES must be a positive whole number (got '$cycles')"; exit 2 ;; esac
warm=${SOAK_WARMUP_CYCLES:-$((cycles / 10 > 1000 ? cycles / 10 : 1000))}
pool=${SOAK_POOL:-64}
out=${SOAK_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/chat-soak.XXXXXX")}
mkdir -p "$out"
command -v python3 > /dev/null || { say "python3 is needed for the REST checks"; exit 2; }

# The server, its first line read through a pipe (bounded), its stderr in a file.
coproc SERVER { exec "$server_bin" --address 127.0.0.1 --port 0 --log-level error 2> "$out/server.err"; }
server_pid=$SERVER_PID
stop_server() {
    if kill -0 "$server_pid" 2> /dev/null; then
        kill -TERM "$server_pid" 2> /dev/null || true
        wait "$server_pid" 2> /dev/null || true
    fi
}
trap stop_server EXIT
line=""
if ! read -r -t 10 line <&"${SERVER[0]}"; then
    say "chat-server printed no 'listening on' line within 10 s: $(cat "$out/server.err")"
    exit 2
fi
url=$(grep -o 'http://[^ ]*' <<< "$line" || true)
[ -n "$url" ] || { say "cannot read the URL from: $line"; exit 2; }

fds() { find "/proc/$server_pid/fd" -mindepth 1 -maxdepth 1 | wc -l; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status"; }
# "ROOMS CLIENTS": rooms listed and their clients in total (GET /api/rooms).
rooms() {
    python3 - "$url" << 'PY'
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + "/api/rooms", timeout=5) as r:
    rooms = json.load(r)["data"]["rooms"]
print(len(rooms), sum(room["clients"] for room in rooms))
PY
}
# Waits (bounded, SETTLE_MS-style) until every room shows 0 clients and, if given, the
# descriptors are back to $1; polls 5 times a second for up to 10 s.
settle() {
    local want_fds=${1:-} i
    for i in $(seq 1 50); do
        read -r _ clients <<< "$(rooms)"
        if [ "$clients" = 0 ] && { [ -z "$want_fds" ] || [ "$(fds)" -le "$want_fds" ]; }; then
            return 0
        fi
        sleep 0.2
    done
    return 0
}

load() { # NAME CYCLES
    "$load_bin" run "$url" --quiet --room-prefix soak --clients 100 --rooms 10 \
        --senders-per-room 1 --rate 10 --message-size 128 --duration 1h --warm-up 0s \
        --lifetime 5s --churn-pool "$pool" --churn-rooms 200 --churn-send 0.5 \
        --churn-cycles "$2" --max-cpu 1 --max-loop-lag 5s --max-schedule-lag 5s \
        --threshold 'errors==0' --threshold 'delivery>=0.999' \
        --report-dir "$out" --report-name "$1" --format json "${extra[@]}"
}
total() { # NAME COUNTER
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"][sys.argv[2]])' \
        "$out/$1.json" "$2"
}

fds_start=$(fds)
rss_start=$(rss_kb)
say "server $url (pid $server_pid): $fds_start fds, RSS $rss_start kB; warm-up $warm cycles"
warm_rc=0
load warm-up "$warm" > "$out/warm-up.txt" || warm_rc=$?
settle "$fds_start"
fds_warm=$(fds)
rss_warm=$(rss_kb)
say "after warm-up (exit $warm_rc): $fds_warm fds, RSS $rss_warm kB; soak $cycles cycles"

t0=$(date +%s.%N)
soak_rc=0
load soak "$cycles" > "$out/soak.txt" || soak_rc=$?
t1=$(date +%s.%N)
settle "$fds_start"
fds_end=$(fds)
rss_end=$(rss_kb)
read -r rooms_after clients_after <<< "$(rooms)"
done_cycles=$(total soak churn_cycles)
failed_cycles=$(total soak churn_cycle_failures)
delivered=$(total soak delivered)
expected=$(total soak expected)
errors=$(total soak errors)
seconds=$(python3 -c "print(f'{$t1 - $t0:.1f}')")
rate=$(python3 -c "print(f'{$done_cycles / ($t1 - $t0):.0f}')")
rss_pct=$(python3 -c "print(f'{($rss_end - $rss_warm) * 100 / $rss_warm:+.1f}')")

echo "cycles:             $done_cycles done, $failed_cycles failed (asked $cycles; warm-up $warm)"
echo "duration:           $seconds s ($rate cycles/s, pool $pool)"
echo "steady traffic:     $delivered of $expected deliveries, errors $errors (chat-load exit $soak_rc)"
echo "open fds:           start $fds_start, after warm-up $fds_warm, end $fds_end"
echo "resident memory:    start $rss_start kB, after warm-up $rss_warm kB, end $rss_end kB ($rss_pct% vs warm-up)"
echo "rooms after:        $rooms_after rooms, $clients_after clients in total"
echo "results:            $out"

fail=0
check() { if ! eval "$1"; then say "FAILED: $2"; fail=1; fi; }
check '[ "$warm_rc" = 0 ]' "the warm-up run exited $warm_rc (see $out/warm-up.txt)"
check '[ "$soak_rc" = 0 ]' "the soak run exited $soak_rc (see $out/soak.txt)"
check '[ "$done_cycles" -ge "$cycles" ]' "only $done_cycles of $cycles cycles completed"
check '[ "$clients_after" = 0 ]' "$clients_after clients still listed in GET /api/rooms"
check '[ "$fds_end" = "$fds_start" ]' "open fds $fds_end at the end, $fds_start at the start"
if [ "${SOAK_RSS_CHECK:-1}" = 1 ]; then
    check 'python3 -c "import sys; sys.exit(abs($rss_end - $rss_warm) * 10 > $rss_warm)"' \
        "RSS $rss_end kB is not within 10% of $rss_warm kB (after warm-up)"
else
    say "resident memory reported, not judged (SOAK_RSS_CHECK=0: a sanitizer build keeps freed memory in quarantine)"
fi
[ "$fail" = 0 ] && echo "soak: PASS" || echo "soak: FAIL"
exit "$fail"
