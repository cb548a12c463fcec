import HTTPServer
import IsolationdTesting
import Testing

/// A large compressible body over real sockets: gzip is produced across loop turns and sent
/// chunked; the client gets exactly the body back. Without gzip it is sent as it is.
@Suite("gzip of large bodies over sockets")
struct GzipLargeBodyWireTests {
    @Test func aLargeBodyIsGzippedChunkedAndDecodesToTheOriginal() async throws {
        let body = SlicedGzipBodyTests.body
        let responder = ClosureResponder { _ in HTTPResponse(status: .ok, contentType: "application/json", body: body) }
        let configuration = HTTPServerConfiguration.testing { $0.outboundBufferBytes = 64 * 1024 }
        try await withTestServer(configuration: configuration, responder: responder) { server, port in
            let client = try await RawHTTPClient.connect(port: port)
            let gzipped = try await client.request("GET", "/big", headers: [("Accept-Encoding", "gzip")])
            #expect(gzipped.status == 200)
            #expect(gzipped.header("Content-Encoding") == "gzip")
            #expect(gzipped.header("Transfer-Encoding") == "chunked")
            #expect(gzipped.header("Vary") == "Accept-Encoding")
            #expect(try Gzip.decompress(gzipped.body, maxOutputBytes: 2 << 20, maxRatio: 1000) == body)
            // Keep-alive holds after the chunked answer.
            let plain = try await client.request("GET", "/big")
            #expect(plain.header("Content-Encoding") == nil)
            #expect(plain.header("Content-Length") == String(body.count))
            #expect(plain.body == body)
            #expect(server.counters.streamBacklogPeakBytes <= 64 * 1024)
        }
    }
}
