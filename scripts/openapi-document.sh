#!/usr/bin/env bash
# Writes docs/openapi.json: the OpenAPI document the binary serves on the shipped configuration
# (config/isolationd.json), fetched from GET /openapi.json of a debug build on a free port.
# OpenAPIDocumentFileTests fails while the committed file differs.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product isolationd >/dev/null
log="$(mktemp)"
.build/debug/isolationd serve --config config/isolationd.json --port 0 >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -f "$log"' EXIT
port=""
for _ in $(seq 100); do
  port="$(sed -n 's/.*isolationd: listening.*port=\([0-9]*\).*/\1/p' "$log" | head -1)"
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$log" >&2; exit 1; }
curl -fsS "http://127.0.0.1:$port/openapi.json" -o docs/openapi.json
echo "docs/openapi.json written ($(wc -c < docs/openapi.json) bytes)"
