#!/usr/bin/env bash
# Start-up and memory figures of the release binary (issue 2 targets): time from exec until
# /readyz answers 200 (target <= 100 ms) and idle RSS (target <= 16 MiB), median of RUNS starts on
# loopback; then the RSS added by IDLE_CONNS idle keep-alive connections that each made one request
# (target: 10,000 add <= 100 MiB).
#
#   scripts/bench-startup.sh            # RUNS=5
#   SKIP_BUILD=1 scripts/bench-startup.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-5}
IDLE_CONNS=${IDLE_CONNS:-10000}
ulimit -n $((IDLE_CONNS + 1024)) 2>/dev/null || true
if [ -z "${SKIP_BUILD:-}" ]; then
  swift build -c release --product isolationd --package-path "$ROOT" 2>&1 | tail -1
fi
BIN=$(swift build -c release --package-path "$ROOT" --show-bin-path)/isolationd
python3 - "$BIN" "$ROOT/config/isolationd.json" "$RUNS" "$IDLE_CONNS" <<'PY'
import os, signal, socket, statistics, subprocess, sys, time
binary, config, runs, idle_conns = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def ready(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as c:
            c.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return c.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False

times, rss = [], []
for _ in range(runs):
    port = free_port()
    started = time.monotonic()
    proc = subprocess.Popen([binary, "serve", "--config", config, "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = started + 5
        while not ready(port):
            if time.monotonic() > deadline:
                sys.exit("not ready within 5 s")
            time.sleep(0.001)
        times.append((time.monotonic() - started) * 1000)
        time.sleep(0.5)  # settle, then read the idle RSS
        with open(f"/proc/{proc.pid}/status") as f:
            rss += [int(l.split()[1]) / 1024 for l in f if l.startswith("VmRSS:")]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
print(f"ready after start: median {statistics.median(times):.1f} ms (max {max(times):.1f} ms, {runs} starts)")
print(f"idle RSS: median {statistics.median(rss):.1f} MiB (max {max(rss):.1f} MiB)")

def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        return [int(l.split()[1]) / 1024 for l in f if l.startswith("VmRSS:")][0]

# Idle keep-alive connections: each sends one request, reads its answer, then stays open.
# They all come from 127.0.0.1, so the per-address cap (server.max_connections_per_peer, 256 by
# default) is lifted for this part through its environment override.
port = free_port()
proc = subprocess.Popen([binary, "serve", "--config", config, "--port", str(port)],
                        env={**os.environ, "ISOLATIOND_SERVER__MAX_CONNECTIONS_PER_PEER": "0"},
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
conns = []
try:
    deadline = time.monotonic() + 5
    while not ready(port):
        if time.monotonic() > deadline:
            sys.exit("not ready within 5 s")
        time.sleep(0.001)
    time.sleep(0.3)
    before = rss_mib(proc.pid)
    for _ in range(idle_conns):
        c = socket.create_connection(("127.0.0.1", port), timeout=5)
        c.sendall(b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
        if not c.recv(256).startswith(b"HTTP/1.1 200"):
            sys.exit("a keep-alive connection was not served")
        conns.append(c)
    time.sleep(0.5)
    after = rss_mib(proc.pid)
    print(f"{len(conns)} idle keep-alive connections: RSS {before:.1f} -> {after:.1f} MiB, "
          f"added {after - before:.1f} MiB (target <= 100 MiB)")
finally:
    for c in conns:
        c.close()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=15)
PY
