/// The fixed part of a frame (RFC 6455 §5.2): everything before the payload.
struct WebSocketFrameHeader: Equatable {
    var fin: Bool
    var reserved: UInt8
    var opcode: WebSocketFrameCodec.Opcode
    var maskKey: UInt32?
    var payloadLength: UInt64

    /// The largest header: 2 bytes, 8 bytes of extended length, 4 bytes of mask key.
    static let maxLength = 14

    /// The header's full length, known once its first two bytes are.
    static func length(firstByte: UInt8, secondByte: UInt8) -> Int {
        let extended = switch secondByte & 0x7F {
        case 126: 2
        case 127: 8
        default: 0
        }
        return 2 + extended + (secondByte & 0x80 != 0 ? 4 : 0)
    }

    enum ParseResult: Equatable {
        /// Not all header bytes are there yet.
        case needMore
        /// The header and how many bytes it took.
        case header(WebSocketFrameHeader, length: Int)
        /// A 64-bit length with its most significant bit set (RFC 6455 §5.2 forbids it).
        case invalidLength
    }

    /// Parses a header from the start of `bytes`. Non-minimal length encodings are accepted:
    /// the minimal form is a sender's duty and refusing it protects nothing.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> ParseResult {
        guard bytes.count >= 2 else { return .needMore }
        let first = bytes[0], second = bytes[1]
        let total = length(firstByte: first, secondByte: second)
        guard bytes.count >= total else { return .needMore }
        var offset = 2
        var payloadLength = UInt64(second & 0x7F)
        if payloadLength == 126 {
            payloadLength = UInt64(bytes[2]) << 8 | UInt64(bytes[3])
            offset = 4
        } else if payloadLength == 127 {
            payloadLength = 0
            for i in 2..<10 { payloadLength = payloadLength << 8 | UInt64(bytes[i]) }
            guard payloadLength & (1 << 63) == 0 else { return .invalidLength }
            offset = 10
        }
        var maskKey: UInt32?
        if second & 0x80 != 0 {
            maskKey = UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16
                | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
        }
        let header = WebSocketFrameHeader(fin: first & 0x80 != 0, reserved: (first >> 4) & 0x7,
                                          opcode: .init(rawValue: first & 0x0F), maskKey: maskKey,
                                          payloadLength: payloadLength)
        return .header(header, length: total)
    }
}
