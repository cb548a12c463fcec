/// What the connection must do after `WebSocketServerProtocol.receive`, in order.
public enum WebSocketAction: Equatable {
    /// A complete data message (fragments reassembled, text validated).
    case deliver(WebSocketMessage)
    /// Bytes to write to the peer (a pong, our close frame).
    case send([UInt8])
    /// The close handshake is done or the connection failed: write what is pending, then close
    /// the TCP connection. `code` is what to report to the application.
    case closeConnection(code: UInt16)
}

/// The server side of one WebSocket connection after the 101 (RFC 6455 §5-§7), as a pure state
/// machine over bytes. Input may be split anywhere; no input traps. Owned by one connection.
public struct WebSocketServerProtocol {
    typealias Opcode = WebSocketFrameCodec.Opcode

    private let maxFrameBytes: UInt64
    private let maxMessageBytes: UInt64

    /// Header bytes received so far while no frame is open (at most 14).
    private var headerBytes: [UInt8] = []
    /// The frame whose payload is being read, and how much of it is still to come.
    private var frame: WebSocketFrameHeader?
    private var payloadRemaining: UInt64 = 0
    /// Position in the mask key cycle of the next payload byte.
    private var maskPhase = 0

    /// The data message being assembled: its opcode (text or binary) while one is open.
    private var messageOpcode: Opcode?
    private var message: [UInt8] = []
    private var utf8 = IncrementalUTF8Validator()
    private var controlPayload: [UInt8] = []

    private var closeSent = false
    private var closeReceived = false
    private var closeCodeSent: UInt16?
    /// Set once `.closeConnection` was returned: all further input is ignored.
    private var finished = false

    /// - Parameters:
    ///   - maxFrameBytes: largest payload of one frame; larger fails the connection with 1009.
    ///   - maxMessageBytes: largest reassembled message; larger fails with 1009.
    public init(maxFrameBytes: Int = 1 << 20, maxMessageBytes: Int = 1 << 20) {
        self.maxFrameBytes = UInt64(max(0, maxFrameBytes))
        self.maxMessageBytes = UInt64(max(0, maxMessageBytes))
        headerBytes.reserveCapacity(WebSocketFrameHeader.maxLength)
    }

    /// A close frame was sent or received (sending data is refused from then on).
    public var isClosing: Bool { closeSent || closeReceived }

    /// Feeds received bytes; returns what to do, in order. Enforces masking, reserved bits,
    /// known opcodes, control frame rules, continuation order (1002), UTF-8 of text, also across
    /// fragments and failing at the first bad byte (1007), frame and message sizes (1009);
    /// answers pings and the close handshake (echoing the code; bad close codes 1002, a reason
    /// that is not UTF-8 1007). After `.closeConnection` it returns nothing more.
    public mutating func receive(_ bytes: UnsafeRawBufferPointer) -> [WebSocketAction] {
        var actions: [WebSocketAction] = []
        var index = 0
        while index < bytes.count, !finished {
            if let current = frame {
                let take = Int(min(UInt64(bytes.count - index), payloadRemaining))
                consumePayload(UnsafeRawBufferPointer(rebasing: bytes[index..<(index + take)]), of: current, into: &actions)
                index += take
                payloadRemaining -= UInt64(take)
                if payloadRemaining == 0, !finished { endFrame(current, into: &actions) }
            } else {
                index += readHeader(UnsafeRawBufferPointer(rebasing: bytes[index...]), into: &actions)
            }
        }
        return actions
    }

    /// Array convenience for `receive(_:)`.
    public mutating func receive(_ bytes: [UInt8]) -> [WebSocketAction] {
        bytes.withUnsafeBytes { receive($0) }
    }

    /// An unmasked text frame, or nothing once a close frame was sent.
    public func encodeText(_ text: String) -> [UInt8] {
        closeSent ? [] : WebSocketFrameCodec.encode(opcode: .text, payload: text.utf8)
    }

    /// An unmasked binary frame, or nothing once a close frame was sent.
    public func encodeBinary(_ bytes: [UInt8]) -> [UInt8] {
        closeSent ? [] : WebSocketFrameCodec.encode(opcode: .binary, payload: bytes)
    }

