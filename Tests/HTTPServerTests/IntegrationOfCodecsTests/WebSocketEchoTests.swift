import HTTPServer
import IsolationdTesting
import Testing

/// `WebSocketEcho` behind a router over real sockets: what an external RFC 6455 suite relies on.
@Suite("WebSocket echo endpoint")
struct WebSocketEchoTests {
    static func router(maxMessageBytes: Int = 16_384) -> Router {
        var router = Router()
        router.get("/ws/echo") { request in
            WebSocketEcho.respond(to: request, maxMessageBytes: maxMessageBytes, keepAliveInterval: nil) { problem, _ in
                problem.instance = "urn:test"
            }
        }
        return router
    }

    @Test("text, binary and fragmented messages come back as sent; ping gets its pong; close is answered")
    func echoes() async throws {
        try await withTestServer(responder: Self.router()) { server, port in
            let client = try await WebSocketTestClient.connect(port: port, path: "/ws/echo")
            #expect(client.handshake.status == 101)
            #expect(client.handshake.header("Sec-WebSocket-Accept") == client.expectedAccept)
            #expect(client.handshake.header("Sec-WebSocket-Protocol") == nil)

            try await client.send(text: "héllo, echo")
            let text = try await client.readFrame()
            #expect(text.opcode == .text && text.fin)
            #expect(String(decoding: text.payload, as: UTF8.self) == "héllo, echo")

            let binary: [UInt8] = [0, 1, 2, 254, 255]
            try await client.send(binary: binary)
            let echoedBinary = try await client.readFrame()
            #expect(echoedBinary.opcode == .binary && echoedBinary.payload == binary)

            // Three fragments, a ping between them (control frames may interleave, RFC 6455 §5.4).
            let parts = ["frag", "men", "ted ✓"].map { Array($0.utf8) }
            try await client.connection.send(WebSocketFrameCodec.encodeClientFrame(opcode: .text, payload: parts[0], fin: false))
            try await client.connection.send(WebSocketFrameCodec.encodeClientFrame(opcode: .continuation, payload: parts[1], fin: false))
            try await client.sendPing([7, 7])
            try await client.connection.send(WebSocketFrameCodec.encodeClientFrame(opcode: .continuation, payload: parts[2], fin: true))
            let pong = try await client.readFrame()
            #expect(pong.opcode == .pong && pong.payload == [7, 7])
            let whole = try await client.readFrame()
            #expect(whole.opcode == .text && whole.fin)
            #expect(String(decoding: whole.payload, as: UTF8.self) == "fragmented ✓")

            let large = [UInt8](repeating: 0x61, count: 16_000)
            try await client.send(binary: large)
            #expect(try await client.readFrame().payload == large)

            try await client.sendClose(code: 1000, reason: "done")
            let close = try await client.readFrame()
            #expect(close.opcode == .close && close.closeCode == 1000)
            #expect(await client.connection.waitForClose(within: .seconds(10)))
            #expect(await eventually { server.counters.openConnections == 0 })
        }
    }

    @Test("a message over the limit closes with 1009, invalid UTF-8 with 1007")
    func limits() async throws {
        try await withTestServer(responder: Self.router(maxMessageBytes: 1024)) { port in
            let big = try await WebSocketTestClient.connect(port: port, path: "/ws/echo")
            try await big.send(binary: [UInt8](repeating: 1, count: 1025))
            let tooBig = try await big.readDataOrClose()
            #expect(tooBig.opcode == .close && tooBig.closeCode == WebSocketCloseCode.messageTooBig)

            let invalid = try await WebSocketTestClient.connect(port: port, path: "/ws/echo")
            try await invalid.connection.send(WebSocketFrameCodec.encodeClientFrame(opcode: .text, payload: [0xC3, 0x28]))
            let refused = try await invalid.readDataOrClose()
            #expect(refused.opcode == .close && refused.closeCode == WebSocketCloseCode.invalidPayloadData)
        }
    }

    @Test("a request that is no upgrade gets the handshake's problem, completed by the application")
    func refusedHandshake() async throws {
        try await withTestServer(responder: Self.router()) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let plain = try await client.request("GET", "/ws/echo")
            #expect(plain.status == 400)
            #expect(plain.header("Content-Type") == ProblemJSON.contentType)
            #expect(plain.bodyText.contains(#""instance":"urn:test""#), "\(plain.bodyText)")
            let oldVersion = try await WebSocketTestClient.connect(port: port, path: "/ws/echo", version: "8")
            #expect(oldVersion.handshake.status == 426)
            #expect(oldVersion.handshake.header("Sec-WebSocket-Version") == "13")
        }
    }
}
