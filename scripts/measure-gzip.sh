#!/usr/bin/env bash
# Measures Gzip.compress / Gzip.decompress of a 64 KiB JSON body, compiled with swiftc -O
# (release, outside SwiftPM). Prints median and p99 per call. Then how long a 1 MiB JSON body
# holds a loop: compressed at once, and a turn at a time as SlicedGzipBody does (8 KiB slices
# while the time so far plus the last slice's stays within 0.6 ms; the longest turn of each run
# is what a loop's other connections wait). Runs for a few seconds.
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

// 1 MiB: the whole body at once (what a loop was held for before), then SlicedGzipBody's turns
// (its constants: 8 KiB slices, 0.6 ms a turn; the room check is left out, the socket being
// taken as fast).
let large = sampleJSON(size: 1 << 20)
let runs = max(20, iterations / 10)
for level in [5, 9] {
    print("1 MiB JSON (\(large.count) B) level \(level) -> \(Gzip.compress(large, level: level).count) B")
    measure("  at once (the loop is held this long)", iterations: runs) { Gzip.compress(large, level: level).count }
    var longest: [Double] = []
    var turnCounts: [Int] = []
    for _ in 0..<runs {
        let encoder = GzipStreamEncoder(level: level)
        var offset = 0, turns = 0, worst = 0.0, size = 0
        large.withUnsafeBytes { bytes in
            while offset < bytes.count {
                let start = now()
                var sliceStart = start, lastSlice = 0.0
                repeat {
                    let end = min(bytes.count, offset + 8 * 1024)
                    size += encoder.compress(UnsafeRawBufferPointer(rebasing: bytes[offset..<end]), flush: false).count
                    offset = end
                    let time = now()
                    lastSlice = time - sliceStart
                    sliceStart = time
                } while offset < bytes.count && sliceStart - start + lastSlice <= 600
                if offset == bytes.count { size += encoder.finish().count }
                worst = max(worst, now() - start)
                turns += 1
            }
        }
        longest.append(worst)
        turnCounts.append(turns)
    }
    longest.sort()
    print("  in turns: \(turnCounts[0]) turns; longest turn median \(Int(longest[longest.count / 2])) µs, "
        + "max \(Int(longest[longest.count - 1])) µs")
}
SWIFT

swiftc -O -module-name GzipMeasure -I Sources/CZlib \
    "$WORK/main.swift" Sources/HTTPServer/Compression/{Gzip,GzipStreamEncoder,StoredGzipWriter,ZStream}.swift \
    -lz -o "$WORK/measure" 2>&1 | grep -v "warning:" || true
"$WORK/measure" "$ITERATIONS"
