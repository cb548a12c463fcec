# Sourced by the benchmark and load scripts: the release binary, a scratch directory and one
# server process of ours on loopback, ended (by its pid) and cleaned up when the script exits.
#   release_binary          sets BIN (builds first unless SKIP_BUILD is set)
#   start_server CONFIG PORT [STDOUT]   starts BIN serve --config CONFIG (standard output to STDOUT
#                                       if given), waits for /readyz (exits on failure)
# Needs ROOT; provides WORK and SERVER_PID.
WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

release_binary() {
  if [ -z "${SKIP_BUILD:-}" ]; then
    swift build -c release --product isolationd --package-path "$ROOT" 2>&1 | tail -1
  fi
  BIN=$(swift build -c release --package-path "$ROOT" --show-bin-path)/isolationd
}

start_server() { # config port [stdout: where standard output goes; default the log]
  if [ -n "${3:-}" ]; then
    "$BIN" serve --config "$1" >"$3" 2>>"$WORK/server.log" &
  else
    "$BIN" serve --config "$1" >"$WORK/server.log" 2>&1 &
  fi
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$2/readyz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server did not start:"; cat "$WORK/server.log"; exit 1
}
