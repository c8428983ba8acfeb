# Starting chat-server for the end-to-end test scripts (sourced).
# start_chat_server BIN DIR ARGS...: starts BIN --port 0 --log-level warn ARGS..., its output in
# DIR/server.out and DIR/server.err, and waits at most 30 s for the line that says where it
# listens. Sets $server_pid and $port; returns non-zero (saying why on stderr) when the server
# exits or does not say where it listens in time.
start_chat_server() {
  local bin=$1 dir=$2
  shift 2
  "$bin" --port 0 --log-level warn "$@" >"$dir/server.out" 2>"$dir/server.err" &
  server_pid=$!
  port=
  for _ in $(seq 300); do
    port=$(sed -n 's/^chat-server listening on http:\/\/[^ ]*:\([0-9][0-9]*\).*/\1/p' "$dir/server.out")
    [ -n "$port" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "chat-server exited, or did not say where it listens within 30 s: $(cat "$dir/server.err")" >&2
  return 1
}
