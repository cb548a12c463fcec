import Testing
@testable import HTTPServer

@Suite("WebSocket frame codec (client helpers)")
struct WebSocketFrameCodecTests {
    @Test("masking is its own inverse at every offset and length")
    func masking() {
        var generator = SplitMix64(seed: 3)
        for count in 0..<40 {
            let original = [UInt8].random(count: count, using: &generator)
            for offset in 0..<4 {
                var bytes = original
                bytes.withUnsafeMutableBytes { WebSocketFrameCodec.applyMask(0xDEAD_BEEF, offset: offset, to: $0) }
                // Compare with the byte-wise definition of RFC 6455 §5.3.
                let key: [UInt8] = [0xDE, 0xAD, 0xBE, 0xEF]
                #expect(bytes == original.enumerated().map { $0.element ^ key[($0.offset + offset) % 4] })
                bytes.withUnsafeMutableBytes { WebSocketFrameCodec.applyMask(0xDEAD_BEEF, offset: offset, to: $0) }
                #expect(bytes == original)
            }
        }
    }

    @Test("a masked client frame decodes back to its payload, fed one byte at a time")
    func clientFrameRoundTrip() throws {
        let payload = Array(String(repeating: "payload ", count: 40).utf8)
        let encoded = WebSocketFrameCodec.encodeClientFrame(opcode: .binary, payload: payload, fin: false)
        #expect(encoded[1] & 0x80 != 0)
        var reader = WebSocketFrameCodec.FrameReader()
        var frames: [WebSocketFrameCodec.Frame] = []
        for byte in encoded {
            reader.append([byte])
            if let frame = try reader.nextFrame() { frames.append(frame) }
        }
        #expect(frames.count == 1)
        #expect(frames.first?.payload == payload)
        #expect(frames.first?.fin == false)
        #expect(frames.first?.maskKey != nil)
        #expect(reader.bufferedByteCount == 0)
    }

    @Test("the reader refuses invalid and oversized lengths")
    func readerErrors() {
        var reader = WebSocketFrameCodec.FrameReader(maxPayloadBytes: 10)
        reader.append(WebSocketFrameCodec.encode(opcode: .binary, payload: [UInt8](repeating: 0, count: 11)))
        #expect(throws: WebSocketFrameCodec.ReadError.payloadTooLarge(11)) { try reader.nextFrame() }
        #expect(throws: WebSocketFrameCodec.ReadError.invalidLength) {
            try WebSocketFrameCodec.decodeFrames([0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0])
        }
    }
}
