"""The attacks of the abuse suite (issue 12, item 8), one function per class (the anonymous
ones are in scripts/abuse_anonymous_attacks.py). Each runs in its own process (started by
scripts/abuse.py), ends by `deadline` (time.monotonic()), is bounded in count too, talks only to
127.0.0.1, and returns a dict of what it did (printed as JSON)."""
import collections, json, re, socket, threading, time
from abuse_accept_flood import accept_flood
from abuse_anonymous_attacks import anon_bodies, conn_flood
from abuse_budget import budget
from abuse_body_budget import body_budget
from abuse_client import ATTACKER_SOURCE, Api, Refused, connect, ws_connect, ws_frame


def _echo_body(size):
    return b'{"agent":"echo","input":{"data":"' + b"x" * size + b'"}}'


def _post_runs(api, engine, size, count, until):
    """Posts up to `count` echo runs with a `size`-byte string input until `until`; halves the
    size whenever the server answers 413. Returns (runs accepted, size, statuses)."""
    statuses, accepted, body = collections.Counter(), 0, _echo_body(size)
    while accepted < count and time.monotonic() < until:
        status, _ = api.call("POST", f"/v1/engines/{engine}/runs", raw=body)
        statuses[status] += 1
        if status == 413 and size > 1024:
            size //= 2
            body = _echo_body(size)
        elif status in (200, 201, 202):
            accepted += 1
        elif status in (429, 503):
            time.sleep(0.02)    # queue full or budget: an attacker simply tries again
        elif status >= 400:
            break
    return accepted, size, dict(statuses)


def _slow_reader(port, path, token, deadline, hold, totals, lock):
    """Reads `path` 1 KiB every 50 ms through a 4 KiB receive window, reconnecting every `hold`
    seconds (each reconnect makes the server build the answer again)."""
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
               "Connection: close\r\n\r\n").encode()
    while time.monotonic() < deadline:
        try:
            sock = connect(port, ATTACKER_SOURCE, 2.0, receive_buffer=4096)
            sock.sendall(request)
        except OSError:
            time.sleep(0.1)
            continue
        until, received = min(deadline, time.monotonic() + hold), 0
        try:
            while time.monotonic() < until:
                chunk = sock.recv(1024)
                if not chunk:
                    break
                received += len(chunk)
                time.sleep(0.05)
        except OSError:
            pass
        finally:
            sock.close()
        with lock:
            totals["requests"] += 1
            totals["bytes_read"] += received


