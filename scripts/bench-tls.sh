#!/usr/bin/env bash
# TLS cost (issue 6 target: keep-alive GET /healthz over TLS >= 0.6x plain HTTP): one release
# binary serving plain HTTP and TLS side by side (server.tls.port), a throw-away certificate,
# wrk on loopback against both, in alternating rounds.
#
#   scripts/bench-tls.sh                    # ROUNDS=3 DURATION=8s CONNS=64
#   SKIP_BUILD=1 ROUNDS=1 DURATION=5s scripts/bench-tls.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${ROUNDS:-3} DURATION=${DURATION:-8s} CONNS=${CONNS:-64}
if [ -z "${SKIP_BUILD:-}" ]; then
  swift build -c release --product isolationd --package-path "$ROOT" 2>&1 | tail -1
fi
BIN=$(swift build -c release --package-path "$ROOT" --show-bin-path)/isolationd
WORK=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=localhost \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" >/dev/null 2>&1
PLAIN=18$((RANDOM % 400 + 100)) TLS=18$((RANDOM % 400 + 500))
ISOLATIOND_SERVER__TLS__CERT_FILE="$WORK/cert.pem" ISOLATIOND_SERVER__TLS__KEY_FILE="$WORK/key.pem" \
ISOLATIOND_SERVER__TLS__PORT=$TLS "$BIN" serve --config "$ROOT/config/bench.json" --port "$PLAIN" >"$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 200); do curl -sk "https://127.0.0.1:$TLS/readyz" >/dev/null 2>&1 && break; sleep 0.05; done

rate() { wrk -t2 -c"$CONNS" -d"$DURATION" "$1" | awk '/Requests\/sec/{print $2}'; }
: >"$WORK/rows"
for _ in $(seq "$ROUNDS"); do
  echo "plain $(rate "http://127.0.0.1:$PLAIN/healthz")" >>"$WORK/rows"
  echo "tls $(rate "https://127.0.0.1:$TLS/healthz")" >>"$WORK/rows"
done
python3 - "$WORK/rows" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if len(l.split()) == 2]
med = {k: statistics.median(float(v) for n, v in rows if n == k) for k in ("plain", "tls")}
print(f"keep-alive GET /healthz: plain {med['plain']:.0f} req/s, TLS {med['tls']:.0f} req/s, "
      f"TLS/plain {med['tls'] / med['plain']:.2f} (target >= 0.6)")
PY
