#!/usr/bin/env bash
# Abuse suite (issue 12, item 8): attacks the release binary on its default configuration
# (config/isolationd.json, plus two API keys of ours: an attacker and a well-behaved tenant),
# one fresh server per attack class, and prints one table: RSS before/peak/after, the worst
# /livez latency (a probe every 50 ms over a fresh connection), the tenant's p50/p99 latency of
# GET /v1/engines/{id}, and whether the process is alive afterwards, each against the issue's
# targets (RSS growth <= 128 MiB, /livez <= 250 ms, tenant p99 <= 50 ms).
#
# Exits non-zero only on a hard failure: the server died, or /livez gave no answer within 5 s.
# The targets are reported, not enforced. Loopback only (the attackers connect from 127.0.0.2
# and 127.0.0.3, the tenant and the probe from 127.0.0.1); every attack is bounded in time and
# count.
#
#   scripts/abuse.sh                            # every case, 20 s each
#   scripts/abuse.sh --short                    # every case, 5 s each (CI)
#   SKIP_BUILD=1 scripts/abuse.sh ws-ping conn-flood   # some cases, reusing the release build
#
# Cases: echo-history ws-ping anon-bodies log-pipe ws-subscribe conn-flood budget body-budget
# accept-flood (what each does: scripts/abuse_attacks.py, scripts/abuse_anonymous_attacks.py,
# scripts/abuse_budget.py, scripts/abuse_body_budget.py and scripts/abuse_accept_flood.py; the
# measuring side and the table: scripts/abuse.py; the clients: scripts/abuse_client.py).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ALL_CASES="echo-history ws-ping anon-bodies log-pipe ws-subscribe conn-flood budget body-budget accept-flood"
SECONDS_EACH=${SECONDS_EACH:-20}
OPTIONS=()
if [ "${1:-}" = "--short" ]; then
  shift
  SECONDS_EACH=5
  OPTIONS=(--runs 30 --connections 200 --round-seconds 2 --ring-runs 150)
fi
CASES=${*:-$ALL_CASES}
PORT=${PORT:-17$((RANDOM % 900 + 100))}
export PYTHONDONTWRITEBYTECODE=1

. "$ROOT/scripts/lib/release-server.sh"
release_binary

# Tokens of this run only; the configuration stores their SHA-256, as README's Authentication says.
TENANT="isod-abuse-tenant-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
ATTACKER="isod-abuse-attacker-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
python3 - "$ROOT" "$WORK/config.json" "$PORT" "$TENANT" "$ATTACKER" <<'PY'
import hashlib, json, sys
root, out, port, tenant, attacker = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
config = json.load(open(f"{root}/config/isolationd.json"))
config["server"]["port"] = port
config["auth"]["demo_keys"] = False
config["auth"]["api_keys"] = [
    {"user_id": user, "roles": ["user"], "sha256": hashlib.sha256(token.encode()).hexdigest()}
    for user, token in (("abuse-tenant", tenant), ("abuse-attacker", attacker))]
json.dump(config, open(out, "w"), indent=1)
PY
# The default "agents": "agents/agents.example.json" resolves against the configuration's folder.
ln -s "$ROOT/config/agents" "$WORK/agents"

running() { # pid: true while the process exists and is not a zombie
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

stop_server() { # SIGTERM, up to 15 s of drain, then SIGKILL: always our SERVER_PID only
  [ -n "$SERVER_PID" ] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 1 150); do running "$SERVER_PID" || break; sleep 0.1; done
  if running "$SERVER_PID"; then
    echo "   (the server did not drain within 15 s; killed)"
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}

# Case log-pipe: standard output is a FIFO that this script holds open for reading (so the
# server's open does not block) and never reads; the pipe fills after 64 KiB of log lines.
start_server_unread_stdout() { # config port
  rm -f "$WORK/stdout.fifo"
  mkfifo "$WORK/stdout.fifo"
  exec {UNREAD_FD}<>"$WORK/stdout.fifo"
  start_server "$1" "$2" "$WORK/stdout.fifo"
}

echo "== abuse suite ($(nproc) cores, release build, port $PORT, ${SECONDS_EACH} s per case)"
: >"$WORK/results.jsonl"
for name in $CASES; do
  case " $ALL_CASES " in *" $name "*) ;; *) echo "unknown case: $name (cases: $ALL_CASES)"; exit 2 ;; esac
  if [ "$name" = log-pipe ]; then
    start_server_unread_stdout "$WORK/config.json" "$PORT"
  else
    start_server "$WORK/config.json" "$PORT"
  fi
  echo "-- $name (server pid $SERVER_PID)"
  python3 "$ROOT/scripts/abuse.py" case "$name" --port "$PORT" --pid "$SERVER_PID" \
    --tenant-token "$TENANT" --attacker-token "$ATTACKER" --seconds "$SECONDS_EACH" \
    ${OPTIONS[@]+"${OPTIONS[@]}"} >>"$WORK/results.jsonl" \
    || echo "{\"case\": \"$name\", \"error\": \"the measuring client failed\"}" >>"$WORK/results.jsonl"
  stop_server
  if [ -n "${UNREAD_FD:-}" ]; then exec {UNREAD_FD}>&-; UNREAD_FD=; fi
done
echo
python3 "$ROOT/scripts/abuse.py" table "$WORK/results.jsonl"
