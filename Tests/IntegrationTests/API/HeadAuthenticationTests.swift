import IsolationdTesting
import Testing

/// No work before authentication (issue 12, item 3): a `/v1` request that announces a body is
/// judged by its head. Refused credentials are answered 401 at once, before (and without) the
/// body, and a large announced body closes the connection instead of being read.
@Suite("No work before authentication (real binary)")
struct HeadAuthenticationTests {
    @Test("no or a wrong credential with a 200 KB body announced: 401 at once, the body never sent, the connection closed")
    func refusedFromTheHead() async throws {
        let world = try await OneUserWithEngine.start(thread: "thread-head-auth")
        let server = world.server
        for authorization in [nil, "Bearer isod-not-a-key-of-anyone-0000000000"] {
            // Only the head is sent: a server that waited for the body would answer nothing
            // until its body timeout, and the client's 10 s read timeout fails the test first.
            let client = try await RawHTTPClient.connect(port: server.port, timeout: .seconds(10))
            // 200 KB: within the run route's own bound, so only the credential can refuse it.
            var head = "POST /v1/engines/\(world.engineID)/runs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200000\r\n"
            if let authorization { head += "Authorization: \(authorization)\r\n" }
            try await client.send(head + "\r\n")
            let started = ContinuousClock.now
            let answer = try await client.readResponse()
            #expect(answer.status == 401)
            #expect(answer.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
            #expect(answer.header("Content-Type")?.hasPrefix("application/problem+json") == true)
            #expect(ContinuousClock.now - started < .seconds(5))
            #expect(await client.waitForClose(within: .seconds(5)), "the unread body leaves the connection closed")
        }
        // With the right key the same head is read as usual: here its size is over the route's
        // bound, which is also answered from the head (413).
        let client = try await RawHTTPClient.connect(port: server.port, timeout: .seconds(10))
        try await client.send("POST /v1/contexts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                              + "Authorization: Bearer \(world.user.key)\r\nContent-Length: 1000000\r\n\r\n")
        #expect(try await client.readResponse().status == 413)
        // And a small, authenticated body is read and served.
        #expect(try await world.client.createContext(thread: "thread-head-auth-2").isEmpty == false)
    }
}
