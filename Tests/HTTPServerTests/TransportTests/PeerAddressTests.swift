import HTTPServer
import IsolationdTesting
import Testing

@Suite("Peer addresses")
struct PeerAddressTests {
    @Test func theResponderSeesThePeerAsAddressAndPort() async throws {
        let responder = ClosureResponder { request in
            HTTPResponse(status: .ok, contentType: "text/plain", body: Array(request.remoteAddress.utf8))
        }
        try await withTestServer(responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let text = try await client.request("GET", "/").bodyText
            #expect(text.hasPrefix("127.0.0.1:"), "\(text)")
            let peerPort = Int(text.dropFirst("127.0.0.1:".count)) ?? 0
            #expect(peerPort > 0 && peerPort != port, "\(text)")
        }
    }
}
