import Testing
@testable import HTTPServer

@Suite("WebSocket server protocol: close handshake")
struct WebSocketCloseTests {
    @Test("a client close is echoed with its code, then the connection closes")
    func echo() {
        var proto = WebSocketServerProtocol()
        #expect(!proto.isClosing)
        let actions = proto.receive(ClientFrame.close(1000, "bye"))
        #expect(actions == [.send(WebSocketFrameCodec.encode(opcode: .close, payload: WebSocketFrameCodec.closePayload(code: 1000))),
                            .closeConnection(code: 1000)])
        #expect(proto.isClosing)
        #expect(proto.receive(ClientFrame.text("late")) == [])
        #expect(proto.encodeText("late") == [])
        #expect(proto.encodeBinary([1]) == [])
    }

    @Test("an empty close is answered with an empty close and reported as 1005")
    func emptyClose() {
        #expect(receiveAllWays(ClientFrame.frame(.close, [])).whole
            == [.send(WebSocketFrameCodec.encode(opcode: .close, payload: [])), .closeConnection(code: 1005)])
    }

    @Test("a 1-byte close payload fails with 1002")
    func oneByteClose() {
        #expect(receiveAllWays(ClientFrame.frame(.close, [0x03])).whole == failure(1002))
    }

    @Test("close codes that may be sent are echoed", arguments: [UInt16(1000), 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999])
    func validCodes(code: UInt16) {
        #expect(receiveAllWays(ClientFrame.close(code, "r")).whole
            == [.send(WebSocketFrameCodec.encode(opcode: .close, payload: WebSocketFrameCodec.closePayload(code: code))),
                .closeConnection(code: code)])
    }

    @Test("close codes that may not appear on the wire fail with 1002", arguments: [UInt16(0), 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535])
    func invalidCodes(code: UInt16) {
        #expect(receiveAllWays(ClientFrame.close(code)).whole == failure(1002))
    }

    @Test("a close reason that is not UTF-8 fails with 1007")
    func invalidReason() {
        #expect(receiveAllWays(ClientFrame.frame(.close, [0x03, 0xE8, 0xCE, 0xBA, 0xE1, 0xBD])).whole == failure(1007))
        #expect(receiveAllWays(ClientFrame.frame(.close, [0x03, 0xE8, 0xED, 0xA0, 0x80])).whole == failure(1007))
    }

    @Test("a close in the middle of a fragmented message is honoured")
    func closeMidMessage() {
        let bytes = ClientFrame.text("part", fin: false) + ClientFrame.close(1001)
        #expect(receiveAllWays(bytes).whole
            == [.send(WebSocketFrameCodec.encode(opcode: .close, payload: WebSocketFrameCodec.closePayload(code: 1001))),
                .closeConnection(code: 1001)])
    }

    @Test("server-initiated close: sends are refused, data and pings ignored, the reply ends it")
    func serverInitiated() throws {
        var proto = WebSocketServerProtocol()
        let close = proto.encodeClose(code: 1001, reason: "going away")
        let frames = try WebSocketFrameCodec.decodeFrames(close)
        #expect(frames.count == 1)
        #expect(frames.first?.closeCode == 1001)
        #expect(frames.first?.closeReason == "going away")
        #expect(frames.first?.maskKey == nil)
        #expect(proto.isClosing)
        #expect(proto.encodeClose(code: 1000, reason: "") == [])
        #expect(proto.encodeText("x") == [])
        #expect(proto.encodePing() == [])
        #expect(proto.receive(ClientFrame.text("in flight") + ClientFrame.frame(.ping, [1])) == [])
        #expect(proto.receive(ClientFrame.close(1001)) == [.closeConnection(code: 1001)])
        #expect(proto.receive(ClientFrame.text("after")) == [])
    }

    @Test("a protocol error after our close does not send a second close")
    func errorAfterClose() {
        var proto = WebSocketServerProtocol()
        _ = proto.encodeClose(code: 1000, reason: "")
        let unmasked = WebSocketFrameCodec.encode(opcode: .text, payload: [0x41])
        #expect(proto.receive(unmasked) == [.closeConnection(code: 1002)])
    }

    @Test("encodeClose: 1005 sends no code, unsendable codes become 1011, reasons are cut at 123 bytes")
    func encodeCloseRules() throws {
        var noCode = WebSocketServerProtocol()
        #expect(try WebSocketFrameCodec.decodeFrames(noCode.encodeClose(code: 1005, reason: "ignored")).first?.payload == [])
        var local = WebSocketServerProtocol()
        #expect(try WebSocketFrameCodec.decodeFrames(local.encodeClose(code: 1006, reason: "")).first?.closeCode == 1011)
        var long = WebSocketServerProtocol()
        let reason = String(repeating: "é", count: 100)  // 200 bytes
        let frame = try #require(try WebSocketFrameCodec.decodeFrames(long.encodeClose(code: 1000, reason: reason)).first)
        #expect(frame.payload.count <= 125)
        #expect(frame.closeReason == String(repeating: "é", count: 61))
    }

    @Test("server frames are unmasked, final and use the minimal length form")
    func serverFrames() throws {
        let proto = WebSocketServerProtocol()
        for count in [0, 125, 126, 65535, 65536] {
            let text = String(repeating: "a", count: count)
            let encoded = proto.encodeText(text)
            let frame = try #require(try WebSocketFrameCodec.decodeFrames(encoded).first)
            #expect(frame == .init(fin: true, opcode: .text, payload: Array(text.utf8)))
            #expect(encoded.count == count + (count <= 125 ? 2 : count <= 65535 ? 4 : 10))
        }
        #expect(try WebSocketFrameCodec.decodeFrames(proto.encodeBinary([1, 2, 3])) == [.init(opcode: .binary, payload: [1, 2, 3])])
        #expect(try WebSocketFrameCodec.decodeFrames(proto.encodePing([UInt8](repeating: 1, count: 200))).first?.payload.count == 125)
    }
}
