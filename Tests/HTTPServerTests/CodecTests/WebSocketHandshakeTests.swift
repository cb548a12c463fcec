import Testing
@testable import HTTPServer

@Suite("WebSocket opening handshake")
struct WebSocketHandshakeTests {
    static let key = "dGhlIHNhbXBsZSBub25jZQ=="
    static let valid: HTTPHeaders = [
        "Host": "server.example.com", "Upgrade": "websocket", "Connection": "keep-alive, Upgrade",
        "Sec-WebSocket-Key": key, "Sec-WebSocket-Version": "13",
    ]

    @Test("the accept value matches RFC 6455 §1.3's example")
    func rfcExample() {
        #expect(WebSocketHandshake.acceptValue(forKey: Self.key) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        #expect(WebSocketHandshake.validate(method: .get, version: .http1_1, headers: Self.valid) == .success("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="))
    }

    @Test("header names and tokens are case-insensitive")
    func caseInsensitive() {
        let headers: HTTPHeaders = ["upgrade": "WebSocket", "connection": "UPGRADE", "sec-websocket-key": " \(Self.key) ",
                                    "sec-websocket-version": "13"]
        #expect(WebSocketHandshake.validate(method: .get, version: .http1_1, headers: headers) == .success("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="))
    }

    @Test("malformed requests are refused with 400")
    func badRequests() {
        func status(_ method: HTTPMethod = .get, _ version: HTTPVersion = .http1_1, change: (inout HTTPHeaders) -> Void) -> Int? {
            var headers = Self.valid
            change(&headers)
            if case .failure(let error) = WebSocketHandshake.validate(method: method, version: version, headers: headers) {
                return error.status.code
            }
            return nil
        }
        #expect(status(.post) { _ in } == 400)
        #expect(status(.get, .http1_0) { _ in } == 400)
        #expect(status { $0.remove("Upgrade") } == 400)
        #expect(status { $0.set("Upgrade", "h2c") } == 400)
        #expect(status { $0.set("Connection", "keep-alive") } == 400)
        #expect(status { $0.remove("Sec-WebSocket-Key") } == 400)
        #expect(status { $0.add("Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAAAA==") } == 400)
        #expect(status { $0.remove("Sec-WebSocket-Version") } == 400)
        // Keys that are not base64 of exactly 16 bytes.
        for key in ["", "abc", "dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25jZQ=x", "AAAAAAAAAAAAAAAAAAAAAAAA",
                    "dGhlIHNhbXBsZSBub25jZR==", "dGhl!HNhbXBsZSBub25jZQ=="] {
            #expect(status { $0.set("Sec-WebSocket-Key", key) } == 400, "key \(key)")
        }
    }

    @Test("a wrong version is answered 426 with Sec-WebSocket-Version: 13")
    func wrongVersion() {
        for version in ["8", "14", "13, 8", ""] {
            var headers = Self.valid
            headers.set("Sec-WebSocket-Version", version)
            guard case .failure(let error) = WebSocketHandshake.validate(method: .get, version: .http1_1, headers: headers) else {
                Issue.record("version \(version) accepted")
                continue
            }
            #expect(error.status == .upgradeRequired)
            #expect(error.headers["Sec-WebSocket-Version"] == "13")
        }
    }

    @Test("offered subprotocols keep their order across repeated fields")
    func subprotocols() {
        var headers = Self.valid
        headers.add("Sec-WebSocket-Protocol", "chat, superchat")
        headers.add("Sec-WebSocket-Protocol", " events ,,")
        #expect(WebSocketHandshake.offeredProtocols(headers) == ["chat", "superchat", "events"])
        #expect(WebSocketHandshake.offeredProtocols(Self.valid) == [])
    }

    @Test("base64 round-trips every length and is strict when decoding")
    func base64() {
        var generator = SplitMix64(seed: 7)
        for count in 0..<40 {
            let bytes = [UInt8].random(count: count, using: &generator)
            let encoded = Base64.encode(bytes)
            #expect(encoded.utf8.count == (count + 2) / 3 * 4)
            #expect(Base64.decode(encoded) == bytes)
        }
        #expect(Base64.encode(Array("foobar".utf8)) == "Zm9vYmFy")
        #expect(Base64.encode(Array("fo".utf8)) == "Zm8=")
        #expect(Base64.decode("Zm8") == nil)
        #expect(Base64.decode("Z===") == nil)
        #expect(Base64.decode("Zm=v") == nil)
        #expect(Base64.decode("Zm9=") == nil)  // non-zero unused bits
    }
}
