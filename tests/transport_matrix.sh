#!/usr/bin/env bash
# The transport matrix (issue #12): the WHOLE chat-conform suite (every check, SHUT-1 included
# through ci/conform-gate.sh, which gives chat-conform the server's PID) and chat-load's smoke
# scenario, against chat-server over each transport a deployment uses.
#
#   transport_matrix.sh --server BIN --conform BIN --load BIN [--report-dir DIR] suite|smoke TRANSPORT
#
# TRANSPORT: plain (TCP), tls (https://, a CA made here with the openssl CLI, --ca-file), ipv6
#   ([::1]), nginx-base-path (a real nginx proxies /chat/v1/ to chat-server --base-path /chat/v1
#   and passes the WebSocket upgrade), nginx-tls (nginx terminates TLS in front of a plain
#   chat-server). Exit 0 pass, 1 fail, 77 skip: the machine lacks the transport (no ::1, no
#   nginx), said on stderr. Every wait is bounded; every process started here is stopped by its
#   PID on exit. nginx runs as the current user from a config written to a temporary directory,
#   on a free loopback port; it never reads or writes /etc/nginx or the system's log directories.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source_dir=$(dirname "$here")
gate=$source_dir/ci/conform-gate.sh
smoke_ini=$source_dir/loadgen/scenarios/smoke.ini
prefix=/chat/v1
source "$here/test_pki.sh"
source "$here/test_server.sh"

server_bin= conform_bin= load_bin= report_dir=
while [ $# -gt 2 ]; do
  case "$1" in
    --server) server_bin=$2; shift 2 ;;
    --conform) conform_bin=$2; shift 2 ;;
    --load) load_bin=$2; shift 2 ;;
    --report-dir) report_dir=$2; shift 2 ;;
    *) echo "usage: $0 --server BIN --conform BIN --load BIN [--report-dir DIR] suite|smoke TRANSPORT" >&2; exit 2 ;;
  esac
done
kind=${1:?suite or smoke}
transport=${2:?transport}

work=$(mktemp -d "${TMPDIR:-/tmp}/chat-transport.XXXXXX")
[ -n "$report_dir" ] || report_dir=$work/report
rm -rf "$report_dir" && mkdir -p "$report_dir"
server_pid= nginx_pid=

# Stops PID: SIGTERM, up to 10 s, then SIGKILL.
stop_pid() {
  [ -n "$1" ] || return 0
  kill "$1" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$1" 2>/dev/null
  wait "$1" 2>/dev/null
}
cleanup() {
  local gate_server
  stop_pid "$server_pid"
  # The gate stops the server it started; should the gate itself be killed (timeout), so do we
  gate_server=$(sed -n 's/^conform-gate: server healthy at .* (pid \([0-9]*\))$/\1/p' \
    "$work/tool.err" 2>/dev/null | tail -n 1)
  [ -n "$gate_server" ] && [ "$(cat "/proc/$gate_server/comm" 2>/dev/null)" = chat-server ] &&
    kill -9 "$gate_server" 2>/dev/null
  stop_pid "$nginx_pid"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

fail() {
  echo "FAIL: $kind over $transport: $*" >&2
  for f in "$work"/tool.out "$work"/tool.err "$report_dir"/server.err "$work"/nginx/error.log \
    "$report_dir"/server.log; do
    [ -s "$f" ] && { echo "--- $f (last lines)" >&2; tail -n 30 "$f" >&2; }
  done
  exit 1
}
skip() {
  echo "SKIP: $kind over $transport: $*" >&2
  exit 77
}

# A command line as one string for the gate's --server-cmd (each word quoted for bash).
quote_words() {
  local out= w
  for w in "$@"; do out+=" $(printf '%q' "$w")"; done
  echo "${out# }"
}

# Prints a TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released);
# callers retry when someone else takes it first.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Does something accept TCP connections on 127.0.0.1:PORT?
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Starts chat-server on port 0 with ARGS; sets $server_pid and $port.
start_server() {
  start_chat_server "$server_bin" "$report_dir" "$@" || fail "chat-server did not start"
}

nginx_bin=$(command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; })
need_nginx() {
  [ -n "$nginx_bin" ] || skip "no nginx on this machine (ci/install-deps.sh installs Debian's nginx package)"
}
need_ipv6() {
  python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>"$work/ipv6.err" ||
    skip "this machine has no IPv6 loopback (::1): $(tail -n 1 "$work/ipv6.err")"
}

