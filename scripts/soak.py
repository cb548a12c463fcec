#!/usr/bin/env python3
"""The soak's driver (issue 12, item 8; scripts/soak.sh starts the release binary). For the
given time: USERS users each run `soak_clients.user_work` (contexts, engines, echo runs and now
and then a process agent run, the context deleted after each cycle) and one subscriber to
/v1/events that disconnects every 2-15 s and resumes after the last id it saw (even users over
SSE, odd ones over WebSocket); meanwhile an abusive tenant runs the abuse suite's attacks one
after another (scripts/abuse.py attack ...). The server's RSS is sampled every 5 s.

Then the load stops, the subscribers get up to 60 s to see every accepted run's terminal event,
and the verdict: nothing lost (every accepted run has exactly one terminal event, every user's
event ids arrived contiguous across resumes, no duplicate, no gap, no cut-off) and RSS flat over
the last half: the mean RSS of each attack cycle there within ±10% of their mean (an attack's
transient buffers, released when it ends, recur every cycle; a leak raises every later cycle).
Exit 0 only if both hold.

    soak.py --port P --pid PID --tokens FILE --attacker-token T --minutes M"""
import argparse, json, os, random, subprocess, sys, threading, time
sys.dont_write_bytecode = True
from abuse_client import rss_kib
from soak_clients import SOURCES, Ledger, subscriber, user_work

ATTACKS = [("ws-ping", []), ("anon-bodies", ["--connections", "200", "--round-seconds", "2"]),
           ("body-budget", []), ("accept-flood", []), ("echo-history", ["--runs", "30", "--readers", "4"]),
           ("ws-subscribe", ["--ring-runs", "150"]), ("conn-flood", ["--max-connections", "2000"])]


