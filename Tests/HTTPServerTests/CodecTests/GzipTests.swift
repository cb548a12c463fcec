import CZlib
import Testing
@testable import HTTPServer

/// Decodes gzip with zlib directly (independent of `Gzip.decompress`): everything decodable
/// from `bytes`, which may be a prefix of a stream ended by a sync flush. nil on a zlib error.
func zlibInflatePrefix(_ bytes: [UInt8]) -> (output: [UInt8], ended: Bool)? {
    let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    stream.initialize(to: z_stream())
    defer { stream.deallocate() }
    guard isolationd_inflateInit2(stream, 31) == Z_OK else { return nil }
    defer { inflateEnd(stream) }
    var input = bytes
    var output: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    return input.withUnsafeMutableBufferPointer { inputBuffer -> (output: [UInt8], ended: Bool)? in
        stream.pointee.next_in = inputBuffer.baseAddress
        stream.pointee.avail_in = uInt(inputBuffer.count)
        for _ in 0..<100_000 {
            let (result, produced) = chunk.withUnsafeMutableBufferPointer { out -> (Int32, Int) in
                stream.pointee.next_out = out.baseAddress
                stream.pointee.avail_out = uInt(out.count)
                let result = inflate(stream, Z_SYNC_FLUSH)
                return (result, out.count - Int(stream.pointee.avail_out))
            }
            output += chunk[..<produced]
            switch result {
            case Z_STREAM_END: return (output, true)
            case Z_OK: continue
            case Z_BUF_ERROR: return (output, false)  // input used up
            default: return nil
            }
        }
        return nil
    }
}

/// A JSON document of about `size` bytes, like an API response.
func sampleJSON(size: Int) -> [UInt8] {
    var text = "{\"runs\":["
    var index = 0
    while text.utf8.count < size - 120 {
        text += "{\"id\":\"run_\(index * 7919 % 100_003)\",\"status\":\"\(index % 3 == 0 ? "completed" : "running")\",\"duration_ms\":\(index * 37 % 5000)},"
        index += 1
    }
    text += "{\"id\":\"last\"}]}"
    return Array(text.utf8)
}

@Suite("gzip one-shot")
struct GzipTests {
    @Test("round trips: empty, 1 byte, 64 KiB JSON, random", arguments: [0, 1, 5, 9])
    func roundTrips(level: Int) throws {
        var generator = SplitMix64(seed: UInt64(level))
        let inputs: [[UInt8]] = [[], [0x41], sampleJSON(size: 64 * 1024), .random(count: 100_000, using: &generator)]
        for input in inputs {
            let compressed = Gzip.compress(input, level: level)
            #expect(Array(compressed.prefix(3)) == [0x1F, 0x8B, 0x08])
            #expect(try Gzip.decompress(compressed, maxOutputBytes: 1 << 20, maxRatio: 1000) == input)
            #expect(zlibInflatePrefix(compressed)?.output == input)
            #expect(zlibInflatePrefix(compressed)?.ended == true)
        }
    }

    @Test("JSON shrinks a lot")
    func ratio() {
        let json = sampleJSON(size: 64 * 1024)
        #expect(Gzip.compress(json).count < json.count / 4)
    }

    @Test("a bomb is stopped: 10 MiB of zeros")
    func bomb() throws {
        let zeros = [UInt8](repeating: 0, count: 10 << 20)
        let compressed = Gzip.compress(zeros, level: 9)
        #expect(compressed.count < 64 * 1024)
        #expect(throws: GzipError.tooLarge) { try Gzip.decompress(compressed, maxOutputBytes: 1 << 20, maxRatio: 1_000_000) }
        #expect(throws: GzipError.tooLarge) { try Gzip.decompress(compressed, maxOutputBytes: 100 << 20, maxRatio: 100) }
        #expect(try Gzip.decompress(compressed, maxOutputBytes: 10 << 20, maxRatio: 1_000_000) == zeros)
    }

    @Test("the output bound is exact")
    func exactBound() throws {
        let input = [UInt8](repeating: 7, count: 1000)
        let compressed = Gzip.compress(input)
        #expect(try Gzip.decompress(compressed, maxOutputBytes: 1000, maxRatio: 1000) == input)
        #expect(throws: GzipError.tooLarge) { try Gzip.decompress(compressed, maxOutputBytes: 999, maxRatio: 1000) }
        #expect(throws: GzipError.tooLarge) { try Gzip.decompress(compressed, maxOutputBytes: 1000, maxRatio: 0) }
    }

    @Test("every truncation is corrupt")
    func truncated() {
        let compressed = Gzip.compress(sampleJSON(size: 2000))
        for length in 0..<compressed.count {
            #expect(throws: GzipError.corrupt, "length \(length)") {
                try Gzip.decompress(Array(compressed[..<length]), maxOutputBytes: 1 << 20, maxRatio: 1000)
            }
        }
    }

    @Test("damaged data, a wrong CRC or size, and non-gzip input are corrupt")
    func damaged() {
        let compressed = Gzip.compress(sampleJSON(size: 2000))
        var notGzip = compressed
        notGzip[0] = 0x1E
        var badCRC = compressed
        badCRC[compressed.count - 6] ^= 0xFF
        var badSize = compressed
        badSize[compressed.count - 1] ^= 0x01
        var generator = SplitMix64(seed: 5)
        for damaged in [notGzip, badCRC, badSize, .random(count: 300, using: &generator), Array("plain text".utf8)] {
            #expect(throws: GzipError.corrupt) { try Gzip.decompress(damaged, maxOutputBytes: 1 << 20, maxRatio: 1000) }
        }
        // Flipping bytes inside the deflate data is caught by the stream or the CRC.
        for position in stride(from: 12, to: compressed.count - 8, by: 37) {
            var flipped = compressed
            flipped[position] ^= 0x55
            #expect(throws: GzipError.self) { try Gzip.decompress(flipped, maxOutputBytes: 1 << 20, maxRatio: 1000) }
        }
    }

    @Test("concatenated members are joined; other trailing bytes are corrupt")
    func trailing() throws {
        let first = Gzip.compress(Array("hello ".utf8)), second = Gzip.compress(Array("world".utf8))
        #expect(try Gzip.decompress(first + second, maxOutputBytes: 100, maxRatio: 100) == Array("hello world".utf8))
        for garbage: [UInt8] in [[0], [0x1F], [0x1F, 0x8B], Array("junk".utf8)] {
            #expect(throws: GzipError.corrupt) { try Gzip.decompress(first + garbage, maxOutputBytes: 100, maxRatio: 100) }
        }
    }

    @Test("the stored fallback writes valid gzip")
    func storedFallback() throws {
        var generator = SplitMix64(seed: 9)
        for count in [0, 1, 65535, 65536, 200_000] {
            let input = [UInt8].random(count: count, using: &generator)
            let stored = input.withUnsafeBytes { StoredGzipWriter.member($0) }
            #expect(zlibInflatePrefix(stored)?.output == input)
            #expect(try Gzip.decompress(stored, maxOutputBytes: 1 << 20, maxRatio: 10) == input)
        }
    }
}