    /// A ping (payload cut to 125 bytes) for keep-alive, or nothing once a close frame was sent.
    public func encodePing(_ payload: [UInt8] = []) -> [UInt8] {
        closeSent ? [] : WebSocketFrameCodec.encode(opcode: .ping, payload: payload.prefix(125))
    }

    /// Starts (or answers) the close handshake; returns nothing when a close was already sent.
    /// 1005 sends a close frame without a code; other codes that may not be sent (1006, 1015,
    /// unassigned ones) are replaced by 1011. The reason is cut to fit 123 bytes on a
    /// character boundary.
    public mutating func encodeClose(code: UInt16, reason: String) -> [UInt8] {
        guard !closeSent else { return [] }
        closeSent = true
        if code == WebSocketCloseCode.noStatusReceived {
            closeCodeSent = code
            return WebSocketFrameCodec.encode(opcode: .close, payload: [])
        }
        let wireCode = WebSocketCloseCode.isValidOnWire(code) ? code : WebSocketCloseCode.internalError
        closeCodeSent = wireCode
        var reasonBytes: [UInt8] = []
        for scalar in reason.unicodeScalars {
            let encoded = Array(String(scalar).utf8)
            guard reasonBytes.count + encoded.count <= 123 else { break }
            reasonBytes += encoded
        }
        return WebSocketFrameCodec.encode(opcode: .close, payload: WebSocketFrameCodec.closePayload(code: wireCode) + reasonBytes)
    }

    // MARK: - Frames

    /// Takes header bytes from `bytes`; opens the frame once the header is complete. Returns
    /// how many bytes it consumed.
    private mutating func readHeader(_ bytes: UnsafeRawBufferPointer, into actions: inout [WebSocketAction]) -> Int {
        var needed = headerBytes.count < 2 ? 2 : WebSocketFrameHeader.length(firstByte: headerBytes[0], secondByte: headerBytes[1])
        var consumed = 0
        while consumed < bytes.count, headerBytes.count < needed {
            headerBytes.append(bytes[consumed])
            consumed += 1
            if headerBytes.count == 2 {
                needed = WebSocketFrameHeader.length(firstByte: headerBytes[0], secondByte: headerBytes[1])
            }
        }
        guard headerBytes.count == needed else { return consumed }
        let parsed = headerBytes.withUnsafeBytes { WebSocketFrameHeader.parse($0) }
        headerBytes.removeAll(keepingCapacity: true)
        switch parsed {
        case .needMore:
            break  // cannot happen: `needed` bytes make a whole header
        case .invalidLength:
            fail(WebSocketCloseCode.protocolError, into: &actions)
        case .header(let header, _):
            beginFrame(header, into: &actions)
        }
        return consumed
    }

    private mutating func beginFrame(_ header: WebSocketFrameHeader, into actions: inout [WebSocketAction]) {
        // No extension is negotiated, so every reserved bit must be 0 (§5.2).
        guard header.reserved == 0, header.opcode.isKnown, header.maskKey != nil else {
            return fail(WebSocketCloseCode.protocolError, into: &actions)
        }
        if header.opcode.isControl {
            // Control frames are never fragmented and carry at most 125 bytes (§5.5).
            guard header.fin, header.payloadLength <= 125 else {
                return fail(WebSocketCloseCode.protocolError, into: &actions)
            }
            controlPayload.removeAll(keepingCapacity: true)
        } else {
            // A continuation needs an open message; a new message needs none open (§5.4).
            let isContinuation = header.opcode == .continuation
            guard isContinuation == (messageOpcode != nil) else {
                return fail(WebSocketCloseCode.protocolError, into: &actions)
            }
            guard header.payloadLength <= maxFrameBytes,
                  header.payloadLength <= maxMessageBytes - min(maxMessageBytes, UInt64(message.count)) else {
                return fail(WebSocketCloseCode.messageTooBig, into: &actions)
            }
            if !isContinuation {
                messageOpcode = header.opcode
                utf8 = IncrementalUTF8Validator()
            }
        }
        frame = header
        payloadRemaining = header.payloadLength
        maskPhase = 0
        if payloadRemaining == 0 { endFrame(header, into: &actions) }
    }

