#!/usr/bin/env bash
# Event-stream figures against the release binary on loopback (issue 5 targets):
#   - RSS added by 1,000 idle SSE subscribers            (target <= 64 MiB)
#   - publish -> SSE client latency p50/p99 at 10k ev/s   (target p99 < 1 ms)
#   - one engine's events fanned out to 100 subscribers   (target >= 200,000 deliveries/s)
# Events come from a process agent (scripts/bench_streams_agent.py) run through the REST API,
# so the whole path is measured: agent stdout -> reactor -> hub -> pump -> socket -> client.
#
#   scripts/bench-streams.sh                       # defaults below
#   IDLE=1000 RATE=10000 LAT_EVENTS=20000 FAN_SUBS=100 FAN_EVENTS=5000 scripts/bench-streams.sh
#   SKIP_BUILD=1 scripts/bench-streams.sh          # reuse the release build
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
IDLE=${IDLE:-1000}
RATE=${RATE:-10000}
LAT_EVENTS=${LAT_EVENTS:-20000}
FAN_SUBS=${FAN_SUBS:-100}
FAN_EVENTS=${FAN_EVENTS:-5000}
PORT=${PORT:-18$((RANDOM % 900 + 100))}
TOKEN=isod-demo-alice-2c2fc452d01d7aa25a42090a

. "$ROOT/scripts/lib/release-server.sh"
release_binary
ulimit -n 8192 2>/dev/null || ulimit -n 4096 2>/dev/null || true


python3 - "$ROOT" "$WORK/config.json" "$PORT" <<'PY'
import json, sys
root, out, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
config = json.load(open(f"{root}/config/bench.json"))
config["server"].update({"port": port, "outbound_buffer_bytes": 64 << 20})
config["events"] = {"replay_ring_size": 1000, "subscriber_queue_size": 200000}
config["streams"] = {"max_per_user": 5000, "heartbeat_seconds": 15, "retry_milliseconds": 3000}
config["agents"] = [
    {"name": "echo", "kind": "builtin", "builtin": "echo"},
    {"name": "burst", "kind": "process", "command": ["/usr/bin/python3", "-I", "-B", "bench_streams_agent.py"],
     "working_directory": f"{root}/scripts", "environment": {"inherit": [], "set": {}},
     "limits": {"cpu_seconds": 60, "address_space_bytes": 1 << 30, "open_files": 64},
     "stdout_limit_bytes": 1 << 28, "stderr_keep_bytes": 8192, "timeout_seconds": 120},
]
json.dump(config, open(out, "w"))
PY

start_server "$WORK/config.json" "$PORT"

echo "== event streams ($(nproc) cores, release build, port $PORT)"
python3 "$ROOT/scripts/bench_streams.py" rss --port "$PORT" --token "$TOKEN" --pid "$SERVER_PID" --subscribers "$IDLE"
python3 "$ROOT/scripts/bench_streams.py" latency --port "$PORT" --token "$TOKEN" --events "$LAT_EVENTS" --rate "$RATE"
python3 "$ROOT/scripts/bench_streams.py" fanout --port "$PORT" --token "$TOKEN" --subscribers "$FAN_SUBS" --events "$FAN_EVENTS"
