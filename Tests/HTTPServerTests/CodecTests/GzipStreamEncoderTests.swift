import Testing
@testable import HTTPServer

@Suite("gzip streaming")
struct GzipStreamEncoderTests {
    @Test("after each flushed chunk, everything sent so far decodes to the chunks so far",
          arguments: [(15, 8), (12, 5), (9, 1)])
    func flushPerChunk(windowBits: Int, memoryLevel: Int) throws {
        let encoder = GzipStreamEncoder(windowBits: windowBits, memoryLevel: memoryLevel)
        var sent: [UInt8] = []
        var expected: [UInt8] = []
        for index in 0..<20 {
            let event = Array("event: run\ndata: {\"seq\":\(index),\"status\":\"running\"}\n\n".utf8)
            expected += event
            sent += encoder.compress(event, flush: true)
            let decoded = try #require(zlibInflatePrefix(sent))
            #expect(decoded.output == expected, "after chunk \(index)")
            #expect(!decoded.ended)
        }
        sent += encoder.finish()
        #expect(zlibInflatePrefix(sent)?.ended == true)
        #expect(try Gzip.decompress(sent, maxOutputBytes: 1 << 20, maxRatio: 1000) == expected)
        #expect(encoder.finish() == [])
        #expect(encoder.compress([1, 2, 3], flush: true) == [])
    }

    @Test("unflushed chunks are held back but finish delivers everything")
    func withoutFlush() throws {
        let encoder = GzipStreamEncoder(level: 9)
        var sent: [UInt8] = []
        let json = sampleJSON(size: 300_000)
        var offset = 0
        while offset < json.count {
            let end = min(json.count, offset + 10_000)
            sent += encoder.compress(Array(json[offset..<end]), flush: false)
            offset = end
        }
        sent += encoder.finish()
        #expect(try Gzip.decompress(sent, maxOutputBytes: 1 << 20, maxRatio: 1000) == json)
        #expect(sent.count < json.count / 4)
    }

    @Test("an empty stream is a valid empty gzip member")
    func empty() throws {
        let encoder = GzipStreamEncoder()
        let bytes = encoder.compress([], flush: true) + encoder.finish()
        #expect(try Gzip.decompress(bytes, maxOutputBytes: 10, maxRatio: 10) == [])
    }
}
