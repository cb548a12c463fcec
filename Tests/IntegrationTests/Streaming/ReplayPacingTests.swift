import ExecutionAPI
import ExecutionCore
import HTTPServer
import IsolationdTesting
import Testing

/// A resume over a large replay ring with a slow reader, over real sockets (issue 12, item 4):
/// the first batch and every one after it fit the connection's outbound bound (the server's
/// high-water mark of stream queues says so), the replay is not cut off as a slow consumer, and
/// every event arrives once, in order.
@Suite("Replay over SSE and WebSocket: within the outbound bound")
struct ReplayPacingTests {
    static let bound = 64 * 1024
    static let events = 3000

    /// A world whose ring holds `events` events of about 2 KB for alice (6 MB: ninety-odd times
    /// the bound; one old 128-event batch was four times it).
    static func world() throws -> StreamTestWorld {
        let world = try StreamTestWorld(users: ["alice-01"],
                                        hub: EventHubConfiguration(replayRingSize: events, maxSubscribersPerUser: 10))
        let payload = JSONValue.string(String(repeating: "z", count: 2000))
        for _ in 0..<events { world.publish(user: "alice-01", data: .object(["blob": payload])) }
        return world
    }

    static var configuration: HTTPServerConfiguration {
        var configuration = HTTPServerConfiguration.testing
        configuration.outboundBufferBytes = bound
        return configuration
    }

    @Test("SSE: Last-Event-ID 0, a reader that waits before reading: all events in order, the queue under the bound")
    func sseReplay() async throws {
        let world = try Self.world()
        try await world.serve(configuration: Self.configuration) { server, port in
            let client = try await world.connect(port, "/v1/events", user: "alice-01", lastEventID: "0", timeout: .seconds(30))
            defer { client.close() }
            // Slow: nothing is read for a while, so the kernel's buffers fill and the server's
            // queue is what holds the rest.
            try await Task.sleep(for: .milliseconds(700))
            var expected: UInt64 = 1
            while expected <= UInt64(Self.events) {
                let event = try #require(try await client.nextEvent(), "the stream ended before event \(expected)")
                #expect(event.numericID == expected)
                if event.numericID != expected { break }
                expected += 1
                if expected % 500 == 0 { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(world.streamCounters.statistics.endedSlowConsumer == 0)
            #expect(server.counters.streamBacklogPeakBytes <= Self.bound,
                    "the stream queued \(server.counters.streamBacklogPeakBytes) bytes at most")
            #expect(server.counters.streamBacklogPeakBytes > Self.bound / 2, "the reader was slow enough to fill it")
        }
    }

    @Test("WebSocket: ?after=0, a reader that waits before reading: all events in order, the queue under the bound")
    func webSocketReplay() async throws {
        let world = try Self.world()
        try await world.serve(configuration: Self.configuration) { server, port in
            let token = StreamTestWorld.token("alice-01")
            let client = try await WebSocketTestClient.connect(port: port, path: "/v1/events/ws?after=0",
                                                              protocols: ["bearer", token])
            defer { client.connection.close() }
            #expect(client.handshake.status == 101)
            try await Task.sleep(for: .milliseconds(700))
            var expected: Int64 = 1
            while expected <= Int64(Self.events) {
                let frame = try await client.readDataOrClose()
                let json = try JSONValue.parse(Array(frame.payload))
                if json["type"] == .string("subscribed") { continue }
                #expect(json["id"]?.int64Value == expected)
                if json["id"]?.int64Value != expected { break }
                expected += 1
            }
            #expect(world.streamCounters.statistics.endedSlowConsumer == 0)
            #expect(server.counters.streamBacklogPeakBytes <= Self.bound,
                    "the stream queued \(server.counters.streamBacklogPeakBytes) bytes at most")
        }
    }
}