def echo_history(args, deadline):
    """Class 1: echo runs with the largest input accepted, then slow readers of the engine."""
    api = Api(args.port, args.token, source=ATTACKER_SOURCE, timeout=30.0)
    engine = api.engine("abuse-echo")
    start = time.monotonic()
    accepted, size, statuses = _post_runs(api, engine, (1 << 20) - 256, args.runs,
                                          start + (deadline - start) / 2)
    api.close()
    totals, lock = collections.Counter(), threading.Lock()
    readers = [threading.Thread(target=_slow_reader, args=(args.port, f"/v1/engines/{engine}",
                                args.token, deadline, 5.0, totals, lock)) for _ in range(args.readers)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    return {"runs": accepted, "input_bytes": size, "run_statuses": statuses,
            "slow_readers": args.readers, "reads": totals["requests"], "bytes_read": totals["bytes_read"]}


def _drain(sock, limit=8 << 20):
    """What is left to read on a socket the server closed (up to `limit` bytes, its last 4 KiB)."""
    data = b""
    try:
        sock.settimeout(0.2)
        for _ in range(limit // 65536):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data = (data + chunk)[-4096:]
    except OSError:
        pass
    return data


def _ws_flood(args, deadline, frames, totals, lock):
    """Sends `frames` (bytes) over and over on one WebSocket while reading 1 KiB every 100 ms through a
    4 KiB window; reconnects when the server closes it (as a hostile client would)."""
    connections = 0
    while time.monotonic() < deadline and connections < 500:
        try:
            sock = ws_connect(args.port, args.token, ATTACKER_SOURCE, receive_buffer=4096)
        except Refused as refused:
            with lock:
                totals[f"refused_{refused.status}"] += 1
            time.sleep(0.1)
            continue
        except OSError:
            time.sleep(0.1)
            continue
        connections += 1
        sock.settimeout(0.05)
        offset, next_read, tail, sent = 0, time.monotonic(), b"", 0
        frames = memoryview(frames)
        try:
            while time.monotonic() < deadline:
                try:
                    written = sock.send(frames[offset:])
                    offset, sent = (offset + written) % len(frames), sent + written
                except socket.timeout:
                    pass
                if time.monotonic() >= next_read:
                    next_read = time.monotonic() + 0.1
                    try:
                        chunk = sock.recv(1024)
                    except socket.timeout:
                        chunk = None
                    if chunk == b"":
                        raise ConnectionResetError
                    tail = (tail + (chunk or b""))[-4096:]
        except OSError:
            tail += _drain(sock)
            with lock:
                totals["closed_by_server"] += 1
                # A close frame with 1008 (policy violation), if it reached us: a server that
                # closes while our flood sits unread in its socket resets the connection, and the
                # kernel then discards the frame, so 0 here proves nothing.
                totals["close_frame_1008_seen"] += re.search(rb"\x88[\x02-\x7d]\x03\xf0", tail) is not None
        finally:
            sock.close()
        with lock:
            totals["bytes_sent"] += sent
    with lock:
        totals["connections"] += connections


def _run_floods(args, deadline, frames, count):
    totals, lock = collections.Counter(), threading.Lock()
    threads = [threading.Thread(target=_ws_flood, args=(args, deadline, frames, totals, lock))
               for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return dict(totals)


def ws_ping(args, deadline):
    """Class 2: a WebSocket sending 125-byte pings continuously while reading slowly."""
    frames = b"".join(ws_frame(0x9, b"p" * 125) for _ in range(512))
    return _run_floods(args, deadline, frames, 1)


def ws_subscribe(args, deadline):
    """Class 5: fill the replay ring with large events, then WebSockets that keep changing their
    subscription with `after: 0` (each asks for the whole ring again) while reading slowly."""
    api = Api(args.port, args.token, source=ATTACKER_SOURCE, timeout=30.0)
    engine = api.engine("abuse-sub")
    start = time.monotonic()
    runs, _, statuses = _post_runs(api, engine, 15000, args.ring_runs, start + (deadline - start) / 3)
    api.close()
    messages = [json.dumps({"subscribe": subscription, "after": 0}).encode()
                for subscription in ({"thread_id": "abuse-sub"}, None)]
    frames = b"".join(ws_frame(0x1, messages[index % 2]) for index in range(256))
    result = _run_floods(args, deadline, frames, args.sockets)
    result.update({"ring_runs": runs, "run_statuses": statuses})
    return result


def log_pipe(args, deadline):
    """Class 4 (the server's stdout is a pipe nobody reads): keep-alive requests that are all
    access-logged, from an authenticated and an anonymous client."""
    totals, lock = collections.Counter(), threading.Lock()

    def hammer(token, path):
        api, count = Api(args.port, token, source=ATTACKER_SOURCE, timeout=10.0), 0
        while time.monotonic() < deadline and count < 1_000_000:
            try:
                status, _ = api.call("GET", path)
            except OSError:
                status = "error"
            count += 1
            with lock:
                totals[f"{path} {status}"] += 1
        api.close()
    threads = [threading.Thread(target=hammer, args=target)
               for target in ((args.token, "/v1/agents"), ("not-a-key", "/abuse/no-such-path"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return dict(totals)


ATTACKS = {"echo-history": echo_history, "ws-ping": ws_ping, "anon-bodies": anon_bodies,
           "log-pipe": log_pipe, "ws-subscribe": ws_subscribe, "conn-flood": conn_flood, "budget": budget,
           "body-budget": body_budget, "accept-flood": accept_flood}
