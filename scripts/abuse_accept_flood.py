"""Abuse case accept-flood (issue 12, class 3: an accept rate that cannot starve established
connections): clients without credentials connect and at once reset (SO_LINGER 0, so no port
is left in TIME_WAIT) as fast as three processes can, for the whole case. Each accept costs the
server a little; the established tenant's requests and the /livez probes must still be served
promptly in between. Bounded by `deadline` and by a count per process; loopback only
(127.0.0.3 to 127.0.0.1)."""
import multiprocessing, socket, struct, time
from abuse_client import ANONYMOUS_SOURCE, HOST

PROCESSES = 3
MAX_CONNECTS_PER_PROCESS = 2_000_000


def _flood(port, deadline, results):
    connects = failures = 0
    linger = struct.pack("ii", 1, 0)
    while time.monotonic() < deadline and connects + failures < MAX_CONNECTS_PER_PROCESS:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
        sock.setsockopt(socket.IPPROTO_IP, getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24), 1)
        sock.settimeout(2.0)
        try:
            sock.bind((ANONYMOUS_SOURCE, 0))
            sock.connect((HOST, port))
            connects += 1
        except OSError:
            failures += 1
        finally:
            sock.close()
    results.put((connects, failures))


def accept_flood(args, deadline):
    results = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=_flood, args=(args.port, deadline, results), daemon=True)
               for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    connects = failures = 0
    for _ in workers:
        done, failed = results.get(timeout=max(1.0, deadline - time.monotonic()) + 10)
        connects, failures = connects + done, failures + failed
    for worker in workers:
        worker.join(5)
    return {"processes": PROCESSES, "connects": connects, "connect_failures": failures}
