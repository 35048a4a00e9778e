# Sourced by test.sh and tests/contract.sh: start_server starts the debug `kobalt serve` on a free loopback
# port, sets server_url, and stops the server when the calling script exits. If /healthz does not answer within
# 10 seconds it prints the server's stderr and fails. Expects $target (the cargo target folder).

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_server() {
  local port log
  port=$(free_port)
  log="target/test-server.log"
  mkdir -p target
  "$target/debug/kobalt" serve --addr "127.0.0.1:$port" 2>"$log" &
  server_pid=$!
  trap 'kill "$server_pid" 2>/dev/null || true' EXIT
  server_url="http://127.0.0.1:$port"
  for _ in $(seq 100); do
    if curl -fs "$server_url/healthz" >/dev/null; then return 0; fi
    if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "the server on $server_url did not answer /healthz; its stderr ($log):" >&2
  cat "$log" >&2
  return 1
}
