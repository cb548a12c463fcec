"""The attacks of the abuse suite (issue 12, item 8), one function per class. Each runs in its
own process (started by scripts/abuse.py), ends by `deadline` (time.monotonic()), is bounded in
count too, talks only to 127.0.0.1, and returns a dict of what it did (printed as JSON)."""
import collections, errno, json, re, resource, selectors, socket, threading, time
from abuse_client import (ANONYMOUS_SOURCE, ATTACKER_SOURCE, HOST, Api, Refused, connect,
                          ws_connect, ws_frame)


def _status(data):
    """The status code of an answer's first bytes; "closed" when the server closed without one."""
    if not data:
        return "closed"
    return data[9:12].decode() if data.startswith(b"HTTP/1.") and data[9:12].isdigit() else "other"


def _anonymous_socket():
    """A non-blocking socket bound to the anonymous source address; the port is chosen at
    connect time (IP_BIND_ADDRESS_NO_PORT), since bind's own port search slows down with every
    port already in use."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    sock.setsockopt(socket.IPPROTO_IP, getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24), 1)
    sock.bind((ANONYMOUS_SOURCE, 0))
    return sock


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


def anon_bodies(args, deadline):
    """Class 3: rounds of many connections without credentials, each sending a 1 MB body to a
    path that does not exist or to POST /v1/contexts, held open until the round ends."""
    body = b"x" * 1_000_000
    requests = [memoryview(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                           f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
                for path in ("/abuse/no-such-path", "/v1/contexts")]   # shared by every connection
    totals, answers, rounds = collections.Counter(), collections.Counter(), 0
    while time.monotonic() < deadline - 0.5 and rounds < 100:
        rounds += 1
        selector, pending = selectors.DefaultSelector(), {}
        for index in range(args.connections):
            sock = _anonymous_socket()
            if sock.connect_ex((HOST, args.port)) not in (0, errno.EINPROGRESS):
                totals["connect_failed"] += 1
                sock.close()
                continue
            pending[sock] = [requests[index % 2], 0]
            selector.register(sock, selectors.EVENT_WRITE)
        sockets, round_end = list(pending), min(deadline, time.monotonic() + args.round_seconds)
        while pending and time.monotonic() < round_end:
            for key, _ in selector.select(0.05):
                state = pending[key.fileobj]
                try:
                    state[1] += key.fileobj.send(state[0][state[1]:state[1] + 262144])
                    done = state[1] >= len(state[0])
                    totals["body_sent_in_full"] += done
                except OSError:     # answered and closed before the body was read: the fix
                    totals["closed_before_body_sent"] += 1
                    done = True
                if done:
                    selector.unregister(key.fileobj)
                    del pending[key.fileobj]
        while time.monotonic() < round_end:   # hold them open: the bodies stay in the server
            time.sleep(0.05)
        for sock in sockets:
            try:
                answers[_status(sock.recv(64))] += 1
            except BlockingIOError:
                answers["no_answer_yet"] += 1
            except OSError:
                answers["reset"] += 1
            sock.close()
        selector.close()
    return {"rounds": rounds, "connections_per_round": args.connections, **dict(totals),
            "answers": dict(answers)}


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


def conn_flood(args, deadline):
    """Class 6: as many connections from one peer as the limits allow, half of them idle, half
    with a request head that never ends; reopened as the server closes them."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    target = min(hard - 64, args.max_connections)
    selector, connecting, open_count, peak = selectors.DefaultSelector(), 0, 0, 0
    totals, attempts = collections.Counter(), 0
    while time.monotonic() < deadline:
        while (open_count + connecting < target and connecting < 1000 and attempts < 4 * target
               and time.monotonic() < deadline):
            attempts += 1
            sock = _anonymous_socket()
            code = sock.connect_ex((HOST, args.port))
            if code not in (0, errno.EINPROGRESS):
                totals[f"connect_{errno.errorcode.get(code, code)}"] += 1
                sock.close()
                continue
            connecting += 1
            selector.register(sock, selectors.EVENT_WRITE, attempts % 2)
        for key, _ in selector.select(0.05):
            sock = key.fileobj
            if key.events & selectors.EVENT_WRITE:
                connecting -= 1
                selector.unregister(sock)
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if code:
                    totals[f"connect_{errno.errorcode.get(code, code)}"] += 1
                    sock.close()
                    continue
                if key.data:
                    try:
                        sock.send(b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                    except OSError:
                        pass
                open_count += 1
                peak = max(peak, open_count)
                selector.register(sock, selectors.EVENT_READ)
            else:   # the server answered (503, 408) or closed: free the slot, open another
                try:
                    totals[f"answer_{_status(sock.recv(64))}"] += 1
                except OSError:
                    totals["answer_reset"] += 1
                selector.unregister(sock)
                sock.close()
                open_count -= 1
    for key in list(selector.get_map().values()):
        key.fileobj.close()
    selector.close()
    return {"target": target, "attempts": attempts, "peak_open": peak, "open_at_end": open_count,
            **dict(totals)}


ATTACKS = {"echo-history": echo_history, "ws-ping": ws_ping, "anon-bodies": anon_bodies,
           "log-pipe": log_pipe, "ws-subscribe": ws_subscribe, "conn-flood": conn_flood}
