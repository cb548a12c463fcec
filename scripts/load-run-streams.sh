#!/usr/bin/env bash
# Run-stream load (issue 11, item 0): 16 and then 64 concurrent clients each create `echo` runs
# and read every run's SSE stream to its end for 20 s; afterwards sequential run streams must end
# within milliseconds, as on a fresh server. Release binary on loopback, config/bench.json with
# a stream cap that allows the client count. Exits 1 on any client error.
#
#   scripts/load-run-streams.sh                      # 16 and 64 clients, 20 s each
#   CLIENTS="16" SECONDS_EACH=5 scripts/load-run-streams.sh
#   SKIP_BUILD=1 scripts/load-run-streams.sh         # reuse the release build
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CLIENTS=${CLIENTS:-"16 64"}
SECONDS_EACH=${SECONDS_EACH:-20}
PORT=${PORT:-19$((RANDOM % 900 + 100))}
ALICE=isod-demo-alice-2c2fc452d01d7aa25a42090a
BOB=isod-demo-bob-5bf60a38c010deed19ba9ad9

. "$ROOT/scripts/lib/release-server.sh"
release_binary


python3 - "$ROOT" "$WORK/config.json" "$PORT" <<'PY'
import json, sys
root, out, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
config = json.load(open(f"{root}/config/bench.json"))
config["server"]["port"] = port
config["streams"] = {"max_per_user": 1000}
config["agents"] = [{"name": "echo", "kind": "builtin", "builtin": "echo"}]
json.dump(config, open(out, "w"))
PY

start_server "$WORK/config.json" "$PORT"

echo "== run-stream load ($(nproc) cores, release build, port $PORT)"
status=0
LOAD="python3 $ROOT/scripts/load_run_streams.py --port $PORT --token $ALICE --token $BOB"
$LOAD --phase fresh || status=1
for clients in $CLIENTS; do
  $LOAD --phase load --clients "$clients" --seconds "$SECONDS_EACH" || status=1
  $LOAD --phase after || status=1
done
kill -0 "$SERVER_PID" 2>/dev/null || { echo "the server died"; status=1; }
exit $status
