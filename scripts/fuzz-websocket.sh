#!/usr/bin/env bash
# Builds the WebSocket libFuzzer target and runs it for SECONDS (default 60).
# Usage: scripts/fuzz-websocket.sh [SECONDS]
# Corpus: .fuzz/websocket/corpus (kept between runs); crashes: fuzz-artifacts/websocket/.
# Every crash found must become a regression test in Tests/HTTPServerTests/CodecTests.
set -euo pipefail
RUN_SECONDS="${1:-60}"
cd "$(dirname "$0")/.."

WORK=.fuzz/websocket
# The Swift runtime backtracer and ASan both want the crash signal; let libFuzzer/ASan report.
export SWIFT_BACKTRACE=enable=no
ARTIFACTS=fuzz-artifacts/websocket
mkdir -p "$WORK/corpus" "$ARTIFACTS"

swiftc -sanitize=fuzzer,address -parse-as-library -O -g \
    -module-name WebSocketFuzz \
    -I Sources/COpenSSL \
    Fuzz/WebSocketFuzz/*.swift Sources/HTTPServer/WebSocket/*.swift Sources/HTTPServer/Core/*.swift \
    -lssl -lcrypto \
    -o "$WORK/websocket-fuzz"

# Seeds: byte 0 = limits, byte 1 = split seed, then client frames with mask key 00 00 00 00
# or 01 02 03 04 (masked text "Hi", ping, close 1000, a fragmented text with a ping inside).
seed() { printf "$2" > "$WORK/corpus/seed-$1"; }
seed text '\x66\x07\x81\x82\x00\x00\x00\x00Hi'
seed ping '\x66\x03\x89\x81\x01\x02\x03\x04\x05'
seed close '\x66\x09\x88\x82\x00\x00\x00\x00\x03\xe8'
seed fragments '\x66\x05\x01\x82\x00\x00\x00\x00\xce\xba\x89\x80\x00\x00\x00\x00\x80\x81\x00\x00\x00\x00\xbe'
seed long '\x66\x0b\x82\xfe\x00\x80\x00\x00\x00\x00'

"$WORK/websocket-fuzz" -max_total_time="$RUN_SECONDS" -max_len=2048 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$ARTIFACTS/" -print_final_stats=1 "$WORK/corpus"
