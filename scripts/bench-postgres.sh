#!/usr/bin/env bash
# The service on PostgreSQL (issue 13, item 7), beside the in-memory default, on loopback:
#   1. POST /v1/contexts (the context kept in the database), then with a fresh Idempotency-Key
#      per request (two more round trips: the key, its answer) against one replica, in memory and on PostgreSQL, then
#      against two replicas at once (each its own wrk, figures summed);
#   2. engine create + delete cycles (each creation takes a slot in the database), one replica;
#   3. a run's whole life (create, events to an SSE client, terminal record) with the echo agent,
#      16 clients (scripts/load_run_streams.py), in memory and on PostgreSQL;
#   4. cross-replica event delivery: echo runs at 1,000 events/s on replica A, received by an SSE
#      client on replica B (and one on A beside it), latency publish -> client, lost, duplicated
#      and out-of-order ids (scripts/bench_cross_replica.py; XREP_RATE, XREP_SECONDS).
# A throw-away PostgreSQL cluster of its own (initdb into a temporary directory, a free port,
# default durability: fsync on), stopped and deleted at the end.
#
#   scripts/bench-postgres.sh                 # DURATION=10s
#   SKIP_BUILD=1 DURATION=5s scripts/bench-postgres.sh
#   PG_LOG=/tmp/bench-pg.log scripts/bench-postgres.sh             # keeps the cluster's log
#   SKIP_BUILD=1 ONLY=xrep XREP_SECONDS=10 scripts/bench-postgres.sh   # 4. alone, on a fresh database
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${DURATION:-10s}
ALICE=isod-demo-alice-2c2fc452d01d7aa25a42090a
BOB=isod-demo-bob-5bf60a38c010deed19ba9ad9
command -v wrk >/dev/null || { echo "bench-postgres: needs wrk (apt-get install wrk)"; exit 2; }
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$PGBIN/initdb" ] || { echo "bench-postgres: needs PostgreSQL's server binaries (apt-get install postgresql)"; exit 2; }

. "$ROOT/scripts/lib/release-server.sh"
release_binary

# --- the cluster (as root: under the postgres account, since initdb refuses root; not nobody,
# whose process limit the process-agent tests set) ----------------------------------------------
PGDIR=$(mktemp -d -t isod-bench-pg.XXXXXX)
PGPORT=$((20000 + RANDOM % 20000))
OWNER=postgres
id -u "$OWNER" >/dev/null 2>&1 || OWNER=daemon
as_owner() { if [ "$(id -u)" = 0 ]; then setpriv --reuid="$OWNER" --regid="$(id -g "$OWNER")" --clear-groups -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown "$OWNER" "$PGDIR"
PIDS=()
stop_all() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  as_owner "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop >/dev/null 2>&1 || true
  [ -n "${PG_LOG:-}" ] && cp "$PGDIR/log" "$PG_LOG" 2>/dev/null
  rm -rf "$PGDIR"
  cleanup
}
trap stop_all EXIT
as_owner "$PGBIN/initdb" -D "$PGDIR/data" -U postgres -A trust >/dev/null
as_owner "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w \
  -o "-p $PGPORT -k $PGDIR -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
URL="postgresql://postgres@127.0.0.1:$PGPORT/postgres"
ISOLATIOND_DATABASE__URL=$URL "$BIN" migrate --config "$ROOT/config/bench.json"

# --- configurations ---------------------------------------------------------------------------
config() { # out port database(0/1) replica
  python3 - "$ROOT" "$@" "$URL" <<'PY'
import json, sys
root, out, port, database, replica, url = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1", sys.argv[5], sys.argv[6]
config = json.load(open(f"{root}/config/bench.json"))
config["server"]["port"] = port
config["streams"] = {"max_per_user": 1000}
config["agents"] = [{"name": "echo", "kind": "builtin", "builtin": "echo"}]
if database:
    config["database"] = {"url": url, "pool_size": 8, "replica_id": replica}
json.dump(config, open(out, "w"))
PY
}
start_replica() { # config port
  "$BIN" serve --config "$1" >>"$WORK/replica-$2.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$2/readyz" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "replica on $2 did not start:"; cat "$WORK/replica-$2.log"; exit 1
}
stop_replicas() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  PIDS=()
}

cat >"$WORK/keyed.lua" <<'LUA'
-- POST /v1/contexts, a fresh Idempotency-Key per request (thread id + counter).
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
-- The replica's port (the argument) is part of each key: two wrk processes, one per replica,
-- must not send the same keys (the second would rightly get 409 "in progress").
function init(args) counter = 0; salt = args[1] or "" end
wrk.method = "POST"
wrk.body = '{"thread_id": "bench-thread", "agent_context": {"goal": "measure", "depth": 2}, "audit_metadata": {"ticket": "b-1"}}'
wrk.headers["Content-Type"] = "application/json"
-- The first refusal of each thread is shown with its body (what went wrong, not just a count).
function response(status, headers, body)
  if status >= 300 and not shown then shown = true; print("first refusal: " .. status .. " " .. string.sub(body, 1, 240)) end
end
function request()
  counter = counter + 1
  wrk.headers["Idempotency-Key"] = "bench-" .. salt .. "-" .. tostring(tid) .. "-" .. tostring(counter) .. "-" .. tostring(os.time())
  return wrk.format()
end
LUA

