"""The attacks of the abuse suite by clients without credentials (classes 3 and 6): request
bodies to routes they may not use, and a connection flood. Like scripts/abuse_attacks.py, each
ends by `deadline`, is bounded in count too and talks only to 127.0.0.1."""
import collections, errno, resource, selectors, socket, time
from abuse_client import ANONYMOUS_SOURCE, HOST


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
