#!/usr/bin/env bash
# Renders the kill matrix: every chat-server-mutant variant against chat-conform, as a Markdown
# table (mutant -> clause it breaks -> checks that killed it -> exit code -> verdict).
#
#   conformance/tools/kill-matrix.sh [BUILD_DIR] [OUT.md]
#
# BUILD_DIR defaults to build/release; OUT.md to BUILD_DIR/kill-matrix.md. Exit 0 when every
# mutant is killed by a check mapped to a clause it breaks (and every legal variant passes).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build/release}"
out="${2:-$build/kill-matrix.md}"
for bin in conformance/chat-conform reference-server/chat-server reference-server/chat-server-mutant; do
    if [ ! -x "$build/$bin" ]; then
        echo "kill-matrix: $build/$bin is missing; build chat-conform, chat-server and chat-server-mutant first" >&2
        exit 2
    fi
done
exec python3 "$root/conformance/test/mutation_selftest.py" \
    --conform "$build/conformance/chat-conform" \
    --server "$build/reference-server/chat-server" \
    --mutant-server "$build/reference-server/chat-server-mutant" \
    --work-dir "$build/kill-matrix" \
    matrix --jobs 2 --out "$out"
