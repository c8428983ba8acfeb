#!/usr/bin/env bash
# Builds the chat-compliance container image (Containerfile) with podman and no registry, and
# proves its programs with buildah:
#   1. the project's .deb (cpack, from build/release, built here when missing);
#   2. the base image: a Debian 12 minbase root made by debootstrap (the fresh-machine check's
#      tarball, $FRESH_BASE or /tmp/fresh-base.tar, when present), `podman import`ed;
#   3. `podman build --isolation chroot` of the Containerfile, tagged localhost/chat-compliance:VERSION;
#   4. its configuration: user chat (non-root), the default command chat-server on 0.0.0.0:8082;
#   5. inside the image (`buildah run --isolation chroot`, as its user): the three programs on
#      PATH, the image's chat-server judged by the image's chat-conform over the whole suite
#      (chat-conform-gate, SHUT-1 included), and a chat-load smoke run with every message
#      delivered.
#
#   ci/container-image.sh [--build-dir DIR] [--tag TAG] [--no-check]
#
# Exit 0 image built and proven, 1 a check failed, 2 usage or build error, 77 podman or buildah
# absent (ci/install-deps.sh container installs them). Push it with
#   podman push localhost/chat-compliance:VERSION docker://REGISTRY/chat-compliance:VERSION
set -euo pipefail
cd "$(dirname "$0")/.."
source_dir=$(pwd)

version=$(sed -n 's/^project(chat_compliance VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
tag=localhost/chat-compliance:$version
base_tag=localhost/chat-compliance-base:bookworm
build=build/release
check=1
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build=${2:?--build-dir needs a value}; shift 2 ;;
    --tag) tag=${2:?--tag needs a value}; shift 2 ;;
    --no-check) check=0; shift ;;
    -h | --help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "container-image: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

