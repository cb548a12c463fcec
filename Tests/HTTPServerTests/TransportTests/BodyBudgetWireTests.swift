import HTTPServer
import IsolationdTesting
import Testing

/// The budget for request bodies in flight over real sockets (issue 12, item 3): while bodies
/// being read hold the budget, another body that would pass it is answered 503 with
/// `Retry-After` from its head and its connection closed without the body being read; the bytes
/// come back when a body completes or its connection goes.
@Suite("Request bodies in flight: the server-wide budget")
struct BodyBudgetWireTests {
    static let configuration = HTTPServerConfiguration.testing {
        $0.maxBodyBytes = 64 * 1024
        $0.maxBodiesInFlightBytes = 100 * 1024
    }

    static func postHead(_ length: Int) -> String {
        "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: \(length)\r\n\r\n"
    }

    @Test func aBodyPastTheBudgetIsRefused503UnreadAndTheBudgetComesBack() async throws {
        try await withTestServer(configuration: Self.configuration, responder: echoResponder()) { server, port in
            // Holds 60 KiB of the budget: head and a first part sent, the rest later.
            let holder = try await RawHTTPClient.connect(port: port)
            try await holder.send(Self.postHead(60 * 1024) + String(repeating: "h", count: 1000))
            #expect(await eventually { server.counters.requestBodyBytesInFlight == 60 * 1024 })

            // 60 KiB more would pass 100 KiB: refused from the head, before the body is sent.
            let refused = try await RawHTTPClient.connect(port: port)
            try await refused.send(Self.postHead(60 * 1024))
            let answer = try await refused.readResponse()
            #expect(answer.status == 503)
            #expect(answer.header("Retry-After") == "1")
            #expect(answer.header("Connection") == "close")
            #expect(answer.header("Content-Type") == "application/problem+json")
            #expect(answer.bodyText.contains("request bodies"))
            #expect(await refused.waitForClose(within: .seconds(10)))
            #expect(server.counters.requestBodiesRefused == 1)

            // A body that fits the rest is read as usual, on another connection meanwhile.
            let small = try await RawHTTPClient.connect(port: port)
            #expect(try await small.request("POST", "/small", body: Array(repeating: UInt8(ascii: "s"), count: 30 * 1024)).status == 200)

            // The holder completes: answered, and its bytes are given back.
            try await holder.send(String(repeating: "h", count: 60 * 1024 - 1000))
            let done = try await holder.readResponse()
            #expect(done.status == 200)
            #expect(done.body.count == "POST /upload\n".utf8.count + 60 * 1024)
            #expect(await eventually { server.counters.requestBodyBytesInFlight == 0 })

            // Now 60 KiB fits again; a connection that leaves mid-body gives its share back too.
            let leaver = try await RawHTTPClient.connect(port: port)
            try await leaver.send(Self.postHead(60 * 1024) + "partial")
            #expect(await eventually { server.counters.requestBodyBytesInFlight == 60 * 1024 })
            leaver.close()
            #expect(await eventually { server.counters.requestBodyBytesInFlight == 0 })
            let again = try await RawHTTPClient.connect(port: port)
            #expect(try await again.request("POST", "/again", body: Array(repeating: UInt8(ascii: "a"), count: 60 * 1024)).status == 200)
        }
    }

    @Test func manyConcurrentBodiesNeverHoldMoreThanTheBudget() async throws {
        try await withTestServer(configuration: Self.configuration, responder: echoResponder()) { server, port in
            // Twelve clients each start a 40 KiB body and stall: only two fit in 100 KiB.
            var clients: [RawHTTPClient] = []
            for _ in 0..<12 {
                let client = try await RawHTTPClient.connect(port: port)
                try await client.send(Self.postHead(40 * 1024) + "x")
                clients.append(client)
            }
            #expect(await eventually { server.counters.requestBodiesRefused == 10 })
            #expect(server.counters.requestBodyBytesInFlight == 80 * 1024)
            var refused = 0
            for client in clients where await client.waitForClose(within: .milliseconds(200)) { refused += 1 }
            #expect(refused == 10)
            for client in clients { client.close() }
            #expect(await eventually { server.counters.requestBodyBytesInFlight == 0 })
        }
    }
}
