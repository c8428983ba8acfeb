#!/usr/bin/env bash
# Installs, from Debian 12's packages, whatever the build and tests need and the machine lacks
# (nats-server and libnats-dev: chat-server --cluster and its ctest, tests/cluster.sh).
# Idempotent: when everything is present it changes nothing and does not touch the network.
set -euo pipefail

packages=(
  g++ cmake make ninja-build pkg-config git ca-certificates
  libboost1.81-dev libboost-url1.81-dev libboost-json1.81-dev
  nlohmann-json3-dev catch2 libbenchmark-dev libcli11-dev libssl-dev openssl
  python3 procps nginx
  nats-server libnats-dev
)
# Extra sets, asked for by name: clang (sanitizer and clang presets), chromium (HTML render check),
# wrk (REST throughput in benchmarks/capacity.sh), windows (the MinGW-w64 cross compiler and
# wine64 for tests/windows_wine.sh), container (podman, buildah and debootstrap for
# ci/container-image.sh). The default set has none of them: CI stays fast, and the windows and
# container ctests SKIP there.
for extra in "$@"; do
  case "$extra" in
    clang) packages+=(clang-14 libclang-rt-14-dev) ;;
    chromium) packages+=(chromium) ;;
    wrk) packages+=(wrk) ;;
    windows) packages+=(g++-mingw-w64-x86-64-posix wine64) ;;
    container) packages+=(podman buildah debootstrap) ;;
    *) echo "install-deps: unknown extra '$extra' (known: clang, chromium, wrk, windows, container)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  sudo=sudo
else
  sudo=
fi
echo "install-deps: installing ${missing[*]}" >&2
# nginx is only a test tool (the reverse proxy of the transport tests, which start their own on a
# free port): its package must not start the system service on port 80, which would also fail
# the install when port 80 is taken. A policy-rc.d that says "no" (exit 101) is the Debian way;
# one the machine already has is left alone.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  trap '$sudo rm -f "$policy"' EXIT
  printf '#!/bin/sh\n# ci/install-deps.sh: no service starts during this install\nexit 101\n' |
    $sudo tee "$policy" >/dev/null
  $sudo chmod 755 "$policy"
fi
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
