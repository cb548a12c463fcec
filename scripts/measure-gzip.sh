#!/usr/bin/env bash
# Measures Gzip.compress / Gzip.decompress of a 64 KiB JSON body, compiled with swiftc -O
# (release, outside SwiftPM). Prints median and p99 per call. Runs for a few seconds.
# Usage: scripts/measure-gzip.sh [ITERATIONS]   (default 300)
set -euo pipefail
ITERATIONS="${1:-300}"
cd "$(dirname "$0")/.."
WORK=$(mktemp -d /tmp/isolationd-gzip-measure.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

cat > "$WORK/main.swift" <<'SWIFT'
import Glibc

func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) * 1e6 + Double(time.tv_nsec) / 1e3
}

/// A JSON document of about `size` bytes, like an API listing.
func sampleJSON(size: Int) -> [UInt8] {
    var text = "{\"runs\":["
    var index = 0
    while text.utf8.count < size - 200 {
        text += "{\"id\":\"run_\(index * 7919 % 100_003)\",\"status\":\"\(index % 3 == 0 ? "completed" : "running")\","
            + "\"duration_ms\":\(index * 37 % 5000),\"user\":\"u\(index % 17)\"},"
        index += 1
    }
    return Array((text + "{\"id\":\"last\"}]}").utf8)
}

func measure(_ label: String, iterations: Int, _ body: () -> Int) {
    var samples: [Double] = []
    var sink = 0
    for _ in 0..<10 { sink &+= body() }  // warm-up
    for _ in 0..<iterations {
        let start = now()
        sink &+= body()
        samples.append(now() - start)
    }
    samples.sort()
    let median = samples[samples.count / 2], p99 = samples[min(samples.count - 1, samples.count * 99 / 100)]
    print("\(label): median \(Int(median)) µs, p99 \(Int(p99)) µs  (sink \(sink % 10))")
}

let iterations = Int(CommandLine.arguments.dropFirst().first ?? "300") ?? 300
let json = sampleJSON(size: 64 * 1024)
for level in [1, 5, 6] {
    let size = Gzip.compress(json, level: level).count
    print("64 KiB JSON (\(json.count) B) level \(level) -> \(size) B")
    measure("  compress level \(level)", iterations: iterations) { Gzip.compress(json, level: level).count }
}
let compressed = Gzip.compress(json)
measure("  decompress", iterations: iterations) {
    (try? Gzip.decompress(compressed, maxOutputBytes: 1 << 20, maxRatio: 1000).count) ?? -1
}
SWIFT

swiftc -O -module-name GzipMeasure -I Sources/CZlib \
    "$WORK/main.swift" Sources/HTTPServer/Compression/*.swift Sources/HTTPServer/Core/*.swift \
    -lz -o "$WORK/measure" 2>&1 | grep -v "warning:" || true
"$WORK/measure" "$ITERATIONS"
