import HTTPServer
import IsolationdTesting
import Testing

/// Subscription changes are rate-limited per stream (issue 12, item 4): each one replays the
/// retained log, so a burst past the limit is refused with `rate_limited` error frames while
/// the stream goes on; tokens come back with time.
@Suite("WebSocket subscription changes are rate-limited")
struct SubscriptionRateLimitTests {
    @Test("30 changes at once: the first 10 are acknowledged, the rest refused with rate_limited; a second later changes work again")
    func burstIsLimited() async throws {
        let world = try StreamTestWorld(users: ["alice-01"])
        try await world.serve { _, port in
            let token = StreamTestWorld.token("alice-01")
            let client = try await WebSocketTestClient.connect(port: port, path: "/v1/events/ws",
                                                               extraHeaders: [("Authorization", "Bearer \(token)")])
            defer { client.connection.close() }
            #expect(client.handshake.status == 101)
            // Thirty subscribe frames in one write: the server reads them within one turn or a few.
            let subscribe = WebSocketFrameCodec.encodeClientFrame(opcode: .text, payload: Array(#"{"subscribe": {}}"#.utf8))
            try await client.connection.send(Array(repeating: subscribe, count: 30).flatMap { $0 })
            var acknowledged = 0, refused = 0
            for _ in 0..<30 {
                let answer = try await WebSocketStreamTests.nextJSON(client)
                if answer?["type"] == .string("subscribed") { acknowledged += 1 }
                if answer?["error"] == .string("rate_limited") { refused += 1 }
            }
            // 10 at once; a slow machine may have earned a token or two back meanwhile.
            #expect((10...12).contains(acknowledged), "acknowledged \(acknowledged)")
            #expect(acknowledged + refused == 30)

            // The stream still streams, under its filter.
            _ = world.publish(user: "alice-01", thread: "thread-a")
            #expect(try await WebSocketStreamTests.nextJSON(client)?["id"] == .integer(1))
            // Tokens come back (5 a second).
            try await Task.sleep(for: .seconds(1))
            try await client.send(text: #"{"subscribe": {"thread_id": "thread-a"}}"#)
            #expect(try await WebSocketStreamTests.nextJSON(client)?["type"] == .string("subscribed"))
        }
    }
}
