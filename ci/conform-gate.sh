#!/usr/bin/env bash
# The conformance gate: judges a chat server with chat-conform and exits with its verdict, for
# any CI. Either point it at a running server (--url) or give it the command that starts one
# (--server-cmd): it starts it, waits until GET /health answers 200 (bounded), runs the checks
# (SHUT-1 included: the last check stops the server with SIGTERM), writes the reports and stops
# the server if it still runs.
#
#   ci/conform-gate.sh --url http://127.0.0.1:8082 [options] [-- chat-conform run options]
#   ci/conform-gate.sh --server-cmd './my-server --port 9000' --port 9000 [options] [-- ...]
#
# Exit code: chat-conform's (0 conforms, 1 violations, 2 incomplete), or 2 when the server
# could not be started or never became healthy.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: conform-gate.sh (--url URL | --server-cmd 'COMMAND') [options] [-- chat-conform run options]

  --url URL             base URL of a running server (with --server-cmd: where it will listen);
                        repeat it for the other endpoints of one deployment (N nodes behind one
                        chat: every check spreads its clients over them; SPEC.md section 11)
  --server-cmd 'CMD'    start the server with CMD (run with `exec` in bash, so the gate can
                        signal it); its output goes to REPORT_DIR/server.log
  --port PORT           with --server-cmd: the server listens on 127.0.0.1:PORT. Without --port
                        or --url the gate reads the URL from the server's output (a line such as
                        "listening on http://HOST:PORT", as chat-server --port 0 prints)
  --scheme http|https   which URL to read from the server's output when it prints both (as
                        chat-server --tls-cert does); default: the first it prints
  --health-timeout S    seconds to wait for GET /health = 200 (default 30)
  --conform PATH        the chat-conform binary (default: $CHAT_CONFORM, else chat-conform on
                        PATH, else build/release/conformance/chat-conform)
  -o, --report-dir DIR  where reports go (default: chat-conform-report, as chat-conform run)
  --no-shutdown-check   do not pass --server-pid (SHUT-1 is then SKIP; the gate stops the server)
  -h, --help            this text
Everything after -- goes to `chat-conform run` (e.g. --history-limit 50 --strict --jobs 2).
An https:// server's /health is checked with curl trusting chat-conform's --ca-file FILE (or
nothing, with --insecure); without curl, an https:// server is healthy once it accepts TCP.
USAGE
}

say() { echo "conform-gate: $*" >&2; }

url="" server_cmd="" port="" scheme="" health_timeout=30 report_dir="chat-conform-report" shutdown_check=1
conform="${CHAT_CONFORM:-}"
extra=() more_urls=()
while [ $# -gt 0 ]; do
    case "$1" in
        --url)
            # Given again: more endpoints of the same deployment (SPEC.md section 11)
            if [ -z "$url" ]; then url="${2:?--url needs a value}"; else more_urls+=("${2:?--url needs a value}"); fi
            shift 2 ;;
        --server-cmd) server_cmd="${2:?--server-cmd needs a value}"; shift 2 ;;
        --port) port="${2:?--port needs a value}"; shift 2 ;;
        --scheme) scheme="${2:?--scheme needs a value}"; shift 2 ;;
        --health-timeout) health_timeout="${2:?--health-timeout needs a value}"; shift 2 ;;
        --conform) conform="${2:?--conform needs a value}"; shift 2 ;;
        -o|--report-dir) report_dir="${2:?--report-dir needs a value}"; shift 2 ;;
        --no-shutdown-check) shutdown_check=0; shift ;;
        -h|--help) usage; exit 0 ;;
        --) shift; extra=("$@"); break ;;
        *) say "unknown argument '$1' (see --help)"; exit 2 ;;
    esac
done

if [ -z "$url" ] && [ -z "$server_cmd" ]; then
    say "give --url URL or --server-cmd 'COMMAND' (see --help)"
    exit 2
fi
case "$scheme" in
    ''|http|https) ;;
    *) say "--scheme must be http or https (got '$scheme')"; exit 2 ;;
esac
case "$health_timeout" in
    ''|*[!0-9]*) say "--health-timeout must be a whole number of seconds (got '$health_timeout')"; exit 2 ;;
esac
if [ -n "$port" ]; then
    case "$port" in
        ''|*[!0-9]*) say "--port must be a port number (got '$port')"; exit 2 ;;
    esac
    [ -z "$url" ] && url="http://127.0.0.1:$port"
fi
if [ -z "$conform" ]; then
    if command -v chat-conform > /dev/null 2>&1; then
        conform="$(command -v chat-conform)"
    else
        conform="$(cd "$(dirname "$0")/.." && pwd)/build/release/conformance/chat-conform"
    fi
fi
if [ ! -x "$conform" ]; then
    say "chat-conform not found at '$conform'; build it or pass --conform PATH"
    exit 2
fi
mkdir -p "$report_dir"