# Writes nginx.conf for a proxy on 127.0.0.1:$nginx_port to chat-server at 127.0.0.1:UPSTREAM.
# MODE base-path: plain HTTP, only $prefix/ is proxied (the rest is nginx's own 404); MODE tls:
# nginx terminates TLS with the test PKI and proxies everything.
write_nginx_conf() {
  local upstream=$1 mode=$2 d=$work/nginx listen location=/ user=
  mkdir -p "$d"
  listen="listen 127.0.0.1:$nginx_port;"
  [ "$mode" = tls ] && listen="listen 127.0.0.1:$nginx_port ssl;
    ssl_certificate $work/pki/good.pem;
    ssl_certificate_key $work/pki/server.key;"
  [ "$mode" = base-path ] && location=$prefix/
  # As root, nginx would run its workers as "nobody", who cannot enter this private directory
  [ "$(id -u)" = 0 ] && user="user $(id -un) $(id -gn);"
  cat >"$d/nginx.conf" <<CONF
# Written by tests/transport_matrix.sh: a reverse proxy in front of chat-server, as deployed.
$user
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log info;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $d/client_body;
  proxy_temp_path $d/proxy;
  fastcgi_temp_path $d/fastcgi;
  uwsgi_temp_path $d/uwsgi;
  scgi_temp_path $d/scgi;
  # The WebSocket upgrade is hop-by-hop (RFC 9110 section 7.6.1): pass it on explicitly
  map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }
  server {
    $listen
    location $location {
      proxy_pass http://127.0.0.1:$upstream;
      proxy_http_version 1.1;
      proxy_set_header Host \$http_host;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection \$connection_upgrade;
      proxy_read_timeout 300s;
      proxy_send_timeout 300s;
      proxy_buffering off;
    }
  }
}
CONF
}

# Starts nginx in front of chat-server's port UPSTREAM (MODE as write_nginx_conf); sets
# $nginx_pid and $nginx_port. A port someone else took meanwhile: another one, 5 tries.
start_nginx() {
  local upstream=$1 mode=$2 attempt deadline
  for attempt in 1 2 3 4 5; do
    nginx_port=$(free_port) || fail "python3 could not find a free port"
    write_nginx_conf "$upstream" "$mode"
    : >"$work/nginx/error.log"
    "$nginx_bin" -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" \
      -g 'daemon off;' >"$work/nginx/stdout" 2>&1 &
    nginx_pid=$!
    deadline=$((SECONDS + 15))
    # Ready once the master starts its workers: it has bound its port by then (whereas a
    # connect could reach whoever else holds the port while nginx retries its bind)
    while ! grep -q 'start worker process' "$work/nginx/error.log" 2>/dev/null; do
      if grep -q 'Address already in use' "$work/nginx/error.log" "$work/nginx/stdout" 2>/dev/null; then
        stop_pid "$nginx_pid"
        nginx_pid=
        break
      fi
      kill -0 "$nginx_pid" 2>/dev/null || fail "nginx exited at start: $(cat "$work/nginx/stdout")"
      [ "$SECONDS" -lt "$deadline" ] || fail "nginx did not start workers on 127.0.0.1:$nginx_port within 15 s"
      sleep 0.1
    done
    if [ -n "$nginx_pid" ]; then
      port_open "$nginx_port" || fail "nginx runs but 127.0.0.1:$nginx_port refuses connections"
      return 0
    fi
    echo "port $nginx_port was taken before nginx bound it (attempt $attempt); another" >&2
  done
  fail "nginx found no free port in 5 attempts"
}

