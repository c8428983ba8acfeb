#!/usr/bin/env bash
# Windows, proven under Wine (issue #15): the Windows cross build (preset `windows`, MinGW-w64,
# no TLS) is built into build/windows and run under Debian's wine64 against the Linux build:
#   1. the unit tests (protocol, platform, server, loadgen, conformance, reports, cli) pass;
#   2. chat-conform.exe runs the WHOLE suite against a Linux chat-server and it conforms
#      (SHUT-1 is SKIP: a Windows runner cannot send a POSIX signal to a Linux server);
#   3. the Linux chat-conform runs the WHOLE suite against chat-server.exe and it conforms
#      (SHUT-1 through the gate with SIGINT, which Wine turns into a console Ctrl-C event);
#   4. chat-load.exe runs the smoke scenario against the Linux chat-server, every message
#      delivered and no error;
#   5. an https:// URL is refused by chat-conform.exe and chat-load.exe with one line.
#
#   tests/windows_wine.sh [--server BIN --conform BIN --load BIN] [--windows-build DIR]
#
# The Linux programs default to build/release. Exit 0 pass, 1 fail, 2 the cross build failed,
# 77 skip: no MinGW-w64 cross compiler or no wine64 (./ci/install-deps.sh windows installs
# both). Every wait is bounded; every process started here is stopped by its PID.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source_dir=$(dirname "$here")
gate=$source_dir/ci/conform-gate.sh
smoke_ini=$source_dir/loadgen/scenarios/smoke.ini
source "$here/test_server.sh"

server_bin=$source_dir/build/release/reference-server/chat-server
conform_bin=$source_dir/build/release/conformance/chat-conform
load_bin=$source_dir/build/release/loadgen/chat-load
win=$source_dir/build/windows
while [ $# -gt 0 ]; do
  case "$1" in
    --server) server_bin=$2; shift 2 ;;
    --conform) conform_bin=$2; shift 2 ;;
    --load) load_bin=$2; shift 2 ;;
    --windows-build) win=$2; shift 2 ;;
    *) echo "usage: $0 [--server BIN --conform BIN --load BIN] [--windows-build DIR]" >&2; exit 2 ;;
  esac
done

say() { echo "windows-wine: $*" >&2; }
skip() { say "SKIP: $*"; exit 77; }
command -v x86_64-w64-mingw32-g++-posix >/dev/null ||
  skip "no MinGW-w64 cross compiler (./ci/install-deps.sh windows installs g++-mingw-w64-x86-64-posix)"
