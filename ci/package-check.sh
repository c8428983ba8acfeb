#!/usr/bin/env bash
# Builds the Debian package from a build directory and proves it works from its installed paths.
#
#   ci/package-check.sh BUILD_DIR            build the .deb, check its contents and Depends,
#                                            unpack it into a scratch root and run the programs
#                                            from there (no root needed; ctest runs this)
#   ci/package-check.sh BUILD_DIR --install  also `apt-get install` it on this machine, run the
#                                            programs from /usr/bin, then remove it again
#                                            (--keep leaves it installed)
#
# The programs' runs are short and bounded: chat-conform --help, a chat-conform run and a
# two-second chat-load smoke run against the packaged chat-server on a free loopback port, and
# the packaged chat-conform-gate. Exit 0 when everything holds, 1 otherwise.
set -euo pipefail

build=${1:?usage: ci/package-check.sh BUILD_DIR [--install] [--keep]}
shift
install=0 keep=0
for a in "$@"; do
    case "$a" in
        --install) install=1 ;;
        --keep) keep=1 ;;
        *) echo "package-check: unknown argument '$a'" >&2; exit 2 ;;
    esac
done
build=$(cd "$build" && pwd)
say() { echo "package-check: $*" >&2; }
fail() { say "FAIL: $*"; exit 1; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/chat-package.XXXXXX")
server_pid=""
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$scratch"
}
trap cleanup EXIT

# 1. Build the package.
(cd "$build" && timeout 300 cpack -G DEB -B "$scratch/out" > "$scratch/cpack.log" 2>&1) ||
    { cat "$scratch/cpack.log" >&2; fail "cpack -G DEB failed"; }
deb=$(find "$scratch/out" -maxdepth 1 -name 'chat-compliance_*.deb' | head -n1)
[ -n "$deb" ] || fail "cpack wrote no chat-compliance_*.deb"
say "built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"

# 2. Contents: the programs, the gate, SPEC.md, the scenarios.
contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/chat-server ./usr/bin/chat-conform ./usr/bin/chat-load \
    ./usr/bin/chat-conform-gate ./usr/share/doc/chat-compliance/SPEC.md \
    ./usr/share/chat-compliance/scenarios/smoke.ini; do
    grep -q " $f\$" <<< "$contents" || fail "the package lacks $f"
done

# 3. Depends covers every shared library the programs load (each library's Debian package).
depends=$(dpkg-deb -f "$deb" Depends)
say "Depends: $depends"
root="$scratch/root"
dpkg-deb -x "$deb" "$root"
# The libraries a program names itself (DT_NEEDED), as ldd resolves them: what those load in
# turn is their own packages' Depends.
direct_libraries() {
    local needed
    needed=$(readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
    ldd "$1" | awk -v needed="$needed" 'BEGIN { n = split(needed, a, "\n"); for (i = 1; i <= n; i++) want[a[i]] = 1 }
        /=> \// && ($1 in want) { print $3 }'
}
for prog in chat-server chat-conform chat-load; do
    while read -r lib; do
        real=$(readlink -f "$lib")
        owner=$(dpkg -S "$real" 2>/dev/null || dpkg -S "$lib" 2>/dev/null || true)
        owner=${owner%%:*}
        [ -n "$owner" ] || fail "$prog loads $lib, which no installed Debian package provides"
        # Depends names packages separated by ", " (with optional version constraints).
        grep -qE "(^|, )${owner//+/\\+}( |,|\$)" <<< "$depends" ||
            fail "$prog loads $lib from package $owner, which Depends does not list"
    done < <(direct_libraries "$root/usr/bin/$prog")
done

# 4. Run the packaged programs from a given bin directory.
run_programs() {
    local bin=$1 label=$2
    "$bin/chat-conform" --help > "$scratch/help.txt" || fail "$label chat-conform --help failed"
    grep -q "run" "$scratch/help.txt" || fail "$label chat-conform --help does not list 'run'"

    "$bin/chat-server" --port 0 --address 127.0.0.1 > "$scratch/server.log" 2>&1 &
    server_pid=$!
    local url=""
    for _ in $(seq 1 100); do
        url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$scratch/server.log" | head -n1 || true)
        [ -n "$url" ] && break
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    [ -n "$url" ] || { cat "$scratch/server.log" >&2; fail "$label chat-server printed no URL"; }

    timeout 120 "$bin/chat-conform" run "$url" --quiet --report-dir "$scratch/conform-$label" \
        > "$scratch/conform.log" 2>&1 ||
        { cat "$scratch/conform.log" >&2; fail "$label chat-conform run $url did not pass"; }
    timeout 60 "$bin/chat-load" run "$url" --clients 20 --rooms 2 --senders-per-room 1 \
        --rate 5 --duration 2s --warm-up 0s --lifetime 1s --threshold 'delivery>=1' \
        --max-cpu 1 --max-loop-lag 5s --max-schedule-lag 5s \
        --report-dir "$scratch/load-$label" > "$scratch/load.log" 2>&1 ||
        { cat "$scratch/load.log" >&2; fail "$label chat-load smoke run failed"; }
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""

    # The gate starts its own server and judges SHUT-1 too.
    PATH="$bin:$PATH" timeout 180 "$bin/chat-conform-gate" \
        --server-cmd "$bin/chat-server --port 0 --address 127.0.0.1" \
        --report-dir "$scratch/gate-$label" -- --quiet > "$scratch/gate.log" 2>&1 ||
        { cat "$scratch/gate.log" >&2; fail "$label chat-conform-gate did not pass"; }
    say "$label: chat-conform --help, a full chat-conform run, a chat-load smoke run and the gate pass"
}
run_programs "$root/usr/bin" unpacked

if [ "$install" = 1 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "$deb" > "$scratch/apt.log" 2>&1 ||
        { cat "$scratch/apt.log" >&2; fail "apt-get install $deb failed"; }
    [ "$(command -v chat-conform)" = /usr/bin/chat-conform ] ||
        fail "chat-conform is not /usr/bin/chat-conform after installing"
    run_programs /usr/bin installed
    if [ "$keep" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive $sudo apt-get remove -y -q chat-compliance > /dev/null 2>&1 ||
            fail "apt-get remove chat-compliance failed"
        say "installed, ran from /usr/bin and removed again"
    fi
fi
say "PASS"