# Judges the JSON report: every check of the catalogue ran and passed (no SKIP: SHUT-1 had the
# PID), except, behind nginx, what the proxy and not chat-server answers: LIMIT-1 and LIMIT-2
# (nginx parses HTTP first and answers malformed or oversized requests with its own HTML page),
# HTTP-8 (nginx refuses a malformed percent-escape in the path itself) and SHUT-1's "stops accepting connections" (nginx
# still accepts and answers 502 once chat-server is gone). Prints every check that did not pass,
# with what was expected and what came; exits 1 when one of them is not excused.
judge_report() {
  python3 - "$report_dir/chat-conform.json" "$transport" <<'PY' >&2
import json, sys
try:
    doc = json.load(open(sys.argv[1]))
except (OSError, ValueError) as e:
    sys.exit(f"no readable chat-conform report ({e})")
behind_proxy = sys.argv[2].startswith("nginx")

def proxy_owned(c):
    if not behind_proxy:
        return False
    if c["id"] in ("limit.oversized-headers", "limit.malformed-http", "limit.host-required"):
        return c["outcome"] == "WARN" and "<html>" in (c["actual"] or "")
    if c["id"] == "http.bad-escape-in-path":
        # nginx refuses a malformed escape in the path itself, with its own HTML 400 page
        return c["outcome"] == "FAIL" and "<html>" in (c["actual"] or "")
    return (c["id"] == "shut.graceful" and c["outcome"] == "FAIL"
            and "stops accepting connections" in (c["expected"] or "")
            and "answered 502" in (c["actual"] or ""))

v = doc["verdict"]
print(f"chat-conform: {v['summary']}; counts {v['counts']}")
if v.get("target_problem"):
    print(f"  target problem: {v['target_problem']}")
bad = 0
for c in doc["checks"]:
    if c["outcome"] == "PASS":
        continue
    excused = proxy_owned(c)
    bad += not excused
    clause = c["clause_broken"] or ",".join(c["clauses"])
    print(f"  {c['outcome']} {c['id']} [{clause}]" + (" (excused: answered by the proxy)" if excused else ""))
    print(f"    expected: {c['expected']}")
    print(f"    actual:   {c['actual']}")
sys.exit(1 if bad or not doc["checks"] else 0)
PY
}

# The whole suite through the gate, which starts chat-server (SERVER ARGS...) itself. GATE ARGS
# come first, then --, then the server's arguments; chat-conform options are in $conform_args.
run_suite() {
  local gate_args=() server_args
  while [ "$1" != -- ]; do gate_args+=("$1"); shift; done
  shift
  server_args=$(quote_words "$server_bin" --log-level warn "$@")
  timeout -k 5 150 "$gate" --conform "$conform_bin" --report-dir "$report_dir" "${gate_args[@]}" \
    --server-cmd "$server_args" -- --quiet --jobs 2 "${conform_args[@]}" \
    >"$work/tool.out" 2>"$work/tool.err"
  rc=$?
}

# The whole suite behind nginx (MODE base-path or tls) at URL_PATH: nginx is started first for
# a chat-server port chosen here; when the server finds that port taken, both start again.
run_suite_behind_nginx() {
  local mode=$1 scheme=$2 path=$3 attempt upstream
  shift 3
  for attempt in 1 2 3; do
    upstream=$(free_port) || fail "python3 could not find a free port"
    start_nginx "$upstream" "$mode"
    run_suite --url "$scheme://127.0.0.1:$nginx_port$path" -- --address 127.0.0.1 \
      --port "$upstream" "$@"
    stop_pid "$nginx_pid"
    nginx_pid=
    grep -q 'already in use' "$report_dir/server.log" 2>/dev/null || return 0
    echo "chat-server's port $upstream was taken before it bound it (attempt $attempt); another" >&2
  done
  fail "chat-server found no free port in 3 attempts"
}

