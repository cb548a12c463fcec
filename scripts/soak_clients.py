"""The soak's clients (scripts/soak.py): a user's work loop and its event subscriber, which
disconnects and resumes with the last id it saw over SSE or WebSocket. Every client talks only to
127.0.0.1 and stops when `stop` is set; everything it saw is kept in a `Ledger`."""
import http.client, json, logging, random, socket, threading, time
import websockets.sync.client
from abuse_client import Api, Refused

logging.getLogger("websockets").setLevel(logging.CRITICAL)   # its failures are counted, not printed

TERMINAL = {"agent_completed", "agent_error", "run_cancelled", "run_timed_out"}
HOST = "127.0.0.1"
# Users connect from these addresses in turn (a user's work and its stream from the same one):
# 200 users' 400 connections from one address would pass the per-peer cap (256).
SOURCES = [f"127.0.1.{index}" for index in range(1, 5)]


class Ledger:
    """What one user did and saw: runs accepted, terminal events per run, the ids of the events
    delivered (across resumes), and every break in them."""

    def __init__(self, user):
        self.user = user
        self.lock = threading.Lock()
        self.runs = set()
        self.terminal = {}
        self.last_id = 0
        self.events = 0
        self.problems = []          # non-contiguous ids, duplicates, gap notices, cut-offs
        self.resumes = 0
        self.transport_errors = 0
        self.last_error = None

    def accepted(self, run_id):
        with self.lock:
            self.runs.add(run_id)

    def event(self, envelope):
        with self.lock:
            event_id = envelope.get("id")
            if event_id != self.last_id + 1:
                self.problems.append(f"id {event_id} after {self.last_id}")
            self.last_id = max(self.last_id, event_id or 0)
            self.events += 1
            if envelope.get("type") in TERMINAL:
                run = envelope.get("execution_id")     # the run's id (run_id is the context's)
                self.terminal[run] = self.terminal.get(run, 0) + 1

    def notice(self, text):
        with self.lock:
            self.problems.append(text)

    def unfinished(self):
        with self.lock:
            return [run for run in self.runs if self.terminal.get(run, 0) == 0]


def user_work(port, token, ledger, stop, process_every, rng, source):
    """Cycles until `stop`: a context, an engine for it, two echo runs (every `process_every`th
    cycle one process agent run instead of the second), waits for their terminal events, then
    deletes the context (and with it the engine). Refusals (429/503) are waited out."""
    api = Api(port, token, source=source, timeout=30)
    cycle = 0
    while not stop.is_set():
        cycle += 1
        try:
            context = api.create("/v1/contexts", {"thread_id": f"soak-{ledger.user}-{cycle}"})
            engine = api.create("/v1/engines", {"context_id": context["id"]})["id"]
            runs = [{"agent": "echo", "input": {"cycle": cycle, "text": "x" * rng.randrange(10, 2000)}}]
            if process_every and cycle % process_every == 0:
                runs.append(rng.choice([{"agent": "research", "input": {"question": "how are slow consumers handled?"}},
                                        {"agent": "summarise", "input": {"text": "One. Two three. Four five six.",
                                                                         "sentences": 1}}]))
            else:
                runs.append({"agent": "echo", "input": {"cycle": cycle, "second": True}})
            for run in runs:
                status, payload = api.call("POST", f"/v1/engines/{engine}/runs", run)
                if status == 202:
                    ledger.accepted(json.loads(payload)["id"])
            deadline = time.monotonic() + 60
            while ledger.unfinished() and time.monotonic() < deadline and not stop.is_set():
                time.sleep(0.05)
            api.call("DELETE", f"/v1/contexts/{context['id']}")
        except Refused as refused:
            time.sleep(0.2 if refused.status in (429, 503) else 1.0)
        except (OSError, http.client.HTTPException, ValueError, KeyError) as error:
            ledger.transport_errors += 1
            ledger.last_error = f"work: {type(error).__name__}: {error}"[:200]
            time.sleep(0.5)
        stop.wait(rng.uniform(0.05, 0.5))
    api.close()


def _sse_session(port, token, ledger, until, stop, source):
    """One SSE connection from the ledger's last id until `until` (or the first line after it:
    the server sends a `: ping` at least every 15 s); returns after closing it."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30, source_address=(source, 0))
    try:
        headers = {"Authorization": f"Bearer {token}", "Last-Event-ID": str(ledger.last_id)}
        conn.request("GET", "/v1/events", headers=headers)
        response = conn.getresponse()
        if response.status != 200:
            response.read()
            return response.status
        name, data = None, None
        while time.monotonic() < until and not stop.is_set():
            line = response.readline()
            if not line:
                ledger.notice("the server ended an SSE stream")
                return 200
            line = line.rstrip(b"\r\n")
            if line.startswith(b"event: "):
                name = line[7:].decode()
            elif line.startswith(b"data: "):
                data = line[6:]
            elif not line and data is not None:
                if name in ("gap", "error", "server_shutdown"):
                    ledger.notice(f"sse {name}: {data[:200].decode(errors='replace')}")
                else:
                    ledger.event(json.loads(data))
                name, data = None, None
        return 200
    finally:
        conn.close()


def _ws_session(port, token, ledger, until, stop, source):
    """One WebSocket from the ledger's last id until `until`."""
    url = f"ws://{HOST}:{port}/v1/events/ws?after={ledger.last_id}"
    with websockets.sync.client.connect(url, subprotocols=["bearer", token], open_timeout=10,
                                        max_size=1 << 22, close_timeout=1, source_address=(source, 0)) as socket_:
        while time.monotonic() < until and not stop.is_set():
            try:
                message = socket_.recv(timeout=0.5)
            except TimeoutError:
                continue
            envelope = json.loads(message)
            kind = envelope.get("type")
            if "id" in envelope and kind not in ("gap", "error", "subscribed"):
                ledger.event(envelope)
            elif kind in ("gap", "error"):
                ledger.notice(f"ws {kind}: {message[:200]}")
    return 200


def subscriber(port, token, ledger, stop, websocket, rng, source):
    """Subscribes from id 0, then keeps disconnecting after 2-15 s and resuming after the last
    id seen, until `stop`; over WebSocket when `websocket`, else SSE."""
    session = _ws_session if websocket else _sse_session
    while not stop.is_set():
        until = time.monotonic() + rng.uniform(2, 15)
        try:
            status = session(port, token, ledger, until, stop, source)
            if status != 200:
                time.sleep(0.5)       # 429 (stream cap, one is still closing) or 503: retry
        except Exception as error:     # a refused or broken connection: count it, resume
            ledger.transport_errors += 1
            ledger.last_error = f"{type(error).__name__}: {error}"[:200]
            time.sleep(0.5)
        ledger.resumes += 1
