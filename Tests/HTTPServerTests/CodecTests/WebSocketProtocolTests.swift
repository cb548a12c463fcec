import Testing
@testable import HTTPServer

@Suite("WebSocket server protocol: framing")
struct WebSocketFramingTests {
    @Test("a masked text frame is delivered, however the bytes are split")
    func textFrame() {
        let result = receiveAllWays(ClientFrame.text("Hello, wörld"))
        #expect(result.consistent)
        #expect(result.whole == [.deliver(.text("Hello, wörld"))])
    }

    @Test("7-bit, 16-bit and 64-bit payload lengths", arguments: [0, 1, 125, 126, 127, 65535, 65536, 70000])
    func lengths(count: Int) throws {
        var generator = SplitMix64(seed: UInt64(count))
        let payload = [UInt8].random(count: count, using: &generator)
        let frame = ClientFrame.frame(.binary, payload)
        let expectedHeader = count <= 125 ? 6 : count <= 65535 ? 8 : 14
        #expect(frame.count == expectedHeader + count)
        var proto = WebSocketServerProtocol()
        #expect(proto.receive(frame) == [.deliver(.binary(payload))])
    }

    @Test("an unmasked client frame fails with 1002")
    func unmasked() {
        let frame = WebSocketFrameCodec.encode(opcode: .text, payload: Array("hi".utf8))
        #expect(receiveAllWays(frame).whole == failure(1002))
    }

    @Test("reserved bits fail with 1002", arguments: [UInt8(1), 2, 4, 7])
    func reservedBits(bits: UInt8) {
        #expect(receiveAllWays(ClientFrame.frame(.text, Array("x".utf8), reserved: bits)).whole == failure(1002))
    }

    @Test("reserved opcodes fail with 1002", arguments: [UInt8(3), 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF])
    func reservedOpcodes(raw: UInt8) {
        #expect(receiveAllWays(ClientFrame.frame(.init(rawValue: raw), [1, 2])).whole == failure(1002))
    }

    @Test("a 64-bit length with the top bit set fails with 1002")
    func hugeLength() {
        let frame: [UInt8] = [0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4]
        #expect(receiveAllWays(frame).whole == failure(1002))
    }

    @Test("a non-minimal length encoding is accepted")
    func nonMinimalLength() {
        // 3-byte payload announced through the 16-bit form.
        var frame: [UInt8] = [0x82, 0x80 | 126, 0, 3, 0, 0, 0, 0]
        frame += [7, 8, 9]
        #expect(receiveAllWays(frame).whole == [.deliver(.binary([7, 8, 9]))])
    }

    @Test("frame and message size limits fail with 1009 before the payload arrives")
    func sizeLimits() {
        // Only the header of an oversized frame is needed to refuse it.
        let header = Array(ClientFrame.frame(.binary, [UInt8](repeating: 1, count: 101)).prefix(6))
        #expect(receiveAllWays(header, maxFrameBytes: 100).whole == failure(1009))
        #expect(receiveAllWays(ClientFrame.frame(.binary, [UInt8](repeating: 1, count: 100)), maxFrameBytes: 100).whole
            == [.deliver(.binary([UInt8](repeating: 1, count: 100)))])
        let fragments = ClientFrame.frame(.binary, [UInt8](repeating: 2, count: 60), fin: false)
            + ClientFrame.frame(.continuation, [UInt8](repeating: 3, count: 60))
        #expect(receiveAllWays(fragments, maxMessageBytes: 100).whole == failure(1009))
        #expect(receiveAllWays(fragments, maxMessageBytes: 120).whole
            == [.deliver(.binary([UInt8](repeating: 2, count: 60) + [UInt8](repeating: 3, count: 60)))])
    }

    @Test("several frames in one read are handled in order")
    func pipelined() {
        let bytes = ClientFrame.text("a") + ClientFrame.frame(.ping, [9]) + ClientFrame.frame(.binary, [1])
        let result = receiveAllWays(bytes)
        #expect(result.consistent)
        #expect(result.whole == [.deliver(.text("a")), .send(WebSocketFrameCodec.encode(opcode: .pong, payload: [9])),
                                 .deliver(.binary([1]))])
    }

    @Test("random input never traps and does not depend on how it is split")
    func randomInput() {
        var generator = SplitMix64(seed: 42)
        for round in 0..<300 {
            var bytes = [UInt8].random(count: Int.random(in: 0...64, using: &generator), using: &generator)
            // Make some inputs start like plausible masked frames so deeper states are reached.
            if round % 2 == 0, bytes.count > 2 { bytes[1] |= 0x80; bytes[0] = (bytes[0] & 0x8F) }
            let result = receiveAllWays(bytes, maxFrameBytes: 32, maxMessageBytes: 48, seed: UInt64(round))
            #expect(result.consistent, "round \(round)")
            // A connection is closed at most once, and nothing follows the close.
            let closes = result.whole.indices.filter {
                if case .closeConnection = result.whole[$0] { true } else { false }
            }
            #expect(closes.isEmpty || closes == [result.whole.count - 1], "round \(round)")
        }
    }
}

