import HTTPServer
import IsolationdTesting
import Testing

/// For every streamed or upgraded response a responder returns, the server runs exactly one of
/// `start`/`notStarted` (or `onOpen`/`onRefused`), so whatever the responder reserved is always
/// released, and no timer has to guess at a body that never started.
@Suite("Streamed and upgraded responses: exactly one of start and notStarted")
struct ResponseStartGuaranteeTests {
    static func stream(status: HTTPStatus = .ok, headers: HTTPHeaders = [:], _ calls: Recorder<String>) -> ClosureResponder {
        ClosureResponder { _ in
            HTTPResponse(status: status, headers: headers, body: .stream(StreamingBody(start: { writer in
                calls.append("start")
                writer.finish(final: Array("body".utf8))
            }, notStarted: { calls.append("notStarted") })))
        }
    }

    @Test("a GET starts the body; a HEAD does not and says so")
    func headIsNotStarted() async throws {
        let calls = Recorder<String>()
        try await withTestServer(responder: Self.stream(calls)) { port in
            let client = try await RawHTTPClient.connect(port: port)
            #expect(try await client.request("GET", "/").bodyText == "body")
            let head = try await client.request("HEAD", "/")
            #expect(head.status == 200)
            #expect(head.body.isEmpty)
            #expect(await calls.wait(forCount: 2) == ["start", "notStarted"])
        }
    }

    @Test("a status without a body (204) is not started")
    func bodylessStatusIsNotStarted() async throws {
        let calls = Recorder<String>()
        try await withTestServer(responder: Self.stream(status: .noContent, calls)) { port in
            let client = try await RawHTTPClient.connect(port: port)
            #expect(try await client.request("GET", "/").status == 204)
            #expect(await calls.wait(forCount: 1) == ["notStarted"])
        }
    }

    @Test("a response refused as invalid (CR/LF in a header) is answered 500 and not started")
    func invalidResponseIsNotStarted() async throws {
        let calls = Recorder<String>()
        try await withTestServer(responder: Self.stream(headers: ["X-Bad": "a\r\nb"], calls)) { port in
            let client = try await RawHTTPClient.connect(port: port)
            #expect(try await client.request("GET", "/").status == 500)
            #expect(await calls.wait(forCount: 1) == ["notStarted"])
        }
    }

    static func webSocket(subprotocol: String? = nil, headers: HTTPHeaders = [:], _ calls: Recorder<String>) -> ClosureResponder {
        ClosureResponder { _ in
            HTTPResponse(status: .switchingProtocols, headers: headers, body: .webSocket(WebSocketUpgrade(
                subprotocol: subprotocol,
                onOpen: { _ in calls.append("open") },
                onMessage: { _, _ in },
                onClose: { calls.append("close \($0)") },
                onRefused: { calls.append("refused") })))
        }
    }

    @Test("WebSocket: a request that is no upgrade is refused (400), with onRefused and nothing else")
    func notAnUpgradeIsRefused() async throws {
        let calls = Recorder<String>()
        try await withTestServer(responder: Self.webSocket(calls)) { port in
            let plain = try await RawHTTPClient.connect(port: port)
            #expect(try await plain.request("GET", "/ws").status == 400)
            let wrongVersion = try await WebSocketTestClient.connect(port: port, version: "8")
            #expect(wrongVersion.handshake.status == 426)
            #expect(await calls.wait(forCount: 2) == ["refused", "refused"])
        }
    }

    @Test("WebSocket: a subprotocol the client did not offer is refused (500); an offered one opens, then closes")
    func unofferedSubprotocolIsRefused() async throws {
        let calls = Recorder<String>()
        try await withTestServer(responder: Self.webSocket(subprotocol: "events.v1", calls)) { port in
            let notOffered = try await WebSocketTestClient.connect(port: port, protocols: ["other"])
            #expect(notOffered.handshake.status == 500)
            #expect(await calls.wait(forCount: 1) == ["refused"])
            let offered = try await WebSocketTestClient.connect(port: port, protocols: ["events.v1"])
            #expect(offered.handshake.status == 101)
            try await offered.sendClose(code: 1000)
            #expect(await calls.wait(forCount: 3) == ["refused", "open", "close 1000"])
        }
    }

    @Test("WebSocket: an upgrade refused as an invalid response (500) gets onRefused")
    func invalidUpgradeIsRefused() async throws {
        let calls = Recorder<String>()
        try await withTestServer(responder: Self.webSocket(headers: ["X-Bad": "a\nb"], calls)) { port in
            let client = try await WebSocketTestClient.connect(port: port)
            #expect(client.handshake.status == 500)
            #expect(await calls.wait(forCount: 1) == ["refused"])
        }
    }
}
