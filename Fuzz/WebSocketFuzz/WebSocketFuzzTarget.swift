// libFuzzer target for the WebSocket frame decoder (server protocol), the client-side frame
// reader, the incremental UTF-8 validator and base64. Built by scripts/fuzz-websocket.sh
// together with Sources/HTTPServer/WebSocket and Sources/HTTPServer/Core as one module.
//
// Input layout: byte 0 chooses the size limits, byte 1 seeds how the rest is split into reads.
// Besides "never trap", it checks invariants that a correct decoder has; a violation traps on
// purpose so libFuzzer records it.

@_cdecl("LLVMFuzzerTestOneInput")
public func webSocketFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size >= 2 else { return 0 }
    let all = UnsafeBufferPointer(start: data, count: size)
    let limits = [0, 1, 16, 125, 126, 1 << 16, 1 << 20]
    let maxFrame = limits[Int(all[0]) % limits.count]
    let maxMessage = limits[Int(all[0] >> 4) % limits.count]
    let input = Array(all[2...])

    let whole = run(input, pieces: [input.count], maxFrame: maxFrame, maxMessage: maxMessage)
    let split = run(input, pieces: splitPattern(seed: all[1], count: input.count), maxFrame: maxFrame, maxMessage: maxMessage)
    check(whole == split, "actions depend on how the input was split")
    checkActions(whole)

    fuzzFrameReader(input)
    fuzzUTF8(input, cut: Int(all[1]))
    fuzzBase64(input)
    return 0
}

private func check(_ condition: Bool, _ message: String) {
    if !condition { fatalError("invariant violated: \(message)") }
}

/// Piece lengths derived from a seed byte, cycling, covering the whole input.
private func splitPattern(seed: UInt8, count: Int) -> [Int] {
    var pieces: [Int] = []
    var state = UInt32(seed) | 1
    var total = 0
    while total < count {
        state = state &* 1_103_515_245 &+ 12345
        let length = min(count - total, Int((state >> 16) % 17) + 1)
        pieces.append(length)
        total += length
    }
    return pieces
}

private func run(_ input: [UInt8], pieces: [Int], maxFrame: Int, maxMessage: Int) -> [WebSocketAction] {
    var proto = WebSocketServerProtocol(maxFrameBytes: maxFrame, maxMessageBytes: maxMessage)
    var actions: [WebSocketAction] = []
    var offset = 0
    var closed = false
    for length in pieces {
        let produced = input.withUnsafeBytes { proto.receive(UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + length)])) }
        check(!closed || produced.isEmpty, "actions after closeConnection")
        if produced.contains(where: { if case .closeConnection = $0 { true } else { false } }) { closed = true }
        actions += produced
        offset += length
    }
    return actions
}

/// closeConnection comes last if at all; every frame we send is an unmasked, final, valid frame.
private func checkActions(_ actions: [WebSocketAction]) {
    for (index, action) in actions.enumerated() {
        switch action {
        case .closeConnection(let code):
            check(index == actions.count - 1, "closeConnection is not the last action")
            check(code >= 1000, "reported close code below 1000")
        case .send(let bytes):
            let frames = try? WebSocketFrameCodec.decodeFrames(bytes)
            check(frames?.count == 1, "a send action is not exactly one frame")
            if let frame = frames?.first {
                check(frame.fin && frame.maskKey == nil && frame.reserved == 0, "server frame flags")
                check(frame.opcode == .pong || frame.opcode == .close, "unexpected server opcode")
                check(frame.payload.count <= 125, "control frame too long")
                if frame.opcode == .close, let code = frame.closeCode {
                    check(WebSocketCloseCode.isValidOnWire(code), "sent a close code not valid on the wire")
                }
            }
        case .deliver:
            break  // its content is checked by the differential split test above
        }
    }
}

private func fuzzFrameReader(_ input: [UInt8]) {
    var reader = WebSocketFrameCodec.FrameReader(maxPayloadBytes: 1 << 16)
    reader.append(input)
    var consumed = 0
    while let frame = try? reader.nextFrame() {
        consumed += frame.payload.count
        check(consumed <= input.count, "reader produced more than it was given")
        // Re-encoding a frame yields a frame that decodes to the same thing.
        let again = WebSocketFrameCodec.encode(opcode: frame.opcode, payload: frame.payload, fin: frame.fin,
                                               reserved: frame.reserved, maskKey: frame.maskKey)
        check((try? WebSocketFrameCodec.decodeFrames(again)) == [frame], "frame re-encoding differs")
    }
}

private func fuzzUTF8(_ input: [UInt8], cut: Int) {
    let expected = String(validating: input, as: UTF8.self) != nil
    let cut = input.isEmpty ? 0 : cut % (input.count + 1)
    var validator = IncrementalUTF8Validator()
    let result = validator.feed(Array(input[..<cut])) && validator.feed(Array(input[cut...])) && validator.isAtCodePointBoundary
    check(result == expected, "UTF-8 validator disagrees with the standard library")
}

private func fuzzBase64(_ input: [UInt8]) {
    let text = String(decoding: input, as: UTF8.self)
    if let decoded = Base64.decode(text) {
        check(Base64.encode(decoded) == text, "base64 decoding is not canonical")
    }
    check(Base64.decode(Base64.encode(input)) == input, "base64 round trip")
}
