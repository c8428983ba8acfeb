#!/usr/bin/env bash
# Deployment paths end to end, for chat-conform and chat-load against the real chat-server on
# loopback: plain, TLS (CA and certificates generated here with the openssl CLI), TLS failures
# (unknown CA, wrong name, expired), --insecure, a base path, IPv6 loopback and extra headers.
#
#   deployment_e2e.sh --server BIN --conform BIN --load BIN conform|load CASE
#
# CASE: plain tls-ca tls-unknown-ca tls-insecure tls-wrong-name tls-expired base-path ipv6
#       headers. Exit 0 pass, 1 fail, 77 skip (no ::1 on this machine). Every wait is bounded;
# the server binds port 0 and is stopped by its PID only.
set -uo pipefail

server_bin= conform_bin= load_bin=
while [ $# -gt 2 ]; do
  case "$1" in
    --server) server_bin=$2; shift 2 ;;
    --conform) conform_bin=$2; shift 2 ;;
    --load) load_bin=$2; shift 2 ;;
    *) echo "usage: $0 --server BIN --conform BIN --load BIN conform|load CASE" >&2; exit 2 ;;
  esac
done
tool=${1:?tool}
case_name=${2:?case}

work=$(mktemp -d "${TMPDIR:-/tmp}/chat-deploy.XXXXXX")
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for f in "$work"/tool.out "$work"/tool.err "$work"/server.err; do
    [ -s "$f" ] && { echo "--- $(basename "$f")" >&2; tail -n 40 "$f" >&2; }
  done
  exit 1
}

# The test PKI (tests/test_pki.sh): CA, good, wrong-name and expired server certificates
source "$(dirname "${BASH_SOURCE[0]}")/test_pki.sh"
source "$(dirname "${BASH_SOURCE[0]}")/test_server.sh"
make_certs() {
  make_test_pki "$work/pki" || fail "openssl could not make the test certificates"
}

# Starts chat-server with ARGS on port 0 and sets $port (and $server_pid).
start_server() {
  start_chat_server "$server_bin" "$work" "$@" || fail "chat-server did not start"
}

# Runs the tool against URL with extra ARGS; sets $rc. Output in tool.out / tool.err.
run_tool() {
  local url=$1
  shift
  # A functional check on a shared machine: chat-load's self-watch (generator lag, CPU) must
  # not turn a busy CI box into an INVALID run, so its limits are relaxed here.
  if [ "$tool" = conform ]; then
    timeout 90 "$conform_bin" run "$url" --only conn.join --only http.health --only room.listing \
      --only hist.rest-envelope --only msg.broadcast-echo \
      --no-report --quiet --jobs 2 "$@" >"$work/tool.out" 2>"$work/tool.err"
  else
    timeout 90 "$load_bin" run "$url" --clients 6 --rooms 2 --senders-per-room 1 --rate 5 \
      --duration 1s --warm-up 500ms --lifetime 1s --connect-timeout 5s --rest-pollers 1 \
      --rest-rate 4 --quiet --threshold 'delivery>=1' --threshold 'errors==0' \
      --max-cpu 1 --max-loop-lag 5s --max-schedule-lag 5s "$@" \
      >"$work/tool.out" 2>"$work/tool.err"
  fi
  rc=$?
}

expect_rc() {
  [ "$rc" = "$1" ] || fail "expected exit code $1, got $rc ($2)"
}
expect_output() {
  grep -qiF -- "$1" "$work/tool.out" "$work/tool.err" || fail "the output does not say '$1' ($2)"
}

