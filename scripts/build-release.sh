#!/usr/bin/env bash
# The container build without Docker: the same release build as the Dockerfile's build stage,
# then a smoke run of the binary from a fresh directory, as the runtime stage would run it.
#
#   scripts/build-release.sh            # build, start, probe, SIGTERM, check exit 0
#   KEEP=1 scripts/build-release.sh     # keep the temporary directory for inspection
#
# Exits non-zero on any failure: build, static linking, start-up, probes, drain, exit status.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '== %s\n' "$*"; }
fail() { printf 'build-release: FAILED: %s\n' "$*" >&2; exit 1; }

say "swift build -c release --static-swift-stdlib --product isolationd"
swift build -c release --static-swift-stdlib --product isolationd 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' | tail -5
binary="$(swift build -c release --static-swift-stdlib --show-bin-path)/isolationd"
[ -x "$binary" ] || fail "no binary at $binary"

say "dynamic dependencies (the runtime image provides only libc, libstdc++, libssl3 and zlib)"
if ldd "$binary" | grep -E 'libswift|libFoundation|libdispatch|libBlocksRuntime'; then
  fail "the Swift runtime is linked dynamically"
fi
ldd "$binary" | awk '{print "   " $1}'

workdir="$(mktemp -d -t isolationd-release.XXXXXX)"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $workdir"; else rm -rf "$workdir"; fi
}
trap cleanup EXIT

say "installing into $workdir (binary + config, as the image does)"
mkdir -p "$workdir/bin" "$workdir/etc/isolationd"
cp "$binary" "$workdir/bin/isolationd"
cp config/isolationd.json "$workdir/etc/isolationd/isolationd.json"
cp -r config/agents "$workdir/etc/isolationd/agents"
strip "$workdir/bin/isolationd" 2>/dev/null || true
ls -l "$workdir/bin/isolationd" | awk '{print "   size: " $5 " bytes"}'

say "check-config"
(cd "$workdir" && ISOLATIOND_CONFIG="$workdir/etc/isolationd/isolationd.json" bin/isolationd check-config >/dev/null) \
  || fail "check-config refused the shipped configuration"

say "the image's defaults (host 0.0.0.0, demo keys) are refused unless opted in (check-config: no socket is opened)"
status=0
(cd "$workdir" && ISOLATIOND_CONFIG="$workdir/etc/isolationd/isolationd.json" ISOLATIOND_HOST=0.0.0.0 \
  bin/isolationd check-config >/dev/null 2>"$workdir/refusal.txt") || status=$?
[ "$status" = 78 ] && grep -q ISOLATIOND_ALLOW_DEMO_KEYS "$workdir/refusal.txt" \
  || fail "demo keys on 0.0.0.0 were not refused with exit 78 naming ISOLATIOND_ALLOW_DEMO_KEYS (exit $status)"
(cd "$workdir" && ISOLATIOND_CONFIG="$workdir/etc/isolationd/isolationd.json" ISOLATIOND_HOST=0.0.0.0 \
  ISOLATIOND_ALLOW_DEMO_KEYS=1 bin/isolationd check-config >/dev/null 2>&1) \
  || fail "ISOLATIOND_ALLOW_DEMO_KEYS=1 did not let the demo keys through"

say "starting on a free loopback port"
log="$workdir/isolationd.log"
(
  cd "$workdir"
  # Port 0: the kernel picks a free port; the server logs it. Loopback only on this machine.
  exec env -i PATH=/usr/bin:/bin ISOLATIOND_CONFIG="$workdir/etc/isolationd/isolationd.json" \
    ISOLATIOND_HOST=127.0.0.1 ISOLATIOND_PORT=0 bin/isolationd
) >"$log" 2>&1 &
pid=$!

port=""
for _ in $(seq 1 100); do
  port="$(sed -n 's/.*isolationd: listening host=[^ ]* port=\([0-9]*\).*/\1/p' "$log" | head -1)"
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; fail "the server exited during start-up"; }
  sleep 0.1
done
[ -n "$port" ] || { cat "$log" >&2; fail "the server did not report a port within 10 s"; }
echo "   listening on 127.0.0.1:$port (pid $pid)"

for probe in healthz livez readyz; do
  "$workdir/bin/isolationd" healthcheck --url "http://127.0.0.1:$port/$probe" --timeout 5 \
    || fail "/$probe did not answer 200"
  echo "   /$probe 200"
done

rss_kib="$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")"
echo "   idle RSS: ${rss_kib} KiB (budget 16384 KiB)"
if [ "${rss_kib:-0}" -gt "${RSS_LIMIT_KIB:-16384}" ]; then
  fail "idle RSS ${rss_kib} KiB is over ${RSS_LIMIT_KIB:-16384} KiB"
fi

deadline="$(sed -n 's/.*"deadline_seconds": *\([0-9.]*\).*/\1/p' config/isolationd.json | head -1)"
limit=$(( ${deadline%.*} + 5 ))
say "SIGTERM: expecting exit 0 within the drain deadline (${deadline}s, allowing ${limit}s)"
kill -TERM "$pid"
status=""
for _ in $(seq 1 $(( limit * 10 ))); do
  if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid" && status=0 || status=$?
    break
  fi
  sleep 0.1
done
[ -n "$status" ] || fail "still running ${limit}s after SIGTERM"
pid=""
[ "$status" = 0 ] || { cat "$log" >&2; fail "exit status $status after SIGTERM"; }
grep -q 'draining' "$log" || fail "no drain in the log"
echo "   exited 0"
say "release build OK"