wine=$(command -v wine64 || { [ -x /usr/lib/wine/wine64 ] && echo /usr/lib/wine/wine64; })
[ -n "$wine" ] || skip "no wine64 (./ci/install-deps.sh windows installs it)"
for b in "$server_bin" "$conform_bin" "$load_bin"; do
  [ -x "$b" ] || { say "no Linux program $b: build the release preset first"; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/chat-wine.XXXXXX")
server_pid=
stop_pid() {
  [ -n "$1" ] || return 0
  kill "$1" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$1" 2>/dev/null
  wait "$1" 2>/dev/null
}
cleanup() {
  stop_pid "$server_pid"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM INT
failures=0
fail() {
  say "FAIL: $*"
  failures=$((failures + 1))
}

# 1. The cross build (reused: only what changed is rebuilt).
unit_tests=(protocol_tests platform_tests server_unit_tests loadgen_tests conformance_tests reports_tests
  cli_tests)
if [ ! -f "$win/CMakeCache.txt" ]; then
  (cd "$source_dir" && cmake --preset windows -B "$win") >"$work/configure.log" 2>&1 ||
    { cat "$work/configure.log" >&2; exit 2; }
fi
say "building the Windows programs and unit tests in $win (-j2)"
cmake --build "$win" -j2 --target chat-server chat-conform chat-load "${unit_tests[@]}" \
  >"$work/build.log" 2>&1 || { tail -n 40 "$work/build.log" >&2; exit 2; }

# Wine's own prefix (a C: drive), kept beside the build so that it is made once.
export WINEPREFIX=${CHAT_WINEPREFIX:-$win/wineprefix} WINEDEBUG=-all
wrun() { "$wine" "$@"; }
exe() { find "$win" -name "$1.exe" -not -path '*/wineprefix/*' | head -n 1; }

# 2. Unit tests, each from its own build folder as ctest would. A program that crashes under
# Wine 8 still exits 0 (its automatic debugger prints a backtrace and ends the process), so a
# run passes only with Catch2's own "All tests passed" line as well.
for t in "${unit_tests[@]}"; do
  bin=$(exe "$t")
  [ -n "$bin" ] || { fail "no $t.exe in $win"; continue; }
  (cd "$(dirname "$bin")" && timeout -k 5 300 "$wine" "$bin" >"$work/$t.out" 2>&1)
  rc=$?
  summary=$(grep -E '^(All tests passed|test cases:)' "$work/$t.out" | tail -n 1)
  say "unit tests $t.exe: exit $rc; $summary"
  [ "$rc" = 0 ] && [ "${summary#All tests passed}" != "$summary" ] ||
    { tail -n 30 "$work/$t.out" >&2; fail "$t.exe"; }
done

# The whole suite is the catalogue (chat-conform list), not a sample of it: every check of it
# must be in each report below.
catalogue=$("$conform_bin" list --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["checks"]))') ||
  { say "cannot read the catalogue from $conform_bin list --json"; exit 2; }

# Judges a chat-conform JSON report: every check of the catalogue ran and passed, but for SHUT-1
# when EXCUSE says why it may be SKIP or FAIL. Prints the counts and every check that did not pass.
judge() {
  python3 - "$1" "$2" "$catalogue" <<'PY' >&2
import json, sys
doc = json.load(open(sys.argv[1]))
excuse = sys.argv[2]
catalogue = int(sys.argv[3])
v = doc["verdict"]
print(f"  {v['summary']}; counts {v['counts']}")
bad = 0
for c in doc["checks"]:
    if c["outcome"] == "PASS":
        continue
    excused = c["id"] == "shut.graceful" and excuse != ""
    bad += not excused
    print(f"  {c['outcome']} {c['id']}" + (f" (excused: {excuse})" if excused else ""))
    print(f"    expected: {c['expected']}")
    print(f"    actual:   {c['actual']}")
if len(doc["checks"]) != catalogue:
    print(f"  {len(doc['checks'])} checks in the report, not the whole catalogue of {catalogue}")
    bad += 1
sys.exit(1 if bad else 0)
PY
}

# 3. chat-conform.exe, the whole suite, against the Linux chat-server (through the gate, which
# starts the server and runs the runner through a two-line wrapper).
printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$wine" "$(exe chat-conform)" >"$work/chat-conform-wine"
chmod +x "$work/chat-conform-wine"
timeout -k 5 240 "$gate" --conform "$work/chat-conform-wine" --report-dir "$work/conform-exe" \
  --no-shutdown-check --server-cmd "$(printf '%q' "$server_bin") --address 127.0.0.1 --port 0 --log-level warn" \
  -- --quiet --jobs 2 >"$work/gate1.out" 2>"$work/gate1.err"
rc=$?
say "chat-conform.exe -> Linux chat-server, whole suite: gate exit $rc"
if [ "$rc" = 0 ] && judge "$work/conform-exe/chat-conform.json" "a Windows runner cannot signal a Linux server"; then :; else
  tail -n 20 "$work/gate1.err" >&2
  fail "chat-conform.exe against the Linux chat-server"
fi

# 4. The Linux chat-conform, the whole suite, against chat-server.exe; SHUT-1 with SIGINT.
timeout -k 5 240 "$gate" --conform "$conform_bin" --report-dir "$work/server-exe" \
  --server-cmd "$(printf '%q %q' "$wine" "$(exe chat-server)") --address 127.0.0.1 --port 0 --log-level warn" \
  -- --quiet --jobs 2 --shutdown-signal INT >"$work/gate2.out" 2>"$work/gate2.err"
rc=$?
say "Linux chat-conform -> chat-server.exe, whole suite: gate exit $rc"
if { [ "$rc" = 0 ] || [ "$rc" = 1 ]; } && judge "$work/server-exe/chat-conform.json" "${SHUT1_EXCUSE:-}"; then :; else
  tail -n 20 "$work/gate2.err" >&2
  fail "the Linux chat-conform against chat-server.exe"
fi

# 5. chat-load.exe's smoke scenario against the Linux chat-server.
if start_chat_server "$server_bin" "$work" --address 127.0.0.1; then
  timeout -k 5 120 "$wine" "$(exe chat-load)" run "http://127.0.0.1:$port" --config "$smoke_ini" \
    -o "$work/load-report" --threshold 'delivery>=1' --threshold 'errors==0' \
    --max-cpu 1 --max-loop-lag 5s --max-schedule-lag 5s >"$work/load.out" 2>"$work/load.err"
  rc=$?
  say "chat-load.exe smoke -> Linux chat-server: exit $rc"
  grep -h -i -E 'deliver|verdict' "$work/load.out" | head -n 4 >&2
  # Exit 0 alone is no proof under Wine (a crash exits 0): the report's verdict must say PASS.
  [ "$rc" = 0 ] && grep -q -E '^ *verdict +PASS' "$work/load.out" ||
    { tail -n 20 "$work/load.err" "$work/load.out" >&2; fail "chat-load.exe smoke"; }
  stop_pid "$server_pid"
  server_pid=
else
  fail "the Linux chat-server did not start"
fi

# 6. No TLS in this build: https:// and wss:// are refused in one line naming the build.
for tool in chat-conform chat-load; do
  timeout -k 5 60 "$wine" "$(exe $tool)" run "https://127.0.0.1:1" >"$work/tls.out" 2>"$work/tls.err"
  rc=$?
  line=$(grep -h 'Windows build' "$work/tls.err" "$work/tls.out" | head -n 1)
  say "$tool.exe run https://...: exit $rc; $line"
  [ "$rc" = 2 ] && [ -n "$line" ] || fail "$tool.exe did not refuse https:// in one line naming the build"
done

[ "$failures" = 0 ] || { say "$failures failure(s)"; exit 1; }
say "PASS"
