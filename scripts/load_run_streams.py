#!/usr/bin/env python3
"""Run-stream load: N clients, each with its own context and engine, create `echo` runs and read
each run's SSE stream (/v1/runs/{id}/events) to its end, for a bounded time. Then one client
runs sequential run streams and reports how long each took from the POST to the stream's end.

Prints one summary line per phase; exits 1 if any client saw an error (a refused request, a
stream that ended without its terminal event, or one that did not end within --stream-timeout).
Loopback only; every loop is bounded by --seconds and by --max-runs per client."""
import argparse, http.client, json, socket, statistics, sys, threading, time

TERMINAL = {"agent_completed", "agent_error", "run_cancelled", "run_timed_out"}


class Client:
    def __init__(self, port, token, timeout):
        self.port, self.token, self.timeout = port, token, timeout
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def post(self, path, body):
        data = json.dumps(body)
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        try:
            self.conn.request("POST", path, data, headers)
            response = self.conn.getresponse()
        except (http.client.HTTPException, OSError):
            # One retry on a fresh connection (a keep-alive connection the server closed).
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            self.conn.request("POST", path, data, headers)
            response = self.conn.getresponse()
        payload = response.read()
        if response.status not in (200, 201, 202):
            raise RuntimeError(f"POST {path}: {response.status} {payload[:200]!r}")
        return json.loads(payload)

    def run_stream(self, run_id):
        """Reads the run's SSE stream to its end; returns the event types seen."""
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)
        try:
            sock.sendall((f"GET /v1/runs/{run_id}/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          f"Authorization: Bearer {self.token}\r\nConnection: close\r\n\r\n").encode())
            data = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        finally:
            sock.close()
        head, _, body = data.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"run stream {run_id}: {head[:80]!r}")
        return [line[7:].strip().decode() for line in body.split(b"\n") if line.startswith(b"event: ")]

    def one_run(self, engine_id, n):
        started = time.perf_counter()
        run = self.post(f"/v1/engines/{engine_id}/runs", {"agent": "echo", "input": {"n": n}})
        types = self.run_stream(run["id"])
        took = time.perf_counter() - started
        if not TERMINAL.intersection(types):
            raise RuntimeError(f"run {run['id']}: stream ended without a terminal event ({types})")
        return took

    def setup(self, thread):
        context = self.post("/v1/contexts", {"thread_id": thread})
        return self.post("/v1/engines", {"context_id": context["id"]})["id"]


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else float("nan")


def describe(label, durations, errors, elapsed):
    ms = [d * 1000 for d in durations]
    rate = len(ms) / elapsed if elapsed > 0 else 0
    print(f"{label}: {len(ms)} runs, {errors} errors, {rate:.0f} runs/s; POST->stream end "
          f"p50 {percentile(ms, 0.5):.2f} ms, p99 {percentile(ms, 0.99):.2f} ms, max {max(ms, default=float('nan')):.2f} ms")


def sequential(args, token, label):
    client = Client(args.port, token, args.stream_timeout)
    engine = client.setup(f"load-seq-{label}")
    durations, errors = [], 0
    started = time.perf_counter()
    for n in range(args.sequential):
        try:
            durations.append(client.one_run(engine, n))
        except Exception as error:  # noqa: BLE001 - every failure is counted and shown
            errors += 1
            print(f"  sequential error: {error}", file=sys.stderr)
    describe(f"sequential ({label})", durations, errors, time.perf_counter() - started)
    return errors


def load(args, tokens):
    durations, errors, lock = [], [0], threading.Lock()
    deadline = time.perf_counter() + args.seconds

    def worker(index):
        try:
            client = Client(args.port, tokens[index % len(tokens)], args.stream_timeout)
            engine = client.setup(f"load-{args.clients}-{index}")
        except Exception as error:  # noqa: BLE001
            with lock:
                errors[0] += 1
            print(f"  client {index} setup: {error}", file=sys.stderr)
            return
        for n in range(args.max_runs):
            if time.perf_counter() >= deadline:
                break
            try:
                took = client.one_run(engine, n)
                with lock:
                    durations.append(took)
            except Exception as error:  # noqa: BLE001
                with lock:
                    errors[0] += 1
                print(f"  client {index}: {error}", file=sys.stderr)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(args.seconds + args.stream_timeout + 30)
    describe(f"{args.clients} clients, {args.seconds:.0f} s", durations, errors[0], time.perf_counter() - started)
    return errors[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", action="append", required=True, help="API key (repeat for more users)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--max-runs", type=int, default=100000, help="per client")
    parser.add_argument("--sequential", type=int, default=50)
    parser.add_argument("--stream-timeout", type=float, default=10)
    parser.add_argument("--phase", choices=["fresh", "load", "after"], required=True)
    args = parser.parse_args()
    if args.phase == "load":
        errors = load(args, args.token)
    else:
        errors = sequential(args, args.token[0], args.phase)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
