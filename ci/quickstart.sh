#!/usr/bin/env bash
# Quick-start command 1: install what is missing, build, start the reference server on a free
# port and run the conformance suite against it; reports land in ./reports-out/.
set -euo pipefail
cd "$(dirname "$0")/.."

./ci/install-deps.sh
cmake --preset release
cmake --build --preset release --target chat-server chat-conform
exec ./ci/conform-gate.sh \
  --server-cmd "build/release/reference-server/chat-server --port 0 --log-level warn" \
  --conform build/release/conformance/chat-conform \
  --report-dir reports-out
