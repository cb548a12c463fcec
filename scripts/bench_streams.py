#!/usr/bin/env python3
"""Event-stream benchmarks against a running isolationd (see scripts/bench-streams.sh).

  rss      RSS the server adds for N idle SSE subscribers (/proc/PID/status VmRSS)
  latency  publish -> SSE client latency at a fixed event rate: a process agent stamps every
           event with CLOCK_MONOTONIC when it writes it; the client subtracts that from the
           moment the bytes arrive (both clocks are the same kernel clock on one machine)
  fanout   one engine's events delivered to N SSE subscribers of the same user: deliveries/s

Standard library only; raw sockets, HTTP/1.1 chunked decoding, SSE lines.
"""
import argparse
import http.client
import json
import selectors
import socket
import sys
import time


def api(port, token, method, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    if response.status >= 300:
        raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
    return json.loads(data) if data else None


def new_engine(port, token, thread):
    context = api(port, token, "POST", "/v1/contexts", {"thread_id": thread})
    engine = api(port, token, "POST", "/v1/engines", {"context_id": context["id"]})
    return engine["id"]


def start_run(port, token, engine, agent, payload):
    return api(port, token, "POST", f"/v1/engines/{engine}/runs", {"agent": agent, "input": payload})["id"]


def open_sse(port, token, path="/v1/events", blocking=True):
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                 f"Accept: text/event-stream\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            raise RuntimeError("closed before the response head")
        head += chunk
    status_line, _, rest = head.partition(b"\r\n\r\n")
    if b" 200 " not in status_line.split(b"\r\n")[0] + b" ":
        raise RuntimeError(f"SSE refused: {status_line.splitlines()[0]!r}")
    sock.setblocking(blocking)
    return sock, rest


class ChunkedSSE:
    """Decodes a chunked body and yields complete SSE data lines."""

    def __init__(self, initial=b""):
        self.raw = bytearray(initial)
        self.body = bytearray()

    def feed(self, data):
        self.raw += data
        while True:
            end = self.raw.find(b"\r\n")
            if end < 0:
                break
            size = int(self.raw[:end].split(b";")[0] or b"0", 16)
            if len(self.raw) < end + 2 + size + 2:
                break
            self.body += self.raw[end + 2:end + 2 + size]
            del self.raw[:end + 2 + size + 2]
        lines = []
        while True:
            cut = self.body.find(b"\n")
            if cut < 0:
                break
            lines.append(bytes(self.body[:cut]))
            del self.body[:cut + 1]
        return lines


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def phase_rss(args):
    warm = [open_sse(args.port, args.token) for _ in range(20)]
    for sock, _ in warm:
        sock.close()
    time.sleep(0.5)
    before = rss_kib(args.pid)
    streams = []
    for _ in range(args.subscribers):
        streams.append(open_sse(args.port, args.token))
    time.sleep(1.0)
    after = rss_kib(args.pid)
    added_mib = (after - before) / 1024
    print(f"idle SSE subscribers: {args.subscribers}  server RSS before {before / 1024:.1f} MiB, "
          f"after {after / 1024:.1f} MiB  -> added {added_mib:.1f} MiB "
          f"({(after - before) / args.subscribers:.1f} KiB each; target <= 64 MiB)")
    for sock, _ in streams:
        sock.close()


def phase_latency(args):
    engine = new_engine(args.port, args.token, "bench-latency")
    sock, rest = open_sse(args.port, args.token, "/v1/events?thread_id=bench-latency")
    decoder = ChunkedSSE(rest)
    run = start_run(args.port, args.token, engine, "burst", {"count": args.events, "rate": args.rate})
    latencies = []
    done = False
    deadline = time.monotonic() + args.events / max(args.rate, 1) + 30
    sock.settimeout(5)
    first = last = None
    while not done and time.monotonic() < deadline:
        data = sock.recv(1 << 20)
        arrived = time.monotonic_ns()
        if not data:
            break
        for line in decoder.feed(data):
            if not line.startswith(b"data: "):
                continue
            event = json.loads(line[6:])
            if event.get("execution_id") != run:
                continue
            if event["type"] == "agent_thinking":
                latencies.append(arrived - event["data"]["t"])
                first = first or arrived
                last = arrived
            elif event["type"] in ("agent_completed", "agent_error", "run_timed_out", "run_cancelled"):
                done = True
    sock.close()
    if not latencies:
        print("latency: no events received")
        return
    us = [v / 1000 for v in latencies]
    seconds = (last - first) / 1e9 if last and first and last > first else 0
    print(f"publish -> SSE latency at {args.rate} events/s target ({len(us)} events, "
          f"achieved {len(us) / seconds if seconds else 0:.0f}/s): p50 {percentile(us, 50):.0f} us, "
          f"p99 {percentile(us, 99):.0f} us, p99.9 {percentile(us, 99.9):.0f} us, max {max(us):.0f} us "
          f"(target p99 < 1000 us)")


def phase_fanout(args):
    engine = new_engine(args.port, args.token, "bench-fanout")
    selector = selectors.DefaultSelector()
    counts = {}
    tails = {}
    for _ in range(args.subscribers):
        sock, rest = open_sse(args.port, args.token, "/v1/events?thread_id=bench-fanout", blocking=False)
        selector.register(sock, selectors.EVENT_READ)
        counts[sock] = rest.count(b"\nid: ")
        tails[sock] = rest[-5:]
    expected = args.events + 2  # agent_started ... agent_completed
    start_run(args.port, args.token, engine, "burst", {"count": args.events, "rate": 0})
    first = None
    finished = 0
    deadline = time.monotonic() + 60
    while finished < len(counts) and time.monotonic() < deadline:
        for key, _ in selector.select(timeout=1):
            sock = key.fileobj
            try:
                data = sock.recv(1 << 20)
            except BlockingIOError:
                continue
            if not data:
                selector.unregister(sock)
                finished += 1
                continue
            if first is None:
                first = time.monotonic()
            window = tails[sock] + data
            before = counts[sock]
            counts[sock] += window.count(b"\nid: ")
            tails[sock] = window[-5:]
            if before < expected <= counts[sock]:
                finished += 1
    elapsed = time.monotonic() - (first or time.monotonic())
    delivered = sum(min(c, expected) for c in counts.values())
    complete = sum(1 for c in counts.values() if c >= expected)
    for sock in list(counts):
        sock.close()
    rate = delivered / elapsed if elapsed > 0 else 0
    print(f"fan-out: {args.events + 2} events x {args.subscribers} subscribers -> {delivered} deliveries in "
          f"{elapsed:.2f} s = {rate:,.0f} deliveries/s ({complete}/{args.subscribers} complete; target >= 200,000/s)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("phase", choices=["rss", "latency", "fanout"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--pid", type=int, default=0)
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--rate", type=float, default=10000)
    args = parser.parse_args()
    {"rss": phase_rss, "latency": phase_latency, "fanout": phase_fanout}[args.phase](args)


if __name__ == "__main__":
    sys.exit(main())