def attacker(args, stop, log):
    """Runs the attacks one after another, each for `args.attack_seconds`, until `stop`."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "abuse.py")
    index = 0
    while not stop.is_set():
        name, options = ATTACKS[index % len(ATTACKS)]
        index += 1
        command = [sys.executable, script, "attack", name, "--port", str(args.port), "--token", args.attacker_token,
                   "--seconds", str(args.attack_seconds)] + options
        child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        try:
            output, _ = child.communicate(timeout=args.attack_seconds + 30)
        except subprocess.TimeoutExpired:
            child.kill()       # our own child, by its pid
            output, _ = child.communicate()
        lines = output.strip().splitlines()
        log.append((name, lines[-1][:300] if lines else f"exit {child.returncode}"))


def flatness(samples, window_seconds):
    """RSS over the last half of `samples` ((seconds, KiB) pairs): the mean of each window of
    `window_seconds` (one cycle of the attacks, so each window holds the same attacks' transient
    buffers, which are released when an attack ends; a leak moves every later window up), and
    how far the lowest and highest window mean lie from their mean, in %. With fewer than two
    whole windows in the half, the samples themselves are compared."""
    start = samples[len(samples) // 2][0]
    half = [(t, kib) for t, kib in samples if t >= start]
    windows = {}
    for t, kib in half:
        windows.setdefault(int((t - start) // window_seconds), []).append(kib)
    complete = [values for key, values in sorted(windows.items())
                if (key + 1) * window_seconds <= half[-1][0] - start + 5]
    values = [sum(v) / len(v) for v in complete] if len(complete) >= 2 else [kib for _, kib in half]
    mean = sum(values) / len(values)
    return mean, (min(values) - mean) / mean * 100, (max(values) - mean) / mean * 100, len(complete)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--tokens", required=True, help="a JSON list of [user, token]")
    parser.add_argument("--attacker-token", required=True)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--attack-seconds", type=float, default=20)
    parser.add_argument("--process-every", type=int, default=10, help="one process-agent run every N cycles")
    args = parser.parse_args()
    sys.setswitchinterval(0.001)
    users = json.load(open(args.tokens))
    stop_load, stop_streams, stop_attacks = threading.Event(), threading.Event(), threading.Event()
    ledgers, threads = [], []
    for index, (user, token) in enumerate(users):
        ledger = Ledger(user)
        ledgers.append(ledger)
        rng, source = random.Random(index), SOURCES[index % len(SOURCES)]
        threads.append(threading.Thread(target=subscriber, daemon=True,
                                        args=(args.port, token, ledger, stop_streams, index % 2 == 1, rng, source)))
        threads.append(threading.Thread(target=user_work, daemon=True,
                                        args=(args.port, token, ledger, stop_load, args.process_every,
                                              random.Random(index + 7919), source)))
    attack_log = []
    attack_thread = threading.Thread(target=attacker, args=(args, stop_attacks, attack_log), daemon=True)
    started = time.monotonic()
    for thread in threads:
        thread.start()
        time.sleep(0.005)
    attack_thread.start()
    samples, end = [], started + args.minutes * 60
    print(f"   {'time':>6} {'RSS MiB':>8} {'runs':>7} {'events':>8} {'resumes':>8}", flush=True)
    while time.monotonic() < end:
        kib = rss_kib(args.pid)
        if kib is None:
            print("the server is gone", flush=True)
            sys.exit(1)
        elapsed = time.monotonic() - started
        samples.append((elapsed, kib))
        if len(samples) % 6 == 1:
            print(f"   {elapsed:>5.0f}s {kib / 1024:>8.1f} {sum(len(l.runs) for l in ledgers):>7} "
                  f"{sum(l.events for l in ledgers):>8} {sum(l.resumes for l in ledgers):>8}", flush=True)
        time.sleep(min(5, max(0, end - time.monotonic())))
    stop_load.set()
    stop_attacks.set()
    settle = time.monotonic() + 60
    while any(l.unfinished() for l in ledgers) and time.monotonic() < settle:
        time.sleep(0.5)
    stop_streams.set()
    attack_thread.join(60)
    for thread in threads:
        thread.join(20)
    report(args, ledgers, samples, attack_log)


def report(args, ledgers, samples, attack_log):
    runs = sum(len(l.runs) for l in ledgers)
    unfinished = sum(len(l.unfinished()) for l in ledgers)
    duplicated = sum(1 for l in ledgers for count in l.terminal.values() if count > 1)
    stray = sum(1 for l in ledgers for run in l.terminal if run not in l.runs)
    problems = [(l.user, p) for l in ledgers for p in l.problems]
    cycle = len(ATTACKS) * args.attack_seconds
    mean, low, high, windows = flatness(samples, cycle)
    flat = low >= -10 and high <= 10
    print()
    print(f"attacks: " + "; ".join(f"{name}: {line}" for name, line in attack_log[-len(ATTACKS):]))
    print(f"users {len(ledgers)}, runs accepted {runs}, events delivered {sum(l.events for l in ledgers)}, "
          f"resumes {sum(l.resumes for l in ledgers)}, attack rounds {len(attack_log)}, "
          f"client transport errors {sum(l.transport_errors for l in ledgers)}")
    errors = [l.last_error for l in ledgers if l.last_error]
    if errors:
        print(f"last client errors (of {len(errors)} users): " + "; ".join(sorted(set(errors))[:5]))
    print(f"runs without a terminal event: {unfinished}; with more than one: {duplicated}; "
          f"terminal events of runs not accepted: {stray}")
    print(f"stream breaks (non-contiguous ids, duplicates, gaps, cut-offs): {len(problems)}")
    for user, problem in problems[:10]:
        print(f"   {user}: {problem}")
    half = [kib for _, kib in samples[len(samples) // 2:]]
    print(f"RSS: first {samples[0][1] / 1024:.1f} MiB, peak {max(k for _, k in samples) / 1024:.1f} MiB; "
          f"last half: samples {min(half) / 1024:.1f}-{max(half) / 1024:.1f} MiB, "
          + (f"means of {windows} attack cycles ({cycle:.0f} s each) " if windows >= 2 else "samples ")
          + f"{mean / 1024:.1f} MiB {low:+.1f}% / {high:+.1f}% "
          f"({'flat within ±10%' if flat else 'NOT flat within ±10%'})")
    lost = unfinished or duplicated or stray or problems
    print("SOAK PASSED" if not lost and flat else "SOAK FAILED")
    sys.exit(0 if not lost and flat else 1)


if __name__ == "__main__":
    main()
