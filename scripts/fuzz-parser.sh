#!/usr/bin/env bash
# Fuzzes the HTTP/1.1 parser with libFuzzer + AddressSanitizer for SECONDS (default 60).
#
#   scripts/fuzz-parser.sh [SECONDS] [extra libFuzzer flags...]
#
# Compiles Sources/HTTPServer/{Core,Parsing} and Fuzz/ParserFuzz directly with swiftc (not
# through SwiftPM) at -Onone, so the standard library's buffer bounds checks stay on in addition
# to ASan. The working corpus lives in ./.fuzz/corpus, crashes in ./fuzz-artifacts/ (both
# gitignored). Reproduce a crash with: .fuzz/parser-fuzz fuzz-artifacts/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."

run_seconds="${1:-60}"
shift || true
build_dir=.fuzz
binary="$build_dir/parser-fuzz"
mkdir -p "$build_dir/corpus" fuzz-artifacts

echo "== building $binary"
swiftc -sanitize=fuzzer,address -parse-as-library -Onone -g -module-name ParserFuzz \
  Sources/HTTPServer/Core/*.swift Sources/HTTPServer/Parsing/*.swift Fuzz/ParserFuzz/*.swift \
  -o "$binary" 2> >(grep -v "ld.gold: warning: Cannot export local symbol" >&2)

echo "== fuzzing for ${run_seconds}s"
# -rss_limit_mb keeps it well inside a shared machine; -max_len bounds byte-by-byte re-feeding.
# The Swift runtime's own crash backtracer would linger after a crash; libFuzzer reports instead.
export SWIFT_BACKTRACE=enable=no
exec "$binary" "$build_dir/corpus" Fuzz/ParserFuzz/seeds \
  -max_total_time="$run_seconds" -max_len=4096 -rss_limit_mb=1024 -timeout=10 \
  -dict=Fuzz/ParserFuzz/http.dict -artifact_prefix=fuzz-artifacts/ -print_final_stats=1 "$@"
