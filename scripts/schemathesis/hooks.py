"""Schemathesis hooks for isolationd's contract run (scripts/schemathesis/run.sh and
Tests/IntegrationTests/API/SchemathesisBinaryTests.swift).

1. An Idempotency-Key names one request: a retry with the same key and body replays the first
answer, the same key with another body is 422 (draft-ietf-httpapi-idempotency-key-header), as
the OpenAPI document says. A generator that draws keys from a pattern reuses the same few
values (the coverage phase sends the shortest matching key for every case), so its "valid"
requests would be 422s and replays by design. Schemathesis' advice for such fields is this
hook: every well-formed key it sends is made unique; malformed ones (the negative cases the
server must refuse with 400) are sent as drawn, and so is every negative case (rewriting it
would make the tool re-judge the case as it was generated).

2. Deleting a context deletes its child contexts and cleans the engines bound to any of them;
cleaning an engine forgets its runs (the document says so on each DELETE). The tool's check that
a created resource stays readable (ensure_resource_availability) knows only that a DELETE
removes the paths below its own, so a 404 for an engine whose context an earlier step deleted
reads to it as a resource lost after creation. The hooks below record which resource hangs on
which (from the answers), and drop exactly those 404s whose resource, or one it hangs on, was
deleted by an earlier successful request; the summary counts what was dropped. Every other 404
of a created resource stays a failure.
"""

import re
import threading
import uuid

import schemathesis

WELL_FORMED_KEY = re.compile(r"^[!-~]{1,255}$")


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers
    if not headers or (case.meta is not None and case.meta.generation.mode.is_negative):
        return
    for name in list(headers):
        if name.lower() != "idempotency-key":
            continue
        value = headers[name]
        if isinstance(value, str) and WELL_FORMED_KEY.match(value):
            headers[name] = "st-" + uuid.uuid4().hex


_lock = threading.Lock()
# A resource id -> the id of the resource it hangs on (child -> parent context, engine ->
# context, run -> engine), and the ids a successful DELETE removed.
_depends_on = {}
_deleted = set()


def _json(response):
    try:
        value = response.json()
    except Exception:
        return None
    return value if isinstance(value, dict) else None


@schemathesis.hook
def after_call(context, case, response):
    method = case.method.upper()
    path = case.operation.path
    status = response.status_code
    ident = (case.path_parameters or {}).get("id")
    if method == "DELETE" and 200 <= status < 300 and ident is not None:
        with _lock:
            _deleted.add(ident)
        return
    if method != "POST" or status not in (201, 202):
        return
    body = _json(response)
    if body is None or not isinstance(body.get("id"), str):
        return
    parent = None
    if path == "/v1/contexts/{id}/children" or path == "/v1/engines/{id}/runs":
        parent = ident
    elif path == "/v1/engines":
        parent = body.get("context_id")
    if isinstance(parent, str):
        with _lock:
            _depends_on[body["id"]] = parent


def _deleted_with_ancestors(ident):
    with _lock:
        seen = set()
        while isinstance(ident, str) and ident not in seen:
            if ident in _deleted:
                return True
            seen.add(ident)
            ident = _depends_on.get(ident)
    return False


@schemathesis.hook
def filter_failure(context, failure, case, response):
    if getattr(failure, "code", None) != "ST302" or response.status_code != 404:
        return True
    return not _deleted_with_ancestors((case.path_parameters or {}).get("id"))
