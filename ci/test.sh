#!/usr/bin/env bash
# Quick-start command 2: install what is missing, build, and run every test (ctest).
# Usage: ./ci/test.sh [PRESET]   (default: release; see CMakePresets.json)
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-release}

case "$preset" in
  clang*|asan*|tsan*) ./ci/install-deps.sh clang ;;
  *) ./ci/install-deps.sh ;;
esac
cmake --preset "$preset"
cmake --build --preset "$preset"
ctest --preset "$preset"
