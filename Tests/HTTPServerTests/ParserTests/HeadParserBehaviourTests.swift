import Testing
@testable import HTTPServer

/// How the parser behaves across requests and calls: pipelining, limits detected before the
/// offending bytes end, linear scanning, reuse, and the byte classification it relies on.
@Suite("HTTP parser behaviour")
struct HeadParserBehaviourTests {
    /// Three pipelined requests (one with a body, the last after an empty line) in one buffer.
    static let pipeline = utf8Bytes(
        "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
        + "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
        + "\r\nGET /c HTTP/1.0\r\n\r\n")

    /// Plays a connection: bytes arrive in pieces, heads are parsed, bodies skipped.
    static func readPipeline(_ bytes: [UInt8], cuts: [Int]) throws -> [String] {
        var parser = HTTPHeadParser()
        var pending: [UInt8] = []
        var bodyLeft = 0
        var targets: [String] = []
        var delivered = 0
        for cut in cuts {
            pending += bytes[delivered..<cut]
            delivered = cut
            for _ in 0..<10 {  // at most a few heads per arrival
                if bodyLeft > 0 {
                    let skip = min(bodyLeft, pending.count)
                    pending.removeFirst(skip)
                    bodyLeft -= skip
                    if bodyLeft > 0 { break }
                }
                guard let (head, consumed) = try parser.parse(bytes: pending) else { break }
                #expect(consumed <= pending.count)
                pending.removeFirst(consumed)
                targets.append(head.target)
                if case .contentLength(let length) = head.framing { bodyLeft = length }
            }
        }
        #expect(pending.isEmpty && bodyLeft == 0)
        return targets
    }

    @Test("pipelined heads in one buffer, and in every split")
    func pipelined() throws {
        for cuts in Splits.all(Self.pipeline.count, seedName: "pipeline") {
            #expect(try Self.readPipeline(Self.pipeline, cuts: cuts) == ["/a", "/b", "/c"])
        }
    }

    @Test("an over-long request line is 414 as soon as it passes the limit, before its CRLF")
    func eagerRequestLineLimit() throws {
        var parser = HTTPHeadParser(limits: .init(maxRequestLineBytes: 16))
        let line = utf8Bytes("GET /" + String(repeating: "a", count: 30))
        #expect(try parser.parse(bytes: line[0..<16]) == nil)
        let error = #expect(throws: HTTPParseError.self) { try parser.parse(bytes: line[0..<17]) }
        #expect(error?.status == .uriTooLong)
    }

    @Test("a header block over its limit is 431 as soon as it cannot fit, before it ends")
    func eagerHeaderLimit() throws {
        var parser = HTTPHeadParser(limits: .init(maxHeaderBytes: 20))
        let head = utf8Bytes("GET / HTTP/1.0\r\n" + "X: " + String(repeating: "v", count: 30))
        // The field line's CR may sit at offset 16 of the block at most (its LF, then the final
        // CRLF, make 20), so 17 bytes of field line without a CR can no longer fit.
        #expect(try parser.parse(bytes: head[0..<(16 + 16)]) == nil)
        let error = #expect(throws: HTTPParseError.self) { try parser.parse(bytes: head[0..<(16 + 17)]) }
        #expect(error?.status == .requestHeaderFieldsTooLarge)
    }

    @Test("a head arriving one byte at a time is scanned once, not once per call")
    func linearScanning() throws {
        var text = "GET /" + String(repeating: "p", count: 3000) + " HTTP/1.1\r\nHost: h\r\n"
        for index in 0..<60 { text += "X-Field-\(index): " + String(repeating: "v", count: 150) + "\r\n" }
        let bytes = utf8Bytes(text + "\r\n")
        var parser = HTTPHeadParser(limits: .init(maxHeaderBytes: 65536))
        let outcome = HeadFeeder.outcome(bytes, cuts: Splits.byteByByte(bytes.count), parser: &parser)
        guard case .head(let head, let consumed) = outcome else {
            Issue.record("expected a head, got \(outcome)")
            return
        }
        #expect(consumed == bytes.count && head.headers.count == 61)
        // Quadratic rescanning would examine about n²/2 bytes (tens of millions) here.
        #expect(parser.bytesScanned <= bytes.count)
    }

    @Test("a buffer shorter than what was scanned restarts the parse instead of reading past it")
    func shrunkBuffer() throws {
        var parser = HTTPHeadParser()
        let bytes = utf8Bytes("GET /x HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(try parser.parse(bytes: bytes[0..<22]) == nil)
        #expect(try parser.parse(bytes: bytes[0..<5]) == nil)
        let result = try parser.parse(bytes: bytes)
        #expect(result?.head.target == "/x" && result?.consumed == bytes.count)
    }

    @Test("the parser reads the next request after a limit error without a reset")
    func reuseAfterLimitError() throws {
        var parser = HTTPHeadParser(limits: .init(maxRequestLineBytes: 20, maxHeaderBytes: 20, maxHeaderCount: 1))
        for bad in ["GET /" + String(repeating: "a", count: 40), "GET / HTTP/1.1\r\nHost: h\r\nA: b\r\n\r\n"] {
            #expect(throws: HTTPParseError.self) { try parser.parse(bytes: utf8Bytes(bad)) }
            let good = utf8Bytes("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
            let result = try parser.parse(bytes: good)
            #expect(result?.consumed == good.count)
        }
    }

    @Test("common methods come back as the shared constants")
    func methodConstants() throws {
        let methods: [HTTPMethod] = [.get, .head, .post, .put, .delete, .patch, .options]
        for method in methods {
            var parser = HTTPHeadParser()
            let bytes = utf8Bytes("\(method.rawValue) / HTTP/1.1\r\nHost: h\r\n\r\n")
            #expect(try parser.parse(bytes: bytes)?.head.method == method)
        }
    }

    @Test("the tchar masks match RFC 9110's token characters")
    func tokenCharacters() {
        let tchars = Set(utf8Bytes("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"))
        for byte in UInt8.min...UInt8.max {
            #expect(ParserBytes.isTokenChar(byte) == tchars.contains(byte), "byte \(byte)")
        }
    }

    @Test("the word-at-a-time control scan agrees with a byte loop")
    func controlScan() {
        var rng = SplitMix64(seed: 42)
        let interesting: [UInt8] = [0x00, 0x09, 0x0A, 0x0D, 0x1F, 0x20, 0x41, 0x7E, 0x7F, 0x80, 0xA0, 0xFF]
        for _ in 0..<3000 {
            let length = Int.random(in: 0...40, using: &rng)
            let bytes = (0..<length).map { _ in
                Int.random(in: 0..<4, using: &rng) == 0 ? interesting.randomElement(using: &rng) ?? 0
                    : UInt8.random(in: 0x20...0x7E, using: &rng)
            }
            let start = length == 0 ? 0 : Int.random(in: 0...length, using: &rng)
            let expected = bytes[start...].firstIndex(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }) ?? length
            let found = bytes.withUnsafeBytes { ParserBytes.firstControl(in: $0, from: start, to: length) }
            #expect(found == expected, "\(bytes) from \(start)")
        }
    }
}
