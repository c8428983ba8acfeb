#!/usr/bin/env bash
# Runs one scenario as N local chat-load worker processes aligned on a shared --start-at, then
# merges their results exactly (the same thing the Kubernetes Indexed Job does across pods).
#
#   loadgen/tools/local-workers.sh N URL [chat-load run options...]
#
# Environment: CHAT_LOAD (the binary; default build/load/loadgen/chat-load), OUT (result
# directory; default ./chat-load-workers), START_DELAY_MS (default 3000).
# Exit code: the merge's (0 pass, 1 a threshold violated, 2 harness error or invalid run).
set -euo pipefail

if [[ $# -lt 2 ]]; then
    echo "usage: $0 N URL [chat-load run options...]" >&2
    exit 2
fi
n=$1
url=$2
shift 2
if ! [[ $n =~ ^[1-9][0-9]*$ ]]; then
    echo "$0: N must be a positive integer (got '$n')" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")/../.." && pwd)
chat_load=${CHAT_LOAD:-$here/build/load/loadgen/chat-load}
out=${OUT:-./chat-load-workers}
if [[ ! -x $chat_load ]]; then
    echo "$0: $chat_load is not an executable; build it or set CHAT_LOAD" >&2
    exit 2
fi
mkdir -p "$out"
rm -f "$out"/worker-*.json

# Every worker starts at the same wall-clock time.
start_at=$(( $(date +%s%3N) + ${START_DELAY_MS:-3000} ))
pids=()
for (( i = 0; i < n; i++ )); do
    "$chat_load" run "$url" "$@" --worker "$i/$n" --start-at "$start_at" --quiet \
        --report-dir "$out" --report-name "worker-$i" --format json \
        > "$out/worker-$i.txt" 2> "$out/worker-$i.err" &
    pids+=($!)
done
status=0
for (( i = 0; i < n; i++ )); do
    if wait "${pids[$i]}"; then code=0; else code=$?; fi
    echo "worker $i/$n exited $code (summary: $out/worker-$i.txt)" >&2
    if (( code == 2 )) && [[ ! -s $out/worker-$i.json ]]; then
        cat "$out/worker-$i.err" >&2
        status=2
    fi
done
if (( status != 0 )); then
    echo "$0: a worker failed before writing its result; nothing to merge" >&2
    exit 2
fi

files=()
for (( i = 0; i < n; i++ )); do files+=("$out/worker-$i.json"); done
exec "$chat_load" merge "${files[@]}" --report-dir "$out" --report-name merged
