/// Frame-level encoding and decoding of RFC 6455 §5.2, shared by the server protocol and by
/// test clients (which must mask what they send and read what the server sends unmasked).
public enum WebSocketFrameCodec {
    /// A frame opcode: 4 bits. Any value can be built so tests can send reserved ones.
    public struct Opcode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: UInt8
        /// Keeps only the low 4 bits.
        public init(rawValue: UInt8) { self.rawValue = rawValue & 0x0F }

        public static let continuation = Opcode(rawValue: 0x0)
        public static let text = Opcode(rawValue: 0x1)
        public static let binary = Opcode(rawValue: 0x2)
        public static let close = Opcode(rawValue: 0x8)
        public static let ping = Opcode(rawValue: 0x9)
        public static let pong = Opcode(rawValue: 0xA)

        /// Close, ping, pong and the reserved 0xB...0xF have the high bit set.
        public var isControl: Bool { rawValue & 0x8 != 0 }
        /// Opcodes RFC 6455 defines; the others are reserved and fail the connection.
        public var isKnown: Bool { [0x0, 0x1, 0x2, 0x8, 0x9, 0xA].contains(rawValue) }
        public var description: String { "opcode(\(rawValue))" }
    }

    /// One decoded frame, payload unmasked.
    public struct Frame: Equatable, Sendable {
        public var fin: Bool
        /// RSV1...RSV3 as the low three bits (RSV1 = 0b100).
        public var reserved: UInt8
        public var opcode: Opcode
        /// The masking key the frame carried, if it was masked.
        public var maskKey: UInt32?
        public var payload: [UInt8]

        public init(fin: Bool = true, reserved: UInt8 = 0, opcode: Opcode, maskKey: UInt32? = nil, payload: [UInt8]) {
            self.fin = fin
            self.reserved = reserved & 0x7
            self.opcode = opcode
            self.maskKey = maskKey
            self.payload = payload
        }

        /// The close code of a close frame (nil when absent or not a close frame).
        public var closeCode: UInt16? {
            guard opcode == .close, payload.count >= 2 else { return nil }
            return UInt16(payload[0]) << 8 | UInt16(payload[1])
        }
        /// The close reason of a close frame, decoded leniently (for test assertions).
        public var closeReason: String? {
            guard opcode == .close, payload.count >= 2 else { return nil }
            return String(decoding: payload[2...], as: UTF8.self)
        }
    }

    /// Encodes one frame. With `maskKey` the payload is masked as a client must do; without,
    /// it is sent in the clear as a server must do. The minimal length form is always used.
    public static func encode(opcode: Opcode, payload: some Collection<UInt8>, fin: Bool = true,
                              reserved: UInt8 = 0, maskKey: UInt32? = nil) -> [UInt8] {
        let length = payload.count
        var frame: [UInt8] = []
        frame.reserveCapacity(14 + length)
        frame.append((fin ? 0x80 : 0) | (reserved & 0x7) << 4 | opcode.rawValue)
        let maskBit: UInt8 = maskKey == nil ? 0 : 0x80
        if length <= 125 {
            frame.append(maskBit | UInt8(length))
        } else if length <= 0xFFFF {
            frame.append(maskBit | 126)
            frame.append(UInt8(truncatingIfNeeded: length >> 8))
            frame.append(UInt8(truncatingIfNeeded: length))
        } else {
            frame.append(maskBit | 127)
            let wide = UInt64(length)
            for shift in stride(from: 56, through: 0, by: -8) {
                frame.append(UInt8(truncatingIfNeeded: wide >> UInt64(shift)))
            }
        }
        guard let maskKey else {
            frame.append(contentsOf: payload)
            return frame
        }
        for shift in stride(from: 24, through: 0, by: -8) {
            frame.append(UInt8(truncatingIfNeeded: maskKey >> UInt32(shift)))
        }
        let payloadStart = frame.count
        frame.append(contentsOf: payload)
        frame.withUnsafeMutableBytes { raw in
            applyMask(maskKey, offset: 0, to: UnsafeMutableRawBufferPointer(rebasing: raw[payloadStart...]))
        }
        return frame
    }

    /// A masked client frame with a random key, as a test client sends it.
    public static func encodeClientFrame(opcode: Opcode, payload: some Collection<UInt8>, fin: Bool = true,
                                         reserved: UInt8 = 0) -> [UInt8] {
        encode(opcode: opcode, payload: payload, fin: fin, reserved: reserved,
               maskKey: UInt32.random(in: UInt32.min...UInt32.max))
    }

    /// A close frame's payload: the code in network byte order, then the UTF-8 reason.
    public static func closePayload(code: UInt16, reason: String = "") -> [UInt8] {
        [UInt8(code >> 8), UInt8(code & 0xFF)] + Array(reason.utf8)
    }

    /// XORs `bytes` with the 4-byte key (big-endian in the frame), starting at byte `offset`
    /// of the key's cycle. Masking and unmasking are the same operation.
    public static func applyMask(_ key: UInt32, offset: Int, to bytes: UnsafeMutableRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        let keyBytes: [UInt8] = [UInt8(key >> 24), UInt8((key >> 16) & 0xFF), UInt8((key >> 8) & 0xFF), UInt8(key & 0xFF)]
        var phase = offset & 3
        var index = 0
        let count = bytes.count
        // Byte by byte until the key phase is 0, then 8 bytes at a time with the key repeated.
        while index < count, phase != 0 {
            base.storeBytes(of: base.load(fromByteOffset: index, as: UInt8.self) ^ keyBytes[phase], toByteOffset: index, as: UInt8.self)
            index += 1
            phase = (phase + 1) & 3
        }
        var wideKey: UInt64 = 0
        withUnsafeMutableBytes(of: &wideKey) { raw in
            for i in 0..<8 { raw[i] = keyBytes[i & 3] }
        }
        while count - index >= 8 {
            let word = base.loadUnaligned(fromByteOffset: index, as: UInt64.self) ^ wideKey
            base.storeBytes(of: word, toByteOffset: index, as: UInt64.self)
            index += 8
        }
        while index < count {
            base.storeBytes(of: base.load(fromByteOffset: index, as: UInt8.self) ^ keyBytes[phase], toByteOffset: index, as: UInt8.self)
            index += 1
            phase = (phase + 1) & 3
        }
    }
}
