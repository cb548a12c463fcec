#!/usr/bin/env python3
"""Cross-replica event delivery (issue 13, item 7): a driver publishes about --rate events/s on
replica A (echo runs on several engines of one user, paced, keep-alive connections); an SSE
client on replica B (`GET /v1/events`, live) receives them, and a second one on A gives the
same-replica figure beside it. For each received event, latency = receive time - the envelope's
`timestamp` (both this machine's wall clock). Prints count, events/s, p50/p90/p99/max and every
lost, duplicated or out-of-order id; exits 1 when there is any.

The envelope's timestamp has millisecond resolution (truncated), so every latency reads 0-1 ms
high (0.5 ms on average). Each SSE reader is a process of its own, so that the driver's Python
work never delays a receive time. Loopback only; bounded by --seconds plus --drain-seconds.

  scripts/bench_cross_replica.py --a http://127.0.0.1:8081 --b http://127.0.0.1:8082 --token KEY
"""
import argparse, http.client, json, multiprocessing, socket, sys, threading, time
from datetime import datetime
from urllib.parse import urlsplit

TERMINAL = {"agent_completed", "agent_error", "run_cancelled", "run_timed_out"}


def loopback(url):
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost"):
        sys.exit(f"bench_cross_replica: {url} is not http on loopback (127.0.0.1)")
    return "127.0.0.1", parts.port or 80


class EventStream:
    """`GET /v1/events` over a raw socket: the chunked body decoded, then SSE framing; yields
    (receive time, id, event type, data) per event. Each recv waits at most `poll` seconds
    (a timeout yields None, so the caller can check its deadline)."""

    def __init__(self, address, token, poll=0.2):
        self.sock = socket.create_connection(address, timeout=10)
        self.sock.sendall((f"GET /v1/events HTTP/1.1\r\nHost: {address[0]}\r\nAccept: text/event-stream\r\n"
                           f"Authorization: Bearer {token}\r\n\r\n").encode())
        self.raw = b""
        while b"\r\n\r\n" not in self.raw:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("stream closed before its head")
            self.raw += chunk
        head, _, self.raw = self.raw.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"GET /v1/events: {head[:120]!r}")
        self.sock.settimeout(poll)
        self.text = b""          # dechunked bytes not yet split into lines
        self.fields = {}
        self.data = []

    def _dechunk(self):
        out = []
        while True:
            line_end = self.raw.find(b"\r\n")
            if line_end < 0:
                break
            size = int(self.raw[:line_end].split(b";")[0], 16)
            if size == 0:
                raise EOFError("last chunk")
            if len(self.raw) < line_end + 2 + size + 2:
                break
            out.append(self.raw[line_end + 2:line_end + 2 + size])
            self.raw = self.raw[line_end + 2 + size + 2:]
        return b"".join(out)

    def read(self):
        """The events completed by the next recv (an empty list on a poll timeout)."""
        try:
            chunk = self.sock.recv(262144)
        except socket.timeout:
            return []
        received = time.time()
        if not chunk:
            raise EOFError("stream closed")
        self.raw += chunk
        self.text += self._dechunk()
        events = []
        while b"\n" in self.text:
            line, _, self.text = self.text.partition(b"\n")
            line = line.rstrip(b"\r")
            if not line:
                if self.data:
                    events.append((received, self.fields.get("id"), self.fields.get("event", "message"), b"\n".join(self.data)))
                self.fields, self.data = {}, []
            elif line.startswith(b":"):
                continue
            else:
                name, _, value = line.partition(b":")
                value = value[1:] if value.startswith(b" ") else value
                if name == b"data":
                    self.data.append(value)
                else:
                    self.fields[name.decode()] = value.decode()
        return events


