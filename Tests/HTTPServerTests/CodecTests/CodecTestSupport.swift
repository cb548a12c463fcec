@testable import HTTPServer

// SplitMix64 (a small seeded generator) is shared with the parser tests: ParserTestSupport.swift.

extension Array where Element == UInt8 {
    static func random(count: Int, using generator: inout SplitMix64) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }
}

/// Client frames for tests, with a fixed mask key so failures are reproducible.
enum ClientFrame {
    static let key: UInt32 = 0x3790_21A5

    static func text(_ text: String, fin: Bool = true) -> [UInt8] {
        WebSocketFrameCodec.encode(opcode: .text, payload: Array(text.utf8), fin: fin, maskKey: key)
    }
    static func frame(_ opcode: WebSocketFrameCodec.Opcode, _ payload: [UInt8] = [], fin: Bool = true,
                      reserved: UInt8 = 0) -> [UInt8] {
        WebSocketFrameCodec.encode(opcode: opcode, payload: payload, fin: fin, reserved: reserved, maskKey: key)
    }
    static func close(_ code: UInt16, _ reason: String = "") -> [UInt8] {
        frame(.close, WebSocketFrameCodec.closePayload(code: code, reason: reason))
    }
}

/// Feeds `bytes` to fresh protocols whole, byte by byte and in seeded random pieces, and
/// returns the actions, after checking every way of splitting gave the same ones.
func receiveAllWays(_ bytes: [UInt8], maxFrameBytes: Int = 1 << 20, maxMessageBytes: Int = 1 << 20,
                    seed: UInt64 = 1) -> (whole: [WebSocketAction], consistent: Bool) {
    func run(_ pieces: [ArraySlice<UInt8>]) -> [WebSocketAction] {
        var proto = WebSocketServerProtocol(maxFrameBytes: maxFrameBytes, maxMessageBytes: maxMessageBytes)
        return pieces.flatMap { piece in piece.withUnsafeBytes { proto.receive($0) } }
    }
    let whole = run([bytes[...]])
    let single = run(bytes.indices.map { bytes[$0...$0] })
    var generator = SplitMix64(seed: seed)
    var pieces: [ArraySlice<UInt8>] = []
    var index = 0
    while index < bytes.count {
        let length = Int.random(in: 1...max(1, min(40, bytes.count - index)), using: &generator)
        pieces.append(bytes[index..<(index + length)])
        index += length
    }
    let random = run(pieces)
    return (whole, whole == single && whole == random)
}

/// The two actions that fail a connection with `code`.
func failure(_ code: UInt16) -> [WebSocketAction] {
    [.send(WebSocketFrameCodec.encode(opcode: .close, payload: WebSocketFrameCodec.closePayload(code: code))),
     .closeConnection(code: code)]
}
