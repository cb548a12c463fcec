import HTTPServer
import IsolationdTesting
import Testing

/// One peer address cannot hold more than `maxConnectionsPerPeer` connections (issue 12,
/// item 3): past it a connection is answered 429 and closed, other addresses are unaffected,
/// and a closed connection gives its place back.
@Suite("Connection limit per peer address")
struct PeerConnectionLimitTests {
    @Test func aPeerOverItsShareIsAnswered429WhileOthersConnect() async throws {
        let configuration = HTTPServerConfiguration.testing { $0.maxConnectionsPerPeer = 3 }
        try await withTestServer(configuration: configuration, responder: echoResponder()) { server, port in
            var held: [RawHTTPClient] = []
            for index in 0..<3 {
                let client = try await RawHTTPClient.connect(port: port)
                #expect(try await client.request("GET", "/\(index)").status == 200)
                held.append(client)
            }
            let fourth = try await RawHTTPClient.connect(port: port)
            let refused = try await fourth.readResponse()
            #expect(refused.status == 429)
            #expect(refused.header("Retry-After") == "1")
            #expect(refused.header("Connection") == "close")
            #expect(refused.bodyText.contains("from this address"))
            #expect(await fourth.waitForClose(within: .seconds(10)))
            #expect(server.counters.rejectedConnections == 1)

            // Another loopback address is another peer: it has places of its own.
            let neighbour = try await RawHTTPClient.connect(port: port, from: "127.0.0.2")
            #expect(try await neighbour.request("GET", "/neighbour").status == 200)

            // A place comes back when one of the three closes.
            held.removeFirst().close()
            #expect(await eventually { server.counters.openConnections == 3 })
            let again = try await RawHTTPClient.connect(port: port)
            #expect(try await again.request("GET", "/again").status == 200)
            for client in held { #expect(try await client.request("GET", "/held").status == 200) }
        }
    }
}
