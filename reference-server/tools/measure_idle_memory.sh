#!/usr/bin/env bash
# Resident memory of chat-server with N idle clients vs none. Usage:
#   reference-server/tools/measure_idle_memory.sh BUILD_DIR [CLIENTS] [ROOMS]
# BUILD_DIR is a (Release) build directory holding reference-server/chat-server and
# reference-server/chat-idle-memory.
set -euo pipefail
build=${1:?usage: measure_idle_memory.sh BUILD_DIR [CLIENTS] [ROOMS]}
clients=${2:-5000}
rooms=${3:-1}
ulimit -n 20000
out=$(mktemp)
"$build/reference-server/chat-server" --address 127.0.0.1 --port 0 --log-level warn >"$out" &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 50); do grep -q listening "$out" && break; sleep 0.1; done
url=$(sed -n 's/^chat-server listening on //p' "$out")
sleep 0.5
"$build/reference-server/chat-idle-memory" --pid "$server" --url "$url" --clients "$clients" \
  --rooms "$rooms"