@Suite("WebSocket server protocol: control frames and fragmentation")
struct WebSocketControlTests {
    @Test("ping is answered with a pong carrying the same payload; pongs are ignored")
    func pingPong() {
        let payload = Array("are you there".utf8)
        #expect(receiveAllWays(ClientFrame.frame(.ping, payload)).whole
            == [.send(WebSocketFrameCodec.encode(opcode: .pong, payload: payload))])
        #expect(receiveAllWays(ClientFrame.frame(.pong, [1, 2])).whole == [])
        #expect(receiveAllWays(ClientFrame.frame(.ping, [UInt8](repeating: 0, count: 125))).whole.count == 1)
    }

    @Test("control frames over 125 bytes or fragmented fail with 1002")
    func controlRules() {
        #expect(receiveAllWays(ClientFrame.frame(.ping, [UInt8](repeating: 0, count: 126))).whole == failure(1002))
        #expect(receiveAllWays(ClientFrame.frame(.ping, [1], fin: false)).whole == failure(1002))
        #expect(receiveAllWays(ClientFrame.frame(.close, [3, 0xE8], fin: false)).whole == failure(1002))
    }

    @Test("fragments are reassembled, with a ping answered in between")
    func fragmentsWithInterleavedPing() {
        let bytes = ClientFrame.text("frag", fin: false) + ClientFrame.frame(.ping, [7])
            + ClientFrame.frame(.continuation, Array("men".utf8), fin: false)
            + ClientFrame.frame(.pong, [])
            + ClientFrame.frame(.continuation, Array("ted".utf8))
        let result = receiveAllWays(bytes)
        #expect(result.consistent)
        #expect(result.whole == [.send(WebSocketFrameCodec.encode(opcode: .pong, payload: [7])),
                                 .deliver(.text("fragmented"))])
    }

    @Test("empty fragments and an empty message are fine")
    func emptyFragments() {
        let bytes = ClientFrame.frame(.binary, [], fin: false) + ClientFrame.frame(.continuation, [], fin: false)
            + ClientFrame.frame(.continuation, []) + ClientFrame.text("")
        #expect(receiveAllWays(bytes).whole == [.deliver(.binary([])), .deliver(.text(""))])
    }

    @Test("continuation without a message, or a new message inside one, fails with 1002")
    func continuationOrder() {
        #expect(receiveAllWays(ClientFrame.frame(.continuation, [1])).whole == failure(1002))
        let nested = ClientFrame.text("a", fin: false) + ClientFrame.text("b")
        #expect(receiveAllWays(nested).whole == failure(1002))
        let nestedBinary = ClientFrame.frame(.binary, [1], fin: false) + ClientFrame.frame(.binary, [2])
        #expect(receiveAllWays(nestedBinary).whole == failure(1002))
    }
}

@Suite("WebSocket server protocol: UTF-8 of text messages")
struct WebSocketUTF8Tests {
    @Test("a code point split across fragments is valid")
    func splitCodePoint() {
        let bytes = Array("κόσμε 🎉".utf8)
        for cut in 1..<bytes.count {
            let frames = ClientFrame.frame(.text, Array(bytes[..<cut]), fin: false)
                + ClientFrame.frame(.continuation, Array(bytes[cut...]))
            #expect(receiveAllWays(frames).whole == [.deliver(.text("κόσμε 🎉"))], "cut at \(cut)")
        }
    }

    @Test("invalid UTF-8 fails with 1007", arguments: [
        [0xC0, 0xAF] as [UInt8],        // overlong "/"
        [0xE0, 0x80, 0xAF],             // overlong, 3 bytes
        [0xF0, 0x80, 0x80, 0xAF],       // overlong, 4 bytes
        [0xED, 0xA0, 0x80],             // surrogate U+D800
        [0xED, 0xBF, 0xBF],             // surrogate U+DFFF
        [0xF4, 0x90, 0x80, 0x80],       // U+110000
        [0xFF], [0x80], [0x41, 0xC2],   // invalid byte, stray continuation, cut-off sequence
    ])
    func invalid(bytes: [UInt8]) {
        #expect(receiveAllWays(ClientFrame.frame(.text, bytes)).whole == failure(1007))
    }

    @Test("invalid UTF-8 fails at once, before the message ends")
    func failFast() {
        let first = ClientFrame.frame(.text, Array("ok".utf8) + [0xCE, 0xBA, 0xED, 0xA0], fin: false)
        #expect(receiveAllWays(first).whole == failure(1007))
    }

    @Test("a message ending inside a code point fails with 1007")
    func truncatedAtEnd() {
        let frames = ClientFrame.frame(.text, [0x61, 0xF0, 0x9F], fin: false) + ClientFrame.frame(.continuation, [0x8E])
        #expect(receiveAllWays(frames).whole == failure(1007))
    }

    @Test("binary messages are not checked as UTF-8")
    func binaryNotChecked() {
        #expect(receiveAllWays(ClientFrame.frame(.binary, [0xFF, 0xC0])).whole == [.deliver(.binary([0xFF, 0xC0]))])
    }
}
