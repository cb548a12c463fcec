#!/usr/bin/env python3
"""CORS and browser streams, checked from a real cross-origin page in headless Chromium.

Starts the isolationd binary given with --binary on an ephemeral loopback port, configured with
server.cors.allowed_origins = [the page origin] and a fresh API key; serves a tiny static page
from two more loopback origins (http://127.0.0.1:<port>, one allowed, one not) with Python's
http.server; drives Chromium through chromedriver (selenium) and checks, inside the page:

  * from the allowed origin: fetch() with Authorization and a JSON body (a preflighted request)
    creates a context and an engine, and reads the exposed Location and X-Request-ID;
  * an EventSource on /v1/events?access_token=<key> and a WebSocket on /v1/events/ws offering
    the subprotocols ["bearer", <key>] both receive the run's agent_started and agent_completed;
  * from the other origin: the same fetch is blocked by the browser (TypeError).

Exit status: 0 passed, 1 failed, 77 skipped (chromium, chromedriver or selenium missing; the
reason is printed). CI needs: apt-get install -y chromium chromium-driver; pip install selenium.
"""

import argparse
import hashlib
import http.server
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

SKIP = 77

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>isolationd CORS page</title></head>
<body><p>isolationd cross-origin page</p>
<script>
// Every step the page takes against the API; returns what it saw (never throws).
async function tryFetch(api, token) {
  try {
    const answer = await fetch(api + "/v1/agents", {headers: {"Authorization": "Bearer " + token}});
    return {ok: true, status: answer.status, requestID: answer.headers.get("X-Request-ID")};
  } catch (error) {
    return {ok: false, error: String(error)};
  }
}

async function postJSON(api, token, path, body) {
  const answer = await fetch(api + path, {
    method: "POST",
    headers: {"Authorization": "Bearer " + token, "Content-Type": "application/json"},
    body: JSON.stringify(body)});
  return {status: answer.status, location: answer.headers.get("Location"),
          requestID: answer.headers.get("X-Request-ID"), json: await answer.json()};
}

function collect(source, label, seen, wanted) {
  return new Promise((resolve) => {
    const finish = () => { if (wanted.every((t) => seen[label].includes(t))) resolve(); };
    seen[label] = [];
    source(seen, label, finish);
  });
}

