import Glibc
import HTTPServer
import IsolationdTesting
import Testing

/// Control frames count against a WebSocket's outbound bound, and at most one pong is owed at a
/// time (issue 12, item 4): a peer that floods pings without reading costs the server nothing.
@Suite("WebSocket: pongs within the outbound bound")
struct WebSocketControlBoundTests {
    @Test("a ping flood from a peer that does not read gets far fewer pongs than pings, and the session still works")
    func pingFloodWithoutReading() async throws {
        let closes = Recorder<UInt16>()
        try await withTestServer(responder: WebSocketServerTests.echo(closes: closes)) { port in
            let client = try await WebSocketTestClient.connect(port: port, path: "/ws")
            #expect(client.handshake.status == 101)
            // A small receive buffer (the kernel doubles it; it also stops auto-tuning), so the
            // pongs cannot all hide in the client's socket: the server's send buffer (at most
            // 4 MiB here) and, before the fix, its unbounded output buffer had to hold them.
            var small: Int32 = 4096
            setsockopt(client.connection.fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))

            // 60,000 pings of 125 bytes: 7.6 MB of pongs if every one were answered, more than
            // the kernel's buffers hold. Under ThreadSanitizer (which looks for races here, and
            // makes parsing a frame some twenty times dearer) 12,000.
            let pings = SanitizerDetection.threadSanitizerActive ? 12_000 : 60_000
            let ping = WebSocketFrameCodec.encodeClientFrame(opcode: .ping, payload: [UInt8](repeating: 0x70, count: 125))
            var flood: [UInt8] = []
            flood.reserveCapacity(ping.count * pings)
            for _ in 0..<pings { flood += ping }
            try await client.connection.send(flood)
            try await client.send(text: "after the flood")

            // Now read: pongs, then the echo of the text, which shows the session still works.
            var pongs = 0
            var echoed: String?
            while echoed == nil {
                let frame = try await client.readFrame()
                switch frame.opcode {
                case .pong: pongs += 1
                case .text: echoed = String(decoding: frame.payload, as: UTF8.self)
                default: Issue.record("unexpected \(frame.opcode)"); return
                }
            }
            #expect(echoed == "echo: after the flood")
            #expect(pongs >= 1)
            #expect(pongs < pings / 2, "\(pongs) pongs for \(pings) pings: pongs were queued without bound")
            // A ping on a drained connection is answered again.
            try await client.sendPing([7])
            let pong = try await client.readFrame()
            #expect(pong.opcode == .pong && pong.payload == [7])
        }
    }
}
