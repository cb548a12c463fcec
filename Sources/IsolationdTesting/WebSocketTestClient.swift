import HTTPServer

/// A WebSocket client for tests, over `RawHTTPClient`: performs the opening handshake, sends
/// masked frames (valid or deliberately broken) and reads the server's frames one at a time.
public final class WebSocketTestClient: Sendable {
    public typealias Frame = WebSocketFrameCodec.Frame

    public let connection: RawHTTPClient
    /// The server's answer to the upgrade request (101 on success).
    public let handshake: RawHTTPResponse
    /// The key sent, and the accept value the server must answer with.
    public let key: String

    private init(connection: RawHTTPClient, handshake: RawHTTPResponse, key: String) {
        self.connection = connection
        self.handshake = handshake
        self.key = key
    }

    /// Connects and sends the upgrade request; check `handshake.status` (101) before using it.
    public static func connect(port: Int, path: String = "/", protocols: [String] = [],
                               extraHeaders: [(String, String)] = [], version: String = "13") async throws -> WebSocketTestClient {
        let connection = try await RawHTTPClient.connect(port: port)
        let key = "dGhlIHNhbXBsZSBub25jZQ=="
        var headers = [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Key", key),
                       ("Sec-WebSocket-Version", version)]
        if !protocols.isEmpty { headers.append(("Sec-WebSocket-Protocol", protocols.joined(separator: ", "))) }
        headers += extraHeaders
        let response = try await connection.request("GET", path, headers: headers)
        return WebSocketTestClient(connection: connection, handshake: response, key: key)
    }

    public var expectedAccept: String { WebSocketHandshake.acceptValue(forKey: key) }

    public func send(text: String) async throws {
        try await connection.send(WebSocketFrameCodec.encodeClientFrame(opcode: .text, payload: Array(text.utf8)))
    }

    public func send(binary: [UInt8]) async throws {
        try await connection.send(WebSocketFrameCodec.encodeClientFrame(opcode: .binary, payload: binary))
    }

    public func sendPing(_ payload: [UInt8] = []) async throws {
        try await connection.send(WebSocketFrameCodec.encodeClientFrame(opcode: .ping, payload: payload))
    }

    public func sendPong(_ payload: [UInt8] = []) async throws {
        try await connection.send(WebSocketFrameCodec.encodeClientFrame(opcode: .pong, payload: payload))
    }

    /// Reads data frames on one thread until a close frame (returned apart) or `limit` frames;
    /// control frames other than close are skipped. One thread for the lot: a thread per frame
    /// costs more than the frame under ThreadSanitizer.
    public func readDataUntilClose(limit: Int) async throws -> (data: [Frame], close: Frame?) {
        try await BlockingIO.run {
            var data: [Frame] = []
            while data.count < limit {
                let frame = try self.connection.readWebSocketFrameBlocking()
                switch frame.opcode {
                case .close: return (data, frame)
                case .text, .binary: data.append(frame)
                default: continue
                }
            }
            return (data, nil)
        }
    }

    /// Reads `count` pings on one thread, answering each with a pong as soon as it arrives;
    /// returns, per ping, how long the connection had been quiet from our side before it came
    /// (from `quietSince`, then from each pong). Any other frame ends it with an error.
    public func answerPings(_ count: Int, quietSince: ContinuousClock.Instant) async throws -> [Duration] {
        try await BlockingIO.run {
            var quiet: [Duration] = []
            var since = quietSince
            while quiet.count < count {
                let frame = try self.connection.readWebSocketFrameBlocking()
                guard frame.opcode == .ping else { throw RawHTTPClientError.malformed("expected a ping, got \(frame.opcode)") }
                quiet.append(.now - since)
                since = .now
                try self.connection.sendBlocking(WebSocketFrameCodec.encodeClientFrame(opcode: .pong, payload: frame.payload))
            }
            return quiet
        }
    }

    public func sendClose(code: UInt16, reason: String = "") async throws {
        try await connection.send(WebSocketFrameCodec.encodeClientFrame(opcode: .close,
                                                                        payload: WebSocketFrameCodec.closePayload(code: code, reason: reason)))
    }

    /// The next frame from the server (control frames included).
    public func readFrame() async throws -> Frame {
        try await connection.readWebSocketFrame()
    }

    /// The next text or binary message, answering nothing and skipping control frames other
    /// than close (a close frame is returned as is).
    public func readDataOrClose() async throws -> Frame {
        while true {
            let frame = try await readFrame()
            if frame.opcode == .text || frame.opcode == .binary || frame.opcode == .close { return frame }
        }
    }
}

extension RawHTTPClient {
    /// The next WebSocket frame on the connection (payload unmasked).
    public func readWebSocketFrame() async throws -> WebSocketFrameCodec.Frame {
        try await BlockingIO.run { try self.readWebSocketFrameBlocking() }
    }

    func readWebSocketFrameBlocking() throws -> WebSocketFrameCodec.Frame {
        while true {
            let decoded = pending.withLock { buffer -> Result<WebSocketFrameCodec.Frame?, WebSocketFrameCodec.ReadError> in
                var reader = WebSocketFrameCodec.FrameReader()
                reader.append(buffer)
                do throws(WebSocketFrameCodec.ReadError) {
                    guard let frame = try reader.nextFrame() else { return .success(nil) }
                    buffer.removeFirst(buffer.count - reader.bufferedByteCount)
                    return .success(frame)
                } catch {
                    return .failure(error)
                }
            }
            switch decoded {
            case .success(let frame?): return frame
            case .success(nil): break
            case .failure(let error): throw RawHTTPClientError.malformed("WebSocket frame: \(error)")
            }
            guard try fill() else { throw RawHTTPClientError.closed(partial: unreadText) }
        }
    }
}