async function scenario(api, wsBase, token) {
  const result = {};
  const seen = {};
  const wanted = ["agent_started", "agent_completed"];
  const opened = {};
  const ready = [];
  const done = [];

  // EventSource cannot send Authorization: the token rides in the query.
  const events = new EventSource(api + "/v1/events?access_token=" + encodeURIComponent(token));
  ready.push(new Promise((resolve, reject) => {
    events.onopen = () => { opened.sse = true; resolve(); };
    events.onerror = () => { if (!opened.sse) reject(new Error("EventSource failed to open")); };
  }));
  done.push(collect((seen, label, finish) => {
    for (const type of wanted) {
      events.addEventListener(type, (message) => { seen[label].push(JSON.parse(message.data).type); finish(); });
    }
  }, "sse", seen, wanted));

  // A WebSocket cannot send Authorization either: the token is the subprotocol after "bearer".
  const socket = new WebSocket(wsBase + "/v1/events/ws", ["bearer", token]);
  ready.push(new Promise((resolve, reject) => {
    socket.onopen = () => { result.subprotocol = socket.protocol; resolve(); };
    socket.onerror = () => reject(new Error("WebSocket failed"));
  }));
  done.push(collect((seen, label, finish) => {
    socket.onmessage = (message) => {
      const envelope = JSON.parse(message.data);
      if (envelope.type) { seen[label].push(envelope.type); finish(); }
    };
  }, "websocket", seen, wanted));

  await Promise.all(ready);
  const context = await postJSON(api, token, "/v1/contexts", {thread_id: "thread-browser"});
  result.context = {status: context.status, location: context.location, requestID: context.requestID};
  const engine = await postJSON(api, token, "/v1/engines", {context_id: context.json.id});
  result.engine = {status: engine.status, location: engine.location};
  const run = await postJSON(api, token, "/v1/engines/" + engine.json.id + "/runs",
                             {agent: "echo", input: {message: "from a browser"}});
  result.run = {status: run.status, location: run.location, id: run.json.id};
  await Promise.all(done);
  result.seen = seen;
  events.close();
  socket.close();
  return result;
}
</script></body></html>
"""


def missing_dependencies():
    """The names of what is missing for a browser run (empty: all present)."""
    missing = []
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        missing.append("chromium (Debian package chromium)")
    if not shutil.which("chromedriver"):
        missing.append("chromedriver (Debian package chromium-driver)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium (pip install selenium)")
    return missing


class PageServer:
    """The static page on its own loopback origin, served from a thread."""

    def __init__(self):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = PAGE.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def configuration(origin, key):
    digest = hashlib.sha256(key.encode()).hexdigest()
    return {
        "server": {"host": "127.0.0.1", "port": 0, "event_loops": 2,
                   "cors": {"allowed_origins": [origin], "max_age_seconds": 60},
                   "drain": {"delay_seconds": 0, "deadline_seconds": 5}},
        "auth": {"mode": "api_keys", "demo_keys": False,
                 "api_keys": [{"user_id": "browser-user", "roles": ["user"], "sha256": digest}]},
        "agents": [{"name": "echo", "kind": "builtin", "builtin": "echo"}],
        "logging": {"level": "info", "format": "text", "access_log": False},
    }


def start_binary(binary, config, directory):
    path = os.path.join(directory, "config.json")
    with open(path, "w") as handle:
        json.dump(config, handle)
    log_path = os.path.join(directory, "output.log")
    log = open(log_path, "w")
    process = subprocess.Popen([binary, "serve", "--config", path, "--port", "0"], stdout=log, stderr=log,
                               env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with open(log_path) as handle:
            match = re.search(r"isolationd: listening.*?port=(\d+)", handle.read())
        if match:
            return process, int(match.group(1)), log_path
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    with open(log_path) as handle:
        raise RuntimeError("isolationd did not start:\n" + handle.read())


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser")
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--no-first-run", "--disable-extensions", "--user-data-dir=" + tempfile.mkdtemp()]:
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=shutil.which("chromedriver")))
    driver.set_script_timeout(60)
    return driver


def run_in_page(driver, script, *arguments):
    """Runs an async page function: the last argument Selenium passes is the callback."""
    wrapper = ("const done = arguments[arguments.length - 1];"
               "(%s).then((value) => done({value: value}), (error) => done({error: String(error)}));" % script)
    return driver.execute_async_script(wrapper, *arguments)


def check(failures, condition, message):
    if not condition:
        failures.append(message)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", required=True, help="the isolationd executable")
    arguments = parser.parse_args()

    missing = missing_dependencies()
    if missing:
        print("SKIP: missing " + ", ".join(missing))
        return SKIP

    allowed, other = PageServer(), PageServer()
    key = "browser-key-" + secrets.token_hex(16)
    directory = tempfile.mkdtemp(prefix="isolationd-browser-")
    process, port, log_path = start_binary(arguments.binary, configuration(allowed.origin, key), directory)
    api, ws_base = "http://127.0.0.1:%d" % port, "ws://127.0.0.1:%d" % port
    failures, driver = [], None
    try:
        driver = browser()
        driver.get(allowed.origin + "/")
        outcome = run_in_page(driver, "scenario(arguments[0], arguments[1], arguments[2])", api, ws_base, key)
        print("allowed origin %s: %s" % (allowed.origin, json.dumps(outcome)))
        value = outcome.get("value") or {}
        check(failures, "error" not in outcome, "scenario failed: %s" % outcome.get("error"))
        check(failures, value.get("subprotocol") == "bearer", "WebSocket subprotocol: %r" % value.get("subprotocol"))
        context = value.get("context") or {}
        check(failures, context.get("status") == 201, "create context: %r" % context)
        check(failures, (context.get("location") or "").startswith("/v1/contexts/"), "Location not readable: %r" % context)
        check(failures, bool(context.get("requestID")), "X-Request-ID not readable: %r" % context)
        check(failures, (value.get("run") or {}).get("status") == 202, "start run: %r" % value.get("run"))
        for transport in ["sse", "websocket"]:
            seen = (value.get("seen") or {}).get(transport) or []
            for wanted in ["agent_started", "agent_completed"]:
                check(failures, wanted in seen, "%s did not receive %s (saw %r)" % (transport, wanted, seen))
        same = run_in_page(driver, "tryFetch(arguments[0], arguments[1])", api, key)
        check(failures, (same.get("value") or {}).get("status") == 200, "allowed fetch: %r" % same)

        driver.get(other.origin + "/")
        blocked = run_in_page(driver, "tryFetch(arguments[0], arguments[1])", api, key)
        print("other origin %s: %s" % (other.origin, json.dumps(blocked)))
        check(failures, (blocked.get("value") or {}).get("ok") is False, "a disallowed origin could read: %r" % blocked)
    finally:
        if driver is not None:
            driver.quit()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            failures.append("isolationd did not stop on SIGTERM")
        allowed.close()
        other.close()
    if failures:
        with open(log_path) as handle:
            print("--- isolationd output ---\n" + handle.read())
        shutil.rmtree(directory, ignore_errors=True)
        print("FAIL:\n  " + "\n  ".join(failures))
        return 1
    shutil.rmtree(directory, ignore_errors=True)
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