# The TLS trust chat-conform is given (--ca-file FILE or --insecure), as curl options
curl_tls=()
for ((i = 0; i < ${#extra[@]}; i++)); do
    case "${extra[i]}" in
        --ca-file) curl_tls=(--cacert "${extra[i + 1]:-}") ;;
        --ca-file=*) curl_tls=(--cacert "${extra[i]#--ca-file=}") ;;
        --insecure) curl_tls=(--insecure) ;;
    esac
done

# GET /health = 200? (curl when present, else bash's /dev/tcp: a full check for plain http, a TCP
# connect for https)
healthy() {
    local base="${1%/}"
    if command -v curl > /dev/null 2>&1; then
        [ "$(curl -s -g -o /dev/null -w '%{http_code}' --max-time 2 "${curl_tls[@]}" "$base/health" 2>/dev/null)" = "200" ]
        return
    fi
    local rest="${base#*://}" hostport host port path
    hostport="${rest%%/*}"
    path="${rest#"$hostport"}" # the base path ("/chat/v1"), or empty
    host="${hostport%:*}"
    host="${host#[}"
    host="${host%]}"
    port="${hostport##*:}"
    exec 3<>"/dev/tcp/$host/$port" 2>/dev/null || return 1
    case "$base" in
        https://*) exec 3>&-; return 0 ;;
    esac
    printf 'GET %s/health HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$path" "$hostport" >&3
    local status
    status="$(timeout 2 head -n1 <&3 2>/dev/null || true)"
    exec 3>&-
    case "$status" in *" 200 "*) return 0 ;; *) return 1 ;; esac
}

server_pid=""
# Alive and not a zombie: a server SHUT-1 stopped is our unreaped child, which kill -0 still finds.
server_alive() {
    local state
    state="$(ps -o stat= -p "$server_pid" 2>/dev/null)" || return 1
    case "$state" in Z*) return 1 ;; *) return 0 ;; esac
}
stop_server() {
    [ -n "$server_pid" ] || return 0
    if server_alive; then
        say "stopping the server (pid $server_pid)"
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 1 100); do
            server_alive || break
            sleep 0.1
        done
        if server_alive; then
            say "the server ignored SIGTERM for 10 s; killing it"
            kill -KILL "$server_pid" 2>/dev/null || true
        fi
    fi
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}
trap stop_server EXIT

if [ -n "$server_cmd" ]; then
    log="$report_dir/server.log"
    say "starting: $server_cmd (output in $log)"
    # Emptied here, before the server starts: the background job's own redirection may truncate
    # it only after the loop below has read a previous run's "listening on" line.
    : > "$log"
    bash -c "exec $server_cmd" >> "$log" 2>&1 &
    server_pid=$!
    deadline=$((SECONDS + health_timeout))
    while :; do
        if ! server_alive; then
            say "the server exited before becoming healthy; last lines of $log:"
            tail -n 20 "$log" >&2 || true
            exit 2
        fi
        if [ -z "$url" ]; then
            found="$(grep -Eo "${scheme:-https?}://[^ ]+:[0-9]+" "$log" | head -n1 || true)"
            if [ -n "$found" ]; then
                # A wildcard address is reached through loopback
                url="$(echo "$found" | sed -E 's#//(0\.0\.0\.0|\[::\])#//127.0.0.1#')"
                say "the server says it listens on $found; using $url"
            fi
        fi
        if [ -n "$url" ] && healthy "$url"; then
            break
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            say "GET ${url:-<unknown URL>}/health did not answer 200 within ${health_timeout} s; last lines of $log:"
            tail -n 20 "$log" >&2 || true
            [ -z "$url" ] && say "no URL found in the server's output: pass --port or --url"
            exit 2
        fi
        sleep 0.1
    done
    say "server healthy at $url (pid $server_pid)"
    if [ "$shutdown_check" = 1 ] && [ ${#more_urls[@]} -gt 0 ]; then
        # SHUT-1 is the whole deployment's shutdown; stopping one node of several is not it
        say "several endpoints: SHUT-1 is not judged (the gate started one of them)"
    elif [ "$shutdown_check" = 1 ]; then
        extra=(--server-pid "$server_pid" "${extra[@]}")
    fi
else
    if ! healthy "$url"; then
        say "warning: GET $url/health does not answer 200; running anyway (chat-conform will judge)"
    fi
fi

for more in "${more_urls[@]}"; do
    healthy "$more" || say "warning: GET $more/health does not answer 200; running anyway"
done
say "running: $conform run $url ${more_urls[*]} --report-dir $report_dir ${extra[*]}"
set +e
"$conform" run "$url" "${more_urls[@]}" --report-dir "$report_dir" "${extra[@]}"
code=$?
set -e
stop_server
case "$code" in
    0) say "PASS: the server conforms (exit 0); reports in $report_dir" ;;
    1) say "FAIL: the server violates the spec (exit 1); see $report_dir/chat-conform.md" ;;
    *) say "INCOMPLETE: no full verdict (exit $code): target or harness problem; see $report_dir" ;;
esac
exit "$code"
