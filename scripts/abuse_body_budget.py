"""Abuse case body-budget (issue 12, class 3: the global budget for request bodies in flight):
an authenticated attacker opens many connections from several loopback addresses (each within
the per-peer cap) and on each starts a run whose body is as large as the route accepts, sends all
of it but the last byte and holds it. Without a global bound the server would buffer every one
of them (connections x route limit); with server.max_bodies_in_flight_bytes it buffers that
much at most and answers the rest 503 from their head, unread. Bounded by `deadline` and by
rounds; loopback only (127.0.0.4-127.0.0.7 to 127.0.0.1)."""
import collections, errno, selectors, socket, time
from abuse_client import HOST

SOURCES = ["127.0.0.4", "127.0.0.5", "127.0.0.6", "127.0.0.7"]
BODY_BYTES = 256 * 1024 + 4000   # engines.max_run_input_bytes + the route's envelope, about


def _status(data):
    if not data:
        return "closed"
    return data[9:12].decode() if data.startswith(b"HTTP/1.") and data[9:12].isdigit() else "other"


def body_budget(args, deadline):
    body = b'{"agent":"echo","input":{"data":"' + b"b" * (BODY_BYTES - 40) + b'"}}'
    head = (f"POST /v1/engines/eng_abuse_budget/runs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {args.token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    payload = memoryview(head + body[:-1])   # all but the last byte: the body never completes
    totals, answers, rounds = collections.Counter(), collections.Counter(), 0
    while time.monotonic() < deadline - 0.5 and rounds < 100:
        rounds += 1
        selector, pending, sockets = selectors.DefaultSelector(), {}, []
        for index in range(args.budget_connections):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_IP, getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24), 1)
            sock.bind((SOURCES[index % len(SOURCES)], 0))
            if sock.connect_ex((HOST, args.port)) not in (0, errno.EINPROGRESS):
                totals["connect_failed"] += 1
                sock.close()
                continue
            sockets.append(sock)
            pending[sock] = 0
            selector.register(sock, selectors.EVENT_WRITE)
        round_end = min(deadline, time.monotonic() + args.round_seconds)
        while pending and time.monotonic() < round_end:
            for key, _ in selector.select(0.05):
                sock = key.fileobj
                try:
                    pending[sock] += sock.send(payload[pending[sock]:pending[sock] + 262144])
                    done = pending[sock] >= len(payload)
                    totals["body_held_unfinished"] += done
                except OSError:     # answered 503 and closed before the body went: the bound
                    totals["closed_before_body_sent"] += 1
                    done = True
                if done:
                    selector.unregister(sock)
                    del pending[sock]
        while time.monotonic() < round_end:   # hold them: what the server buffers stays
            time.sleep(0.05)
        for sock in sockets:
            try:
                answers[_status(sock.recv(64))] += 1
            except BlockingIOError:
                answers["no_answer_yet"] += 1     # still being read: within the budget
            except OSError:
                answers["reset"] += 1
            sock.close()
        selector.close()
    return {"rounds": rounds, "connections_per_round": args.budget_connections, "body_bytes": len(body),
            **dict(totals), "answers": dict(answers)}