def timestamp_seconds(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def reader(address, token, ready, expected_runs, deadline, results):
    """Reads until it saw `expected_runs` terminal events (once the driver set it) or until
    `deadline`; sends back (id, run, type, latency seconds) per event, and any notice."""
    records, notices, terminals = [], [], 0
    try:
        stream = EventStream(address, token)
        ready.set()
        while time.time() < deadline.value:
            for received, event_id, kind, data in stream.read():
                body = json.loads(data)
                if event_id is None:
                    notices.append(f"{kind}: {data[:200]!r}")
                    continue
                records.append((int(event_id), body.get("execution_id"), kind, received - timestamp_seconds(body["timestamp"])))
                terminals += kind in TERMINAL
            if 0 <= expected_runs.value <= terminals:
                break
    except Exception as error:  # noqa: BLE001 - reported, never hidden
        notices.append(f"reader failed: {error!r}")
        ready.set()
    results.put((records, notices))


class Driver:
    """Echo runs on `engines` engines of A, started on a schedule of `runs_per_second`."""

    def __init__(self, address, token, engines):
        self.address, self.token = address, token
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        setup = http.client.HTTPConnection(*address, timeout=10)
        self.engines = []
        for index in range(engines):
            context = self.call(setup, "/v1/contexts", {"thread_id": f"xrep-bench-{index}"})["id"]
            self.engines.append(self.call(setup, "/v1/engines", {"context_id": context})["id"])
        setup.close()
        self.lock = threading.Lock()
        self.next_slot = 0
        self.runs, self.refused = [], []

    def call(self, conn, path, body):
        conn.request("POST", path, json.dumps(body), self.headers)
        response = conn.getresponse()
        payload = response.read()
        if response.status not in (201, 202):
            raise RuntimeError(f"POST {path}: {response.status} {payload[:200]!r}")
        return json.loads(payload)

    def drive(self, runs_per_second, seconds):
        start = time.monotonic() + 0.05
        end = start + seconds

        def worker(engine):
            conn = http.client.HTTPConnection(*self.address, timeout=10)
            while True:
                with self.lock:
                    slot = self.next_slot
                    self.next_slot += 1
                due = start + slot / runs_per_second
                if due >= end:
                    break
                pause = due - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                try:
                    run = self.call(conn, f"/v1/engines/{engine}/runs", {"agent": "echo", "input": {"n": slot}})["id"]
                    with self.lock:
                        self.runs.append(run)
                except Exception as error:  # noqa: BLE001 - counted and shown
                    with self.lock:
                        self.refused.append(str(error))
                    conn.close()
                    conn = http.client.HTTPConnection(*self.address, timeout=10)
            conn.close()

        threads = [threading.Thread(target=worker, args=(engine,), daemon=True) for engine in self.engines]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(seconds + 30)
        return time.monotonic() - start


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else float("nan")


def judge(label, records, notices, runs, published_seconds):
    """One summary line; returns the number of problems (lost, duplicated, out of order)."""
    ids = [record[0] for record in records]
    duplicates = len(ids) - len(set(ids))
    out_of_order = sum(1 for before, after in zip(ids, ids[1:]) if after <= before)
    missing = (max(ids) - min(ids) + 1 - len(set(ids))) if ids else 0
    terminal_by_run = {}
    for _, run, kind, _ in records:
        if kind in TERMINAL:
            terminal_by_run[run] = terminal_by_run.get(run, 0) + 1
    runs_without_end = sum(1 for run in runs if terminal_by_run.get(run, 0) == 0)
    runs_ended_twice = sum(1 for count in terminal_by_run.values() if count > 1)
    latencies = [record[3] * 1000 for record in records]
    rate = len(records) / published_seconds if published_seconds > 0 else 0
    print(f"{label}: {len(records)} events of {len(runs)} runs, {rate:.0f} events/s; latency "
          f"p50 {percentile(latencies, 0.5):.2f} ms, p90 {percentile(latencies, 0.9):.2f} ms, "
          f"p99 {percentile(latencies, 0.99):.2f} ms, max {max(latencies, default=float('nan')):.2f} ms; "
          f"lost: {missing} ids missing, {runs_without_end} runs without their terminal event; "
          f"duplicated {duplicates}, out of order {out_of_order}, ended twice {runs_ended_twice}")
    for notice in notices[:5]:
        print(f"  {label} notice: {notice}")
    return missing + runs_without_end + duplicates + out_of_order + runs_ended_twice + len(notices)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a", required=True, help="replica A's base URL (the runs)")
    parser.add_argument("--b", required=True, help="replica B's base URL (the SSE client)")
    parser.add_argument("--token", required=True, help="an API key (one user: its stream holds only these runs)")
    parser.add_argument("--rate", type=float, default=1000, help="events/s to publish (an echo run makes 3)")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--engines", type=int, default=16, help="engines on A, one driver thread each")
    parser.add_argument("--drain-seconds", type=float, default=10, help="how long to wait for the last events")
    args = parser.parse_args()
    a, b = loopback(args.a), loopback(args.b)

    driver = Driver(a, args.token, args.engines)
    context = multiprocessing.get_context("fork")
    readers = []
    for label, address in (("cross-replica (publish on A, SSE on B)", b), ("same replica (SSE on A)", a)):
        ready, expected = context.Event(), context.Value("q", -1)
        deadline, results = context.Value("d", time.time() + args.seconds + args.drain_seconds + 15), context.Queue()
        process = context.Process(target=reader, args=(address, args.token, ready, expected, deadline, results), daemon=True)
        process.start()
        if not ready.wait(10):
            sys.exit(f"bench_cross_replica: the SSE client on {address} did not connect")
        readers.append((label, process, expected, deadline, results))

    published = driver.drive(args.rate / 3, args.seconds)
    print(f"== cross-replica delivery: echo runs at {args.rate:.0f} events/s for {args.seconds:.0f} s on "
          f"{args.engines} engines of A; {len(driver.runs)} runs started in {published:.1f} s, {len(driver.refused)} refused")
    for error in driver.refused[:5]:
        print(f"  refused: {error}")
    # A refused run (429: the engine's queue was full) is a shortfall of the driver's rate, not a
    # delivery fault: shown above, not counted here.
    problems = 0
    for label, process, expected, deadline, results in readers:
        deadline.value = time.time() + args.drain_seconds
        expected.value = len(driver.runs)
        records, notices = results.get(timeout=args.drain_seconds + 30)
        process.join(5)
        problems += judge(label, records, notices, driver.runs, published)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
