"""Loopback clients for the abuse suite (scripts/abuse.py): a keep-alive JSON API client, a
fresh-connection /livez probe, a WebSocket handshake and client frames, and the server's RSS.
Python 3 standard library only. Every connection goes to 127.0.0.1; the source address may be
another loopback address (127.0.0.x), so that the attacker is a different peer from the tenant
and the probe, as it would be in production."""
import base64, http.client, json, os, socket, struct, time

HOST = "127.0.0.1"
TENANT_SOURCE = "127.0.0.1"
ATTACKER_SOURCE = "127.0.0.2"   # an authenticated, hostile user
ANONYMOUS_SOURCE = "127.0.0.3"  # clients without credentials


class Refused(Exception):
    """A request answered with a status the caller did not expect."""

    def __init__(self, status, body):
        super().__init__(f"{status} {body[:200]!r}")
        self.status = status


class Api:
    """One keep-alive connection speaking JSON with a bearer token (reconnects once on a closed
    keep-alive connection)."""

    def __init__(self, port, token, source=TENANT_SOURCE, timeout=10.0):
        self.port, self.token, self.source, self.timeout = port, token, source, timeout
        self.conn = None

    def _connection(self):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout,
                                                   source_address=(self.source, 0))
        return self.conn

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def call(self, method, path, body=None, raw=None):
        """Returns (status, body bytes). `raw` is an already encoded JSON body."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        headers = {"Authorization": f"Bearer {self.token}"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            try:
                conn = self._connection()
                conn.request(method, path, data, headers)
                response = conn.getresponse()
                payload = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return response.status, payload
            except (http.client.HTTPException, OSError):
                self.close()
                if attempt == 2:
                    raise

    def create(self, path, body, expect=(200, 201, 202)):
        status, payload = self.call("POST", path, body)
        if status not in expect:
            raise Refused(status, payload)
        return json.loads(payload)

    def engine(self, thread_id):
        """A context and an engine bound to it; returns the engine id."""
        context = self.create("/v1/contexts", {"thread_id": thread_id})
        return self.create("/v1/engines", {"context_id": context["id"]})["id"]


def connect(port, source, timeout=5.0, receive_buffer=None):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if receive_buffer:
        # Before connect, so that the advertised window stays small: a truly slow reader.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.settimeout(timeout)
    sock.bind((source, 0))
    try:
        sock.connect((HOST, port))
    except OSError:
        sock.close()
        raise
    return sock


def livez_probe(port, timeout=5.0):
    """(seconds from connect to the end of a `GET /livez` answer over a fresh connection, its
    status code), or None when no complete answer came within `timeout`."""
    started = time.perf_counter()
    deadline = started + timeout
    try:
        sock = connect(port, TENANT_SOURCE, timeout)
    except OSError:
        return None
    try:
        sock.sendall(b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return None
            sock.settimeout(remaining)
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError:
        return None
    finally:
        sock.close()
    if not data.startswith(b"HTTP/1.") or not data[9:12].isdigit():
        return None
    return time.perf_counter() - started, int(data[9:12])


def ws_connect(port, token, source, path="/v1/events/ws", receive_buffer=None):
    """A WebSocket on `path`, authenticated with the `bearer, <token>` subprotocol. Returns the
    socket after the 101 answer; raises Refused with the status otherwise."""
    sock = connect(port, source, 5.0, receive_buffer)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                  f"Sec-WebSocket-Protocol: bearer, {token}\r\n\r\n").encode())
    head = b""
    try:
        while b"\r\n\r\n" not in head and len(head) < 16384:
            chunk = sock.recv(1)   # byte by byte: never swallow the first frames after the head
            if not chunk:
                break
            head += chunk
    except OSError:
        sock.close()
        raise
    if not head.startswith(b"HTTP/1.1 101"):
        sock.close()
        status = int(head[9:12]) if head[9:12].isdigit() else 0
        raise Refused(status, head)
    return sock


def ws_frame(opcode, payload):
    """One final client frame, masked as RFC 6455 requires of clients."""
    mask = os.urandom(4)
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
    elif length < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
    masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
    return header + mask + masked


def rss_kib(pid):
    """VmRSS of `pid` in KiB, or None when the process is gone (or a zombie)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            fields = dict(line.split(":", 1) for line in status if ":" in line)
    except OSError:
        return None
    if fields.get("State", "").strip().startswith("Z"):
        return None
    return int(fields.get("VmRSS", "0 kB").split()[0])