pki=$work/pki
case "$case_name" in
  plain)
    start_server --address 127.0.0.1
    run_tool "http://127.0.0.1:$port"
    expect_rc 0 "plain http://"
    run_tool "ws://127.0.0.1:$port"
    expect_rc 0 "plain ws:// alias"
    ;;
  tls-ca)
    make_certs
    start_server --address 127.0.0.1 --tls-cert "$pki/good.pem" --tls-key "$pki/server.key"
    run_tool "https://127.0.0.1:$port" --ca-file "$pki/ca.pem"
    expect_rc 0 "https:// with --ca-file"
    run_tool "wss://127.0.0.1:$port" --ca-file "$pki/ca.pem"
    expect_rc 0 "wss:// alias with --ca-file"
    ;;
  tls-unknown-ca)
    make_certs
    start_server --address 127.0.0.1 --tls-cert "$pki/good.pem" --tls-key "$pki/server.key"
    run_tool "https://127.0.0.1:$port"
    expect_rc 2 "a certificate from a CA the tool does not trust"
    expect_output "unable to get local issuer certificate" "unknown CA"
    expect_output "--ca-file" "the hint"
    ;;
  tls-insecure)
    make_certs
    start_server --address 127.0.0.1 --tls-cert "$pki/good.pem" --tls-key "$pki/server.key"
    run_tool "https://127.0.0.1:$port" --insecure
    expect_rc 0 "--insecure skips verification"
    expect_output "warning: --insecure" "the warning"
    ;;
  tls-wrong-name)
    make_certs
    start_server --address 127.0.0.1 --tls-cert "$pki/wrong.pem" --tls-key "$pki/server.key"
    run_tool "https://127.0.0.1:$port" --ca-file "$pki/ca.pem"
    expect_rc 2 "a certificate for another name"
    expect_output "IP address mismatch" "wrong name"
    expect_output "not issued for '127.0.0.1'" "the hint"
    ;;
  tls-expired)
    make_certs
    start_server --address 127.0.0.1 --tls-cert "$pki/expired.pem" --tls-key "$pki/server.key"
    run_tool "https://127.0.0.1:$port" --ca-file "$pki/ca.pem"
    expect_rc 2 "an expired certificate"
    expect_output "certificate has expired" "expired"
    ;;
  base-path)
    start_server --address 127.0.0.1 --base-path /chat/v1
    run_tool "http://127.0.0.1:$port/chat/v1"
    expect_rc 0 "base path /chat/v1"
    run_tool "http://127.0.0.1:$port"
    [ "$rc" != 0 ] || fail "without the base path the run passed: the server does not enforce it"
    ;;
  ipv6)
    "$server_bin" --address ::1 --port 0 --log-level error >"$work/probe.out" 2>&1 &
    probe=$!
    for _ in $(seq 50); do
      grep -q listening "$work/probe.out" 2>/dev/null && break
      kill -0 "$probe" 2>/dev/null || break
      sleep 0.1
    done
    if ! grep -q listening "$work/probe.out"; then
      kill "$probe" 2>/dev/null
      wait "$probe" 2>/dev/null
      echo "SKIP: this machine has no IPv6 loopback (::1): $(cat "$work/probe.out")"
      exit 77
    fi
    kill "$probe"
    wait "$probe" 2>/dev/null
    start_server --address ::1
    run_tool "http://[::1]:$port"
    expect_rc 0 "http://[::1]"
    ;;
  headers)
    start_server --address 127.0.0.1 --require-header 'X-Api-Key: s3cret' \
      --require-header 'Origin: https://chat.example'
    run_tool "http://127.0.0.1:$port" --header 'X-Api-Key: s3cret' --origin https://chat.example
    expect_rc 0 "--header and --origin on every request"
    run_tool "http://127.0.0.1:$port" --origin https://chat.example
    [ "$rc" != 0 ] || fail "without --header the run passed: the server does not check it"
    run_tool "http://127.0.0.1:$port" --header 'NoColon'
    expect_rc 2 "a --header without a colon"
    expect_output "--header 'NoColon'" "the usage error names flag and value"
    ;;
  *)
    echo "unknown case '$case_name'" >&2
    exit 2
    ;;
esac
echo "PASS: $tool $case_name"