    private mutating func consumePayload(_ chunk: UnsafeRawBufferPointer, of header: WebSocketFrameHeader,
                                         into actions: inout [WebSocketAction]) {
        guard let key = header.maskKey, chunk.count > 0 else { return }
        let phase = maskPhase
        maskPhase = (maskPhase + chunk.count) & 3
        if header.opcode.isControl {
            unmaskAppend(chunk, key: key, phase: phase, to: &controlPayload)
            return
        }
        // After our close frame, data is read only to find the peer's close; it is dropped.
        guard !closeSent else { return }
        let start = message.count
        unmaskAppend(chunk, key: key, phase: phase, to: &message)
        if messageOpcode == .text {
            let valid = message.withUnsafeBytes { utf8.feed(UnsafeRawBufferPointer(rebasing: $0[start...])) }
            if !valid { fail(WebSocketCloseCode.invalidPayloadData, into: &actions) }
        }
    }

    private func unmaskAppend(_ chunk: UnsafeRawBufferPointer, key: UInt32, phase: Int, to buffer: inout [UInt8]) {
        let start = buffer.count
        buffer.append(contentsOf: chunk)
        buffer.withUnsafeMutableBytes { raw in
            WebSocketFrameCodec.applyMask(key, offset: phase, to: UnsafeMutableRawBufferPointer(rebasing: raw[start...]))
        }
    }

    private mutating func endFrame(_ header: WebSocketFrameHeader, into actions: inout [WebSocketAction]) {
        frame = nil
        if header.opcode.isControl {
            return handleControl(header.opcode, into: &actions)
        }
        guard header.fin, let opcode = messageOpcode else { return }
        messageOpcode = nil
        let payload = message
        message = []  // release the buffer: idle connections should not hold a message's capacity
        guard !closeSent else { return }
        if opcode == .text {
            guard utf8.isAtCodePointBoundary else {
                return fail(WebSocketCloseCode.invalidPayloadData, into: &actions)
            }
            actions.append(.deliver(.text(String(decoding: payload, as: UTF8.self))))
        } else {
            actions.append(.deliver(.binary(payload)))
        }
    }

    private mutating func handleControl(_ opcode: Opcode, into actions: inout [WebSocketAction]) {
        switch opcode {
        case .ping:
            if !closeSent { actions.append(.send(WebSocketFrameCodec.encode(opcode: .pong, payload: controlPayload))) }
        case .close:
            handleClose(into: &actions)
        default:
            break  // an unsolicited pong is allowed and needs no answer (§5.5.3)
        }
    }

    private mutating func handleClose(into actions: inout [WebSocketAction]) {
        closeReceived = true
        var code = WebSocketCloseCode.noStatusReceived
        if !controlPayload.isEmpty {
            guard controlPayload.count >= 2 else { return fail(WebSocketCloseCode.protocolError, into: &actions) }
            code = UInt16(controlPayload[0]) << 8 | UInt16(controlPayload[1])
            guard WebSocketCloseCode.isValidOnWire(code) else { return fail(WebSocketCloseCode.protocolError, into: &actions) }
            var reason = IncrementalUTF8Validator()
            guard reason.feed(Array(controlPayload[2...])), reason.isAtCodePointBoundary else {
                return fail(WebSocketCloseCode.invalidPayloadData, into: &actions)
            }
        }
        if let sent = closeCodeSent {
            // We started the handshake: this is the answer. Report the code we sent.
            actions.append(.closeConnection(code: sent))
        } else {
            let echo = code == WebSocketCloseCode.noStatusReceived ? [] : WebSocketFrameCodec.closePayload(code: code)
            actions.append(.send(WebSocketFrameCodec.encode(opcode: .close, payload: echo)))
            closeSent = true
            closeCodeSent = code
            actions.append(.closeConnection(code: code))
        }
        finished = true
    }

    /// Fails the connection (§7.1.7): our close frame with `code` unless one was sent, then close.
    private mutating func fail(_ code: UInt16, into actions: inout [WebSocketAction]) {
        if !closeSent {
            actions.append(.send(WebSocketFrameCodec.encode(opcode: .close, payload: WebSocketFrameCodec.closePayload(code: code))))
            closeSent = true
            closeCodeSent = code
        }
        actions.append(.closeConnection(code: code))
        finished = true
        message = []
        frame = nil
    }
}
