extension WebSocketFrameCodec {
    /// Why a `FrameReader` could not read a frame.
    public enum ReadError: Error, Equatable {
        /// A 64-bit length with its top bit set.
        case invalidLength
        /// A frame larger than the reader's `maxPayloadBytes`.
        case payloadTooLarge(UInt64)
    }

    /// Splits a byte stream into whole frames, masked or not, with no protocol rules applied:
    /// a test client reads the server's frames with it. Feed bytes with `append`, then call
    /// `nextFrame()` until it returns nil.
    public struct FrameReader: Sendable {
        private var buffer: [UInt8] = []
        private var start = 0
        public let maxPayloadBytes: Int

        public init(maxPayloadBytes: Int = 64 << 20) {
            self.maxPayloadBytes = max(0, maxPayloadBytes)
        }

        /// Bytes received and not yet returned as frames.
        public var bufferedByteCount: Int { buffer.count - start }

        public mutating func append(_ bytes: some Sequence<UInt8>) {
            if start > 0, start >= buffer.count / 2 {
                buffer.removeFirst(start)
                start = 0
            }
            buffer.append(contentsOf: bytes)
        }

        /// The next complete frame (payload unmasked), or nil when more bytes are needed.
        public mutating func nextFrame() throws(ReadError) -> Frame? {
            let parsed = buffer.withUnsafeBytes { raw in
                WebSocketFrameHeader.parse(UnsafeRawBufferPointer(rebasing: raw[start...]))
            }
            switch parsed {
            case .needMore:
                return nil
            case .invalidLength:
                throw .invalidLength
            case .header(let header, let headerLength):
                guard header.payloadLength <= UInt64(maxPayloadBytes) else {
                    throw .payloadTooLarge(header.payloadLength)
                }
                let payloadLength = Int(header.payloadLength)
                guard buffer.count - start - headerLength >= payloadLength else { return nil }
                let payloadStart = start + headerLength
                var payload = Array(buffer[payloadStart..<(payloadStart + payloadLength)])
                if let key = header.maskKey {
                    payload.withUnsafeMutableBytes { WebSocketFrameCodec.applyMask(key, offset: 0, to: $0) }
                }
                start = payloadStart + payloadLength
                return Frame(fin: header.fin, reserved: header.reserved, opcode: header.opcode,
                             maskKey: header.maskKey, payload: payload)
            }
        }
    }

    /// Every complete frame at the start of `bytes` (a convenience over `FrameReader`);
    /// incomplete trailing bytes are ignored. Throws on an invalid or oversized frame.
    public static func decodeFrames(_ bytes: [UInt8], maxPayloadBytes: Int = 64 << 20) throws(ReadError) -> [Frame] {
        var reader = FrameReader(maxPayloadBytes: maxPayloadBytes)
        reader.append(bytes)
        var frames: [Frame] = []
        while let frame = try reader.nextFrame() { frames.append(frame) }
        return frames
    }
}
