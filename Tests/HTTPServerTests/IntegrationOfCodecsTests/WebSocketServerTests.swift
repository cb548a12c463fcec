import Glibc
import HTTPServer
import IsolationdTesting
import Testing

@Suite("WebSocket over the server")
struct WebSocketServerTests {
    /// Echoes every message; records the close code.
    static func echo(closes: Recorder<UInt16>, subprotocol: String? = nil) -> ClosureResponder {
        ClosureResponder { _ in
            HTTPResponse(status: .ok, body: .webSocket(WebSocketUpgrade(
                subprotocol: subprotocol,
                onOpen: { _ in },
                onMessage: { session, message in
                    switch message {
                    case .text(let text): session.send(text: "echo: " + text)
                    case .binary(let bytes): session.send(binary: bytes.reversed())
                    }
                },
                onClose: { closes.append($0) })))
        }
    }

    @Test func handshakeMessagesPingAndCloseHandshake() async throws {
        let closes = Recorder<UInt16>()
        try await withTestServer(responder: Self.echo(closes: closes)) { server, port in
            let client = try await WebSocketTestClient.connect(port: port, path: "/ws")
            #expect(client.handshake.status == 101)
            #expect(client.handshake.header("Sec-WebSocket-Accept") == client.expectedAccept)
            #expect(client.handshake.header("Upgrade")?.lowercased() == "websocket")
            #expect(client.handshake.header("Connection")?.lowercased() == "upgrade")

            try await client.send(text: "hello")
            let text = try await client.readFrame()
            #expect(text.opcode == .text)
            #expect(String(decoding: text.payload, as: UTF8.self) == "echo: hello")

            try await client.send(binary: [1, 2, 3])
            #expect(try await client.readFrame().payload == [3, 2, 1])

            try await client.sendPing([9, 9])
            let pong = try await client.readFrame()
            #expect(pong.opcode == .pong)
            #expect(pong.payload == [9, 9])

            try await client.sendClose(code: 1000, reason: "bye")
            let close = try await client.readFrame()
            #expect(close.opcode == .close)
            #expect(close.closeCode == 1000)
            #expect(await client.connection.waitForClose(within: .seconds(10)))
            #expect(await closes.wait(forCount: 1) == [1000])
            #expect(await eventually { server.counters.openConnections == 0 })
        }
    }

    @Test func refusedHandshakes() async throws {
        let closes = Recorder<UInt16>()
        try await withTestServer(responder: Self.echo(closes: closes)) { port in
            let wrongVersion = try await WebSocketTestClient.connect(port: port, version: "8")
            #expect(wrongVersion.handshake.status == 426)
            #expect(wrongVersion.handshake.header("Sec-WebSocket-Version") == "13")

            let plain = try await RawHTTPClient.connect(port: port)
            let notUpgrade = try await plain.request("GET", "/ws")
            #expect(notUpgrade.status == 400)
            #expect(closes.all.isEmpty)
        }
    }

    @Test func subprotocolIsSelectedOnlyWhenOffered() async throws {
        let closes = Recorder<UInt16>()
        try await withTestServer(responder: Self.echo(closes: closes, subprotocol: "events.v1")) { port in
            let offered = try await WebSocketTestClient.connect(port: port, protocols: ["other", "events.v1"])
            #expect(offered.handshake.status == 101)
            #expect(offered.handshake.header("Sec-WebSocket-Protocol") == "events.v1")
            let notOffered = try await WebSocketTestClient.connect(port: port, protocols: ["other"])
            #expect(notOffered.handshake.status == 500)
        }
    }

    @Test func sessionSendsFromAnotherThreadInOrder() async throws {
        let closes = Recorder<UInt16>()
        let responder = ClosureResponder { _ in
            HTTPResponse(status: .ok, body: .webSocket(WebSocketUpgrade(
                onOpen: { session in
                    onAnotherThread {
                        for index in 0..<300 {
                            while session.send(text: "m\(index)") == .overflow { usleep(1000) }
                        }
                        session.close(code: 1000, reason: "done")
                    }
                },
                onMessage: { _, _ in },
                onClose: { closes.append($0) })))
        }
        try await withTestServer(responder: responder) { port in
            let client = try await WebSocketTestClient.connect(port: port)
            for index in 0..<300 {
                let frame = try await client.readFrame()
                #expect(String(decoding: frame.payload, as: UTF8.self) == "m\(index)")
            }
            let close = try await client.readFrame()
            #expect(close.closeCode == 1000)
            try await client.sendClose(code: 1000)
            #expect(await client.connection.waitForClose(within: .seconds(10)))
            #expect(await closes.wait(forCount: 1) == [1000])
        }
    }

