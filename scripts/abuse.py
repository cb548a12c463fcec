#!/usr/bin/env python3
"""The abuse suite's measuring side (issue 12, item 8); scripts/abuse.sh starts the server.

    abuse.py case NAME --port P --pid PID --tenant-token T --attacker-token A [--seconds S]
        sets up a well-behaved tenant, starts the attack NAME in a child process and measures
        while it runs: the server's VmRSS (every 50 ms: before, peak, after), a GET /livez over a
        fresh connection every 50 ms (worst latency), the tenant's GET /v1/engines/{id} latency
        (p50/p99). Prints one JSON line.
    abuse.py attack NAME ...   the attack itself (run by `case` in a process of its own, so
        that the attacker's Python work never delays the measurements through the GIL)
    abuse.py table FILE        prints the table of the JSON lines in FILE against the issue's
        targets; exits 1 only on a hard failure (the server died, or /livez gave no answer
        within 5 s); the targets are reported, not enforced.
Standard library only; loopback only; every loop is bounded by time and count."""
import argparse, json, os, subprocess, sys, threading, time
sys.dont_write_bytecode = True   # no __pycache__ left in scripts/
from abuse_client import Api, livez_probe, rss_kib

ATTACK_OPTIONS = ["runs", "readers", "connections", "round_seconds", "ring_runs", "sockets", "max_connections",
                  "budget_connections"]
TARGET_RSS_GROWTH_MIB, TARGET_LIVEZ_MS, TARGET_TENANT_P99_MS, HARD_LIVEZ_S = 128, 250, 50, 5.0


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else None