say() { echo "container-image: $*" >&2; }
fail() { say "FAIL: $*"; exit 1; }
for tool in podman buildah; do
  command -v "$tool" >/dev/null || { say "SKIP: no $tool (./ci/install-deps.sh container installs it)"; exit 77; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/chat-image.XXXXXX")
ctr=
cleanup() {
  [ -n "$ctr" ] && buildah rm "$ctr" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# 1. The .deb, from a release build of the three programs.
if [ ! -f "$build/CMakeCache.txt" ]; then
  say "configuring $build (cmake --preset release)"
  cmake --preset release >"$work/configure.log" 2>&1 || { cat "$work/configure.log" >&2; exit 2; }
fi
say "building chat-server chat-conform chat-load in $build"
cmake --build "$build" -j2 --target chat-server chat-conform chat-load >"$work/build.log" 2>&1 ||
  { tail -n 40 "$work/build.log" >&2; exit 2; }
mkdir -p "$work/context"
(cd "$build" && cpack -G DEB -B "$work/deb" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log" >&2; exit 2; }
deb=$(find "$work/deb" -maxdepth 1 -name "chat-compliance_${version}_*.deb" | head -n 1)
[ -n "$deb" ] || { say "cpack wrote no chat-compliance_${version}_*.deb"; exit 2; }
cp "$deb" "$work/context/"
cp Containerfile "$work/context/"
say "package $(basename "$deb")"

# 2. The base image, from a debootstrap minbase root (no registry is asked).
if podman image exists "$base_tag"; then
  say "base image $base_tag already imported"
else
  base_tar=${FRESH_BASE:-${TMPDIR:-/tmp}/fresh-base.tar}
  if [ ! -f "$base_tar" ]; then
    command -v debootstrap >/dev/null || { say "no debootstrap (./ci/install-deps.sh container)"; exit 77; }
    mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
    mirror=${mirror:-http://deb.debian.org/debian}
    say "debootstrap --variant=minbase bookworm from $mirror"
    debootstrap --variant=minbase bookworm "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
      { tail -n 20 "$work/debootstrap.log" >&2; exit 2; }
    base_tar=$work/base.tar
    tar -C "$work/root" -cf "$base_tar" .
    rm -rf "$work/root"
  fi
  say "podman import $base_tar as $base_tag"
  podman import --quiet "$base_tar" "$base_tag" >/dev/null
fi

# 3. The image.
say "podman build --isolation chroot -t $tag"
podman build --isolation chroot --pull=never --build-arg "BASE=$base_tag" -t "$tag" \
  -f "$work/context/Containerfile" "$work/context" >"$work/image-build.log" 2>&1 ||
  { tail -n 40 "$work/image-build.log" >&2; say "podman build failed"; exit 2; }
say "built $tag ($(podman image inspect --format '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}'))"
[ "$check" = 1 ] || exit 0

# 4. Its configuration.
user=$(podman image inspect --format '{{.Config.User}}' "$tag")
cmd=$(podman image inspect --format '{{join .Config.Cmd " "}}' "$tag")
[ "$user" = chat ] || fail "image user is '$user', not chat"
[ "$cmd" = "chat-server --address 0.0.0.0 --port 8082" ] || fail "default command is '$cmd'"
say "config: user $user, command '$cmd'"

# 5. Its programs, inside the image as its user (containers cannot be started here by the OCI
# runtime, but buildah runs commands in the image's root with chroot isolation).
ctr=$(buildah from --pull=never "$tag")
buildah run --isolation chroot "$ctr" -- bash -euo pipefail -c '
  say() { echo "in the image: $*" >&2; }
  say "user $(id -un) (uid $(id -u)); $(command -v chat-server chat-conform chat-load | tr "\n" " ")"
  [ "$(id -u)" != 0 ] || { say "runs as root"; exit 1; }
  chat-conform --version >&2 || true
  # The whole suite through the packaged gate: it starts the image'"'"'s chat-server on
  # 0.0.0.0 (port 0: the machine is shared), and SHUT-1 stops it with SIGTERM.
  rc=0
  timeout -k 5 180 chat-conform-gate --report-dir /tmp/conform \
    --server-cmd "chat-server --address 0.0.0.0 --port 0 --log-level warn" -- --quiet --jobs 2 \
    >/tmp/gate.out 2>/tmp/gate.err || rc=$?
  grep -h "conform-gate: " /tmp/gate.err | tail -n 1 >&2
  tail -n 3 /tmp/gate.out >&2
  [ "$rc" = 0 ] || { say "chat-conform-gate exit $rc"; tail -n 30 /tmp/gate.err >&2; exit 1; }
  # The whole suite is the catalogue, not a sample: every check of it ran and passed.
  total=$(chat-conform list | sed -n "s/^[0-9][0-9]* of \([0-9][0-9]*\) checks listed.*/\1/p" || true)
  tally=$(grep -ho "([0-9][0-9]* passed, .* of [0-9][0-9]* checks run)" /tmp/gate.out | tail -n 1 || true)
  passed=$(echo "$tally" | sed -n "s/^(\([0-9]*\) passed.*/\1/p")
  ran=$(echo "$tally" | sed -n "s/.* of \([0-9]*\) checks run)$/\1/p")
  [ -n "$total" ] && [ "$passed" = "$total" ] && [ "$ran" = "$total" ] ||
    { say "not the whole suite passed: ${tally:-no tally} of a catalogue of ${total:-?} checks"; exit 1; }
  # chat-load smoke against the image'"'"'s chat-server: every message delivered, no error.
  chat-server --address 127.0.0.1 --port 0 --log-level warn >/tmp/server.out 2>/tmp/server.err &
  server=$!
  port=
  for _ in $(seq 300); do
    port=$(sed -n "s/^chat-server listening on http:\/\/[^ ]*:\([0-9][0-9]*\).*/\1/p" /tmp/server.out)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { say "chat-server did not start: $(cat /tmp/server.err)"; exit 1; }
  rc=0
  timeout -k 5 90 chat-load run "http://127.0.0.1:$port" \
    --config /usr/share/chat-compliance/scenarios/smoke.ini \
    --threshold "delivery>=1" --threshold "errors==0" \
    --max-cpu 1 --max-loop-lag 5s --max-schedule-lag 5s >/tmp/load.out 2>/tmp/load.err || rc=$?
  kill -TERM "$server"; wait "$server" || true
  grep -i -E "deliver|verdict" /tmp/load.out | head -n 5 >&2
  [ "$rc" = 0 ] || { say "chat-load smoke exit $rc"; tail -n 20 /tmp/load.err /tmp/load.out >&2; exit 1; }
  say "chat-conform whole suite and chat-load smoke passed"
' || fail "the image's programs failed (above)"
say "PASS: $tag built and proven; push it with: podman push $tag docker://REGISTRY/chat-compliance:$version"
