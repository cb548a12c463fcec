#!/usr/bin/env bash
# The contract run (issue 14, item 2): schemathesis, every check, against a running isolationd,
# driven by the OpenAPI document the server itself serves. Exits non-zero on any finding.
#
#   scripts/schemathesis/run.sh http://127.0.0.1:8080 <bearer token> [more `st run` options]
#
# Tests/IntegrationTests/API/SchemathesisBinaryTests.swift runs it against the binary with a
# configuration whose per-user caps are generous. Give the server such caps too: the run creates
# hundreds of contexts, engines and runs. Needs `st` (python3 -m pip install schemathesis).
#
# - ST_MAX_EXAMPLES (default 20): cases per operation and phase; 20 takes about two minutes here.
# - ST_WORKDIR: where st keeps its .schemathesis directory (default: a temporary one, removed).
# - /v1/events/ws is left out: schemathesis speaks HTTP, and its pooled HTTP client would reuse
#   a connection the server has switched to the WebSocket protocol (101). The WebSocket endpoint
#   is tested by WebSocketStreamTests, IndependentWebSocketClientTests (the python websockets
#   client) and the Chromium test.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
base="${1:?usage: run.sh BASE_URL TOKEN [st run options]}"
token="${2:?usage: run.sh BASE_URL TOKEN [st run options]}"
shift 2
if [ -z "${ST_WORKDIR:-}" ]; then
  ST_WORKDIR="$(mktemp -d)"
  trap 'rm -rf "$ST_WORKDIR"' EXIT
fi
cd "$ST_WORKDIR"
export SCHEMATHESIS_HOOKS="$here/hooks.py"
st --config-file "$here/schemathesis.toml" run "$base/openapi.json" --url "$base" --checks all \
  -H "Authorization: Bearer $token" --max-examples "${ST_MAX_EXAMPLES:-20}" --workers 1 --request-timeout 2 \
  --generation-database none --no-color --exclude-path /v1/events/ws "$@"