class Monitors:
    """Three threads sampling the server while an attack runs; `window` marks the samples that
    count as "during the attack"."""

    def __init__(self, port, pid, tenant_token, engine):
        self.port, self.pid, self.engine = port, pid, engine
        self.tenant = Api(port, tenant_token, timeout=HARD_LIVEZ_S * 2)
        self.stop, self.window = threading.Event(), threading.Event()
        self.rss, self.livez, self.tenant_ms = [], [], []
        self.livez_unanswered = self.livez_not_ok = self.tenant_errors = 0
        self.threads = [threading.Thread(target=loop, daemon=True)
                        for loop in (self._sample_rss, self._probe_livez, self._tenant_requests)]

    def start(self):
        for thread in self.threads:
            thread.start()

    def finish(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(HARD_LIVEZ_S * 3)
        self.tenant.close()

    def _sample_rss(self):
        while not self.stop.is_set():
            kib = rss_kib(self.pid)
            if kib is not None:
                self.rss.append(kib)
            self.stop.wait(0.05)

    def _probe_livez(self):
        while not self.stop.is_set():
            answer = livez_probe(self.port, HARD_LIVEZ_S)
            if self.window.is_set():
                if answer is None:
                    self.livez_unanswered += 1
                else:
                    self.livez.append(answer[0] * 1000)
                    self.livez_not_ok += answer[1] != 200   # an answer, but not "alive"
            self.stop.wait(0.05)

    def _tenant_requests(self):
        while not self.stop.is_set():
            started = time.perf_counter()
            try:
                status, _ = self.tenant.call("GET", f"/v1/engines/{self.engine}")
                failed = status != 200
            except OSError:
                failed = True
            if self.window.is_set():
                self.tenant_ms.append((time.perf_counter() - started) * 1000)
                self.tenant_errors += failed
            self.stop.wait(0.01)


def run_case(args):
    sys.setswitchinterval(0.0005)   # the three monitors answer quickly even when one is busy
    tenant = Api(args.port, args.tenant_token)
    engine = tenant.engine(f"abuse-tenant-{args.name}")
    tenant.create(f"/v1/engines/{engine}/runs", {"agent": "echo", "input": {"hello": "tenant"}})
    tenant.close()
    monitors = Monitors(args.port, args.pid, args.tenant_token, engine)
    monitors.start()
    time.sleep(0.5)
    before = rss_kib(args.pid)
    monitors.window.set()
    command = [sys.executable, os.path.abspath(__file__), "attack", args.name, "--port", str(args.port),
               "--token", args.attacker_token, "--seconds", str(args.seconds)]
    for option in ATTACK_OPTIONS:
        command += [f"--{option.replace('_', '-')}", str(getattr(args, option))]
    attack_started = time.monotonic()
    attacker = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        output, _ = attacker.communicate(timeout=args.seconds + 30)
    except subprocess.TimeoutExpired:
        attacker.kill()      # our own child, by its pid
        output, _ = attacker.communicate()
    monitors.window.clear()
    attack_seconds = time.monotonic() - attack_started
    time.sleep(1.0)
    after = rss_kib(args.pid)
    livez_after = livez_probe(args.port, HARD_LIVEZ_S)
    monitors.finish()
    peak = max(monitors.rss + [before or 0, after or 0])
    lines = output.strip().splitlines()
    tenant_ms = monitors.tenant_ms
    result = {
        "case": args.name, "seconds": args.seconds, "attack_seconds": attack_seconds,
        "rss_before_mib": (before or 0) / 1024, "rss_peak_mib": peak / 1024,
        "rss_after_mib": after / 1024 if after is not None else None,
        "livez_worst_ms": max(monitors.livez, default=None), "livez_probes": len(monitors.livez),
        "livez_unanswered": monitors.livez_unanswered + (livez_after is None),
        "livez_not_200": monitors.livez_not_ok,
        "livez_after_ms": livez_after[0] * 1000 if livez_after is not None else None,
        "tenant_p50_ms": percentile(tenant_ms, 0.5), "tenant_p99_ms": percentile(tenant_ms, 0.99),
        "tenant_requests": len(tenant_ms), "tenant_errors": monitors.tenant_errors,
        "alive": after is not None,
        "attack": json.loads(lines[-1]) if lines else {"error": f"attacker exit {attacker.returncode}"},
    }
    print(json.dumps(result))


def run_attack(args):
    from abuse_attacks import ATTACKS
    deadline = time.monotonic() + args.seconds
    try:
        result = ATTACKS[args.name](args, deadline)
    except Exception as error:      # report what stopped the attack; the table shows it
        result = {"error": f"{type(error).__name__}: {error}"}
    print(json.dumps(result), flush=True)


def mark(ok):
    return "✓" if ok else "✗"


def fmt(value, digits=1):
    return "—" if value is None else f"{value:.{digits}f}"


def print_table(path):
    results = [json.loads(line) for line in open(path) if line.strip()]
    header = (f"{'case':<13} {'RSS before/peak/after MiB':>26} {'growth ≤128':>12} "
              f"{'worst /livez ≤250 ms':>21} {'tenant p50/p99 ≤50 ms':>23} {'alive':>6}")
    print(header)
    print("-" * len(header))
    hard = False
    for r in results:
        if "rss_before_mib" not in r:   # the measuring client itself failed: nothing proven
            print(f"{r['case']:<13} measurement failed: {r.get('error')}")
            hard = True
            continue
        growth = r["rss_peak_mib"] - r["rss_before_mib"]
        worst = r["livez_worst_ms"]
        livez_ok = (r["livez_unanswered"] == 0 and r["livez_not_200"] == 0 and worst is not None
                    and worst <= TARGET_LIVEZ_MS)
        p99 = r["tenant_p99_ms"]
        tenant_ok = p99 is not None and p99 <= TARGET_TENANT_P99_MS and r["tenant_errors"] == 0
        worst_text = (f"{fmt(worst)}" + (f" {r['livez_not_200']}×not200" if r["livez_not_200"] else "")
                      + (f" {r['livez_unanswered']}×none" if r["livez_unanswered"] else ""))
        print(f"{r['case']:<13} {fmt(r['rss_before_mib']):>8}/{fmt(r['rss_peak_mib']):>8}/{fmt(r['rss_after_mib']):>8} "
              f"{fmt(growth):>9} {mark(growth <= TARGET_RSS_GROWTH_MIB)} "
              f"{worst_text:>19} {mark(livez_ok)} "
              f"{fmt(r['tenant_p50_ms'], 2):>9}/{fmt(p99, 2):>9}"
              f"{'' if not r['tenant_errors'] else ' E' + str(r['tenant_errors'])} {mark(tenant_ok)} "
              f"{mark(r['alive']):>6}")
        hard = hard or not r["alive"] or r["livez_unanswered"] > 0
    print("(N×not200: /livez answered another status; N×none: no answer within 5 s; EN: tenant "
          "requests that failed; growth is peak minus before)")
    print()
    for r in filter(lambda r: "rss_before_mib" in r, results):
        print(f"{r['case']}: {r['attack_seconds']:.1f} s, {r['livez_probes']} /livez probes, {r['tenant_requests']} tenant requests "
              f"({r['tenant_errors']} failed); attack: {json.dumps(r['attack'])}")
    print()
    print("HARD FAILURE: the server died, or a /livez probe got no answer within 5 s" if hard
          else "no hard failure (the server lived, /livez always answered within 5 s)")
    return 1 if hard else 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["case", "attack", "table"])
    parser.add_argument("name")
    parser.add_argument("--port", type=int)
    parser.add_argument("--pid", type=int)
    parser.add_argument("--tenant-token")
    parser.add_argument("--attacker-token")
    parser.add_argument("--token")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--runs", type=int, default=100, help="echo-history: large echo runs")
    parser.add_argument("--readers", type=int, default=10, help="echo-history: slow readers")
    parser.add_argument("--connections", type=int, default=500, help="anon-bodies: per round")
    parser.add_argument("--budget-connections", type=int, default=600,
                        help="body-budget: bodies started per round (600 x 260 KiB: 2.4 times the default budget)")
    parser.add_argument("--round-seconds", type=float, default=4, help="anon-bodies: hold time")
    parser.add_argument("--ring-runs", type=int, default=400, help="ws-subscribe: runs filling the ring")
    parser.add_argument("--sockets", type=int, default=4, help="ws-subscribe: WebSockets")
    parser.add_argument("--max-connections", type=int, default=30000, help="conn-flood: bound")
    args = parser.parse_args()
    if args.mode == "table":
        sys.exit(print_table(args.name))
    if args.mode == "attack":
        run_attack(args)
    else:
        run_case(args)


if __name__ == "__main__":
    main()