sed -e '/^local threads/d; /^function setup/d; /^function init/d' -e '/^function request/,$d' "$WORK/keyed.lua" >"$WORK/plain.lua"

rate() { awk '/Requests\/sec/ {print int($2)}' "$1"; }
errors() { awk '/Non-2xx|Socket errors|first refusal/ {print}' "$1"; }

RUN=0
posts() { # script label port...
  local script=$1 label=$2; shift 2
  local total=0 i=0 loaders=()
  RUN=$((RUN + 1))
  for port in "$@"; do
    wrk -t2 -c64 -d"$DURATION" -s "$WORK/$script.lua" -H "Authorization: Bearer $ALICE" \
      "http://127.0.0.1:$port/v1/contexts" -- "$port" >"$WORK/wrk-$RUN-$i.txt" 2>&1 &
    loaders+=($!)
    i=$((i + 1))
  done
  for pid in "${loaders[@]}"; do wait "$pid"; done
  for j in $(seq 0 $((i - 1))); do
    total=$((total + $(rate "$WORK/wrk-$RUN-$j.txt")))
    errors "$WORK/wrk-$RUN-$j.txt"
  done
  printf '%-52s %8d req/s\n' "$label" "$total"
}

engine_cycles() { # label port
  python3 - "$2" "$ALICE" "${DURATION%s}" <<'PY' | sed "s/^/$(printf '%-52s' "$1") /"
import http.client, json, sys, threading, time
port, token, seconds = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
def call(conn, method, path, body=None):
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()
done, failures = [0], [0]
lock = threading.Lock()
def worker():
    conn = http.client.HTTPConnection("127.0.0.1", port)
    status, body = call(conn, "POST", "/v1/contexts", json.dumps({"thread_id": "cycles"}))
    context = json.loads(body)["id"]
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        status, body = call(conn, "POST", "/v1/engines", json.dumps({"context_id": context}))
        ok = status == 201 and call(conn, "DELETE", "/v1/engines/" + json.loads(body)["id"])[0] == 204
        with lock:
            done[0] += ok
            failures[0] += not ok
workers = [threading.Thread(target=worker) for _ in range(8)]
for w in workers: w.start()
for w in workers: w.join()
print(f"{int(done[0] / seconds):8d} cycles/s ({failures[0]} failed)")
PY
}

echo "== isolationd on PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') ($(nproc) cores, release build, wrk -c64, $DURATION)"
P1=$((PGPORT + 1)); P2=$((PGPORT + 2))
config "$WORK/a.json" "$P1" 1 bench-a
config "$WORK/b.json" "$P2" 1 bench-b
# 1-3: in memory, one replica on PostgreSQL, then two (ONLY=xrep skips them: part 4 alone, on a
# fresh database).
in_memory_figures() {
  config "$WORK/memory.json" "$P1" 0 none
  start_replica "$WORK/memory.json" "$P1"
  posts plain "POST /v1/contexts, in memory" "$P1"
  posts keyed "POST /v1/contexts + Idempotency-Key, in memory" "$P1"
  engine_cycles "engine create+delete, in memory" "$P1"
  python3 "$ROOT/scripts/load_run_streams.py" --port "$P1" --token "$ALICE" --token "$BOB" --phase load --clients 16 --seconds "${DURATION%s}" \
    | sed 's/^/   in memory: /'
  stop_replicas
}
one_replica_figures() {
  posts plain "POST /v1/contexts, PostgreSQL, 1 replica" "$P1"
  posts keyed "POST /v1/contexts + Idempotency-Key, PostgreSQL, 1 replica" "$P1"
  engine_cycles "engine create+delete, PostgreSQL, 1 replica" "$P1"
  python3 "$ROOT/scripts/load_run_streams.py" --port "$P1" --token "$ALICE" --token "$BOB" --phase load --clients 16 --seconds "${DURATION%s}" \
    | sed 's/^/   PostgreSQL: /'
}
two_replica_figures() {
  posts plain "POST /v1/contexts, PostgreSQL, 2 replicas" "$P1" "$P2"
  posts keyed "POST /v1/contexts + Idempotency-Key, PostgreSQL, 2 replicas" "$P1" "$P2"
  curl -s "http://127.0.0.1:$P1/metrics" | grep -E '^isolationd_database_(round_trips|statements_sent)_total' | sed 's/^/   replica a: /'
}
ALL=$([ "${ONLY:-}" = xrep ] && echo 0 || echo 1)
[ "$ALL" = 0 ] || in_memory_figures
start_replica "$WORK/a.json" "$P1"
[ "$ALL" = 0 ] || one_replica_figures
start_replica "$WORK/b.json" "$P2"
[ "$ALL" = 0 ] || two_replica_figures

# --- 4. cross-replica event delivery (both replicas still up; Bob's stream holds only these runs)
python3 "$ROOT/scripts/bench_cross_replica.py" --a "http://127.0.0.1:$P1" --b "http://127.0.0.1:$P2" --token "$BOB" \
  --rate "${XREP_RATE:-1000}" --seconds "${XREP_SECONDS:-${DURATION%s}}" \
  || echo "cross-replica delivery: events lost, duplicated or out of order (see above)"
# The NOTIFY lag as replica B measured it (commit on A -> B hears of it): sum and count.
curl -s "http://127.0.0.1:$P2/metrics" | grep -E '^isolationd_database_notify_lag_seconds_(sum|count) ' | sed 's/^/   replica b: /' || true
