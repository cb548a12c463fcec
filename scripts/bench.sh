#!/usr/bin/env bash
# Throughput of our server's GET /healthz against Hummingbird 2 and nginx, in one run:
# builds isolationd in release, then runs the shared compare.sh (wrk on loopback).
#
#   scripts/bench.sh                      # ROUNDS=3 DURATION=8s (compare.sh defaults)
#   ROUNDS=1 DURATION=5s scripts/bench.sh # quick look while iterating
#   scripts/bench.sh /readyz              # another path
#   scripts/bench.sh POST                 # POST /v1/contexts (300-byte body, demo API key,
#                                         # config/bench.json) against Hummingbird's POST /echo
#
# compare.sh exports PORT to our command; the binary listens on 127.0.0.1:$PORT.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
COMPARE=${COMPARE:-}
if [ -z "$COMPARE" ]; then
  for candidate in "$ROOT/../shared/bench/compare.sh" "$ROOT/../../shared/bench/compare.sh"; do
    [ -x "$candidate" ] || [ -f "$candidate" ] && { COMPARE=$candidate; break; }
  done
fi
[ -n "$COMPARE" ] || { echo "bench.sh: cannot find shared/bench/compare.sh (set COMPARE=path)" >&2; exit 2; }

swift build -c release --product isolationd --package-path "$ROOT" 2>&1 | tail -1
BIN=$(swift build -c release --package-path "$ROOT" --show-bin-path)/isolationd
if [ "${1:-}" = POST ]; then
  # The context-creation path: auth, one JSON parse, validation, registry, one serialization.
  BODY=${BODY_FILE:-$(dirname "$COMPARE")/context-body.json}
  METHOD=POST BODY_FILE=$BODY OURS_HEADER='Authorization: Bearer isod-demo-alice-2c2fc452d01d7aa25a42090a' \
    exec bash "$COMPARE" "$BIN serve --config $ROOT/config/bench.json --port \$PORT" "${2:-/v1/contexts}"
fi
# GET: the probes (or another path); config/bench.json keeps the access log off, as a deployment
# under load would.
bash "$COMPARE" "$BIN serve --config $ROOT/config/bench.json --port \$PORT" "${1:-/healthz}"

# Start-up time and idle memory (issue 2).
SKIP_BUILD=1 bash "$ROOT/scripts/bench-startup.sh"

# TLS against plain HTTP on the same binary (issue 6).
SKIP_BUILD=1 bash "$ROOT/scripts/bench-tls.sh"

# Event streams (issue 5): idle-subscriber memory, publish -> SSE latency, fan-out deliveries.
SKIP_BUILD=1 bash "$ROOT/scripts/bench-streams.sh"
