#!/usr/bin/python3
"""A process agent for scripts/bench-streams.sh: emits input.count agent_thinking events, each
stamped with CLOCK_MONOTONIC nanoseconds (data.t) when it is written, at input.rate events/s
(0: as fast as it can), then agent_completed. Python 3, standard library only."""
import json
import sys
import time

request = json.load(sys.stdin)
params = request.get("input") or {}
count = int(params.get("count", 1000))
rate = float(params.get("rate", 0))
out = sys.stdout
start = time.monotonic_ns()
for seq in range(count):
    if rate > 0:
        due = start + int(seq * 1e9 / rate)
        now = time.monotonic_ns()
        if now < due:
            # Sleep, never spin: a spinning agent would steal a core from the server being measured.
            time.sleep((due - now) / 1e9)
    out.write('{"type":"agent_thinking","data":{"seq":%d,"t":%d}}\n' % (seq, time.monotonic_ns()))
    if rate > 0 or seq % 256 == 255:
        out.flush()
out.write(json.dumps({"type": "agent_completed", "result": {"sent": count}}) + "\n")
out.flush()
