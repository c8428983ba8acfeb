#!/usr/bin/env bash
# Quick-start command 2: install what is missing, build, and run every test (ctest).
# Usage: ./ci/test.sh [PRESET...]
#   no preset: `release` (what users run) and then `asan` (AddressSanitizer +
#   UndefinedBehaviorSanitizer over the same suite), each in build/<preset>;
#   otherwise the presets named (see CMakePresets.json), e.g. ./ci/test.sh release
set -euo pipefail
cd "$(dirname "$0")/.."
presets=("$@")
[ ${#presets[@]} -gt 0 ] || presets=(release asan)

for preset in "${presets[@]}"; do
  case "$preset" in
    clang* | tsan* | fuzz*) ./ci/install-deps.sh clang ;;
    *) ./ci/install-deps.sh ;;
  esac
  echo "== ci/test.sh: preset $preset" >&2
  start=$SECONDS
  cmake --preset "$preset"
  cmake --build --preset "$preset"
  ctest --preset "$preset"
  echo "== ci/test.sh: preset $preset passed in $((SECONDS - start)) s" >&2
done