    @Test func protocolViolationClosesWith1002() async throws {
        let closes = Recorder<UInt16>()
        try await withTestServer(responder: Self.echo(closes: closes)) { port in
            let client = try await WebSocketTestClient.connect(port: port)
            // An unmasked client frame is a protocol error.
            try await client.connection.send(WebSocketFrameCodec.encode(opcode: .text, payload: Array("x".utf8)))
            let close = try await client.readFrame()
            #expect(close.closeCode == 1002)
            #expect(await client.connection.waitForClose(within: .seconds(10)))
            #expect(await closes.wait(forCount: 1) == [1002])
        }
    }

    /// An echo server that pings after `interval` of silence from the peer.
    static func keepAliveEcho(closes: Recorder<UInt16>, interval: Duration) -> ClosureResponder {
        ClosureResponder { _ in
            HTTPResponse(status: .ok, body: .webSocket(WebSocketUpgrade(
                keepAliveInterval: interval,
                onOpen: { _ in },
                onMessage: { session, message in if case .text(let text) = message { session.send(text: text) } },
                onClose: { closes.append($0) })))
        }
    }

    @Test func keepAlivePingsASilentPeerAndKeepsOneThatAnswers() async throws {
        let closes = Recorder<UInt16>()
        // Four seconds: a 2-core machine running the whole suite under ThreadSanitizer has kept
        // the answering thread from running for over two, which is not the silence this test is
        // about.
        try await withTestServer(responder: Self.keepAliveEcho(closes: closes, interval: .seconds(4))) { server, port in
            // The peer is quiet from before the handshake, then from each pong it sends.
            let quietSince = ContinuousClock.now
            let client = try await WebSocketTestClient.connect(port: port)
            #expect(client.handshake.status == 101)
            // Two rounds: each ping comes only after a quiet interval. The second comes when a
            // silent peer would already have been closed (two intervals after the handshake), so
            // the first pong (sent at once, from the reading thread) is what kept the connection.
            let quiet = try await client.answerPings(2, quietSince: quietSince)
            #expect(quiet.allSatisfy { $0 >= .seconds(4) }, "\(quiet)")
            try await client.send(text: "still here")
            #expect(try await client.readDataOrClose().payload == Array("still here".utf8))
            #expect(closes.all.isEmpty)
            #expect(server.counters.openConnections == 1)
        }
    }

    @Test func keepAliveGivesUpAPeerThatNeverAnswers() async throws {
        let closes = Recorder<UInt16>()
        try await withTestServer(responder: Self.keepAliveEcho(closes: closes, interval: .milliseconds(200))) { server, port in
            let client = try await WebSocketTestClient.connect(port: port)
            #expect(client.handshake.status == 101)
            #expect(try await client.readFrame().opcode == .ping)
            // No answer: one interval after the ping the server lets the connection go.
            #expect(await client.connection.waitForClose(within: .seconds(10)))
            #expect(await closes.wait(forCount: 1) == [1006])
            #expect(await eventually { server.counters.openConnections == 0 })
        }
    }

    @Test func noKeepAliveMeansNoPings() async throws {
        let closes = Recorder<UInt16>()
        try await withTestServer(responder: Self.echo(closes: closes)) { port in
            let client = try await WebSocketTestClient.connect(port: port)
            #expect(client.handshake.status == 101)
            #expect(await client.connection.waitForClose(within: .milliseconds(400)) == false)
            #expect(client.connection.unreadText.isEmpty)
        }
    }

    @Test func vanishedClientIsReportedAs1006() async throws {
        let closes = Recorder<UInt16>()
        try await withTestServer(responder: Self.echo(closes: closes)) { port in
            let client = try await WebSocketTestClient.connect(port: port)
            #expect(client.handshake.status == 101)
            client.connection.close()
            #expect(await closes.wait(forCount: 1) == [1006])
        }
    }

    @Test func drainClosesSessionsWith1001() async throws {
        let closes = Recorder<UInt16>()
        try await withTestServer(responder: Self.echo(closes: closes)) { server, port in
            let client = try await WebSocketTestClient.connect(port: port)
            #expect(client.handshake.status == 101)
            let drain = Task { await server.drain() }
            let close = try await client.readDataOrClose()
            #expect(close.opcode == .close)
            #expect(close.closeCode == 1001)
            try await client.sendClose(code: 1001)
            #expect(await client.connection.waitForClose(within: .seconds(10)))
            await drain.value
            #expect(closes.all == [1001])
        }
    }
}