judge_suite() {
  if { [ "$rc" = 0 ] || [ "$rc" = 1 ]; } && judge_report; then
    grep -h 'conform-gate: ' "$work/tool.err" | tail -n 1
    return 0
  fi
  echo "FAIL: the whole chat-conform suite over $transport: gate exit $rc; reports in $report_dir" >&2
  echo "--- the gate's output (last lines)" >&2
  tail -n 15 "$work/tool.err" >&2
  exit 1
}

# chat-load's smoke scenario against URL (extra chat-load ARGS after it): every message
# delivered, no error. Its latency threshold (p99 < 50 ms) is left out: this is a functional
# check on a shared, perhaps sanitised, build, so the self-watch limits are relaxed too.
run_smoke() {
  local url=$1
  shift
  timeout -k 5 90 "$load_bin" run "$url" --config "$smoke_ini" \
    --threshold 'delivery>=1' --threshold 'errors==0' \
    --max-cpu 1 --max-loop-lag 5s --max-schedule-lag 5s \
    --report-dir "$report_dir" "$@" >"$work/tool.out" 2>"$work/tool.err"
  rc=$?
  [ "$rc" = 0 ] || fail "chat-load smoke exit $rc (0: every threshold met); reports in $report_dir"
  grep -h -i -E 'deliver|verdict|PASS' "$work/tool.out" | head -n 5
}

conform_args=()
case "$transport" in
  plain | ipv6 | tls) ;;
  nginx-base-path | nginx-tls) need_nginx ;;
  *) echo "unknown transport '$transport'" >&2; exit 2 ;;
esac
[ "$transport" = ipv6 ] && need_ipv6
case "$transport" in
  tls | nginx-tls)
    make_test_pki "$work/pki" || fail "openssl could not make the test certificates"
    conform_args=(--ca-file "$work/pki/ca.pem")
    ;;
esac

case "$kind/$transport" in
  suite/plain) run_suite -- --address 127.0.0.1 --port 0 ;;
  suite/ipv6) run_suite -- --address ::1 --port 0 ;;
  suite/tls)
    run_suite --scheme https -- --address 127.0.0.1 --port 0 \
      --tls-cert "$work/pki/good.pem" --tls-key "$work/pki/server.key"
    ;;
  suite/nginx-base-path) run_suite_behind_nginx base-path http "$prefix" --base-path "$prefix" ;;
  suite/nginx-tls) run_suite_behind_nginx tls https "" ;;
  smoke/plain)
    start_server --address 127.0.0.1
    run_smoke "http://127.0.0.1:$port"
    ;;
  smoke/ipv6)
    start_server --address ::1
    run_smoke "http://[::1]:$port"
    ;;
  smoke/tls)
    start_server --address 127.0.0.1 --tls-cert "$work/pki/good.pem" --tls-key "$work/pki/server.key"
    run_smoke "https://127.0.0.1:$port" "${conform_args[@]}"
    ;;
  smoke/nginx-base-path)
    start_server --address 127.0.0.1 --base-path "$prefix"
    start_nginx "$port" base-path
    run_smoke "http://127.0.0.1:$nginx_port$prefix"
    ;;
  smoke/nginx-tls)
    start_server --address 127.0.0.1
    start_nginx "$port" tls
    run_smoke "https://127.0.0.1:$nginx_port" "${conform_args[@]}"
    ;;
  *) echo "unknown kind '$kind' (suite or smoke)" >&2; exit 2 ;;
esac
[ "$kind" = suite ] && judge_suite
# A sanitised build: what the server reported about itself on the way counts too
stop_pid "$server_pid"
server_pid=
for log in "$report_dir/server.log" "$report_dir/server.err"; do
  if grep -q -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$log" 2>/dev/null; then
    grep -A 20 -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$log" | head -n 40 >&2
    fail "chat-server's sanitizer reported an error (above; whole log: $log)"
  fi
done
echo "PASS: $kind over $transport"
