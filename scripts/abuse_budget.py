"""Abuse case "budget" (issue 12, item 1): one user tries to make the service keep as much as it
can for them — echo runs with ~200 KiB inputs on both of their engines (every result lands in run
history) and contexts with ~60 KiB agent_context — far past the per-user budget of retained
bytes (32 MiB by default). The server must refuse with 429 `budget-exceeded` once the budget is
used, so RSS growth stays near the budget while the other tenant is served as usual. Runs in its
own process (started by scripts/abuse.py); bounded by `deadline` and by count; loopback only."""
import collections, json, time
from abuse_client import ATTACKER_SOURCE, Api

INPUT_BYTES = 200 * 1024
CONTEXT_BYTES = 60 * 1024


def _run_body(size):
    return b'{"agent":"echo","input":{"data":"' + b"r" * size + b'"}}'


def _context_body(index):
    return json.dumps({"thread_id": f"abuse-budget-{index}", "agent_context": {"notes": "c" * CONTEXT_BYTES}}).encode()


def budget(args, deadline):
    """Echo runs on both engines and contexts, alternately, until the deadline (at most
    max(args.runs, 100) * 20 requests): once the budget is used every one is refused, and the
    attacker simply goes on asking, as a hostile client would."""
    api = Api(args.port, args.token, source=ATTACKER_SOURCE, timeout=30.0)
    engines = [api.engine(f"abuse-budget-engine-{n}") for n in range(2)]
    runs, contexts = collections.Counter(), collections.Counter()
    problem_types = collections.Counter()
    body = _run_body(INPUT_BYTES)
    for index in range(max(args.runs, 100) * 20):
        if time.monotonic() >= deadline:
            break
        if index % 3 == 2:
            status, payload = api.call("POST", "/v1/contexts", raw=_context_body(index))
            contexts[status] += 1
        else:
            status, payload = api.call("POST", f"/v1/engines/{engines[index % 2]}/runs", raw=body)
            runs[status] += 1
        if status in (429, 503):
            problem_types[json.loads(payload).get("type", "?").rsplit(":", 1)[-1]] += 1
    status, payload = api.call("GET", "/v1/usage")
    usage = json.loads(payload) if status == 200 else {"status": status}
    api.close()
    return {"run_statuses": dict(runs), "context_statuses": dict(contexts), "refusals": dict(problem_types),
            "used_mib": round(usage.get("used_bytes", 0) / (1 << 20), 1),
            "budget_mib": round(usage.get("budget_bytes", 0) / (1 << 20), 1)}
