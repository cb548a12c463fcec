import HTTPServer
import IsolationdTesting
import Testing

@Suite("TLS listener")
struct TLSServerTests {
    static func configuration(_ certificate: ThrowawayCertificate, adjust: (inout HTTPServerConfiguration) -> Void = { _ in })
        throws -> HTTPServerConfiguration {
        var configuration = HTTPServerConfiguration.testing
        configuration.tls = try TLSContext(certificateChainPath: certificate.certificatePath, privateKeyPath: certificate.keyPath)
        adjust(&configuration)
        return configuration
    }

    @Test func httpsRequestsWithKeepAliveAndProbes() async throws {
        let certificate = try ThrowawayCertificate()
        defer { certificate.remove() }
        let responder = ClosureResponder { request in
            HTTPResponse(status: .ok, contentType: "text/plain", body: Array("secure=\(request.isSecure) \(request.path)".utf8))
        }
        try await withTestServer(configuration: try Self.configuration(certificate), responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port, tls: true)
            #expect(client.negotiatedALPN == "http/1.1")
            #expect(try await client.request("GET", "/a").bodyText == "secure=true /a")
            #expect(try await client.request("GET", "/b").bodyText == "secure=true /b")
            #expect(try await client.request("GET", "/healthz").bodyText == #"{"status":"ok"}"#)
            let big = try await client.request("POST", "/upload", body: [UInt8](repeating: 7, count: 300_000))
            #expect(big.status == 200)
        }
    }

    @Test func plainHTTPOnTheTLSPortIsDroppedAndTheServerCarriesOn() async throws {
        let certificate = try ThrowawayCertificate()
        defer { certificate.remove() }
        try await withTestServer(configuration: try Self.configuration(certificate), responder: echoResponder()) { server, port in
            let plain = try await RawHTTPClient.connect(port: port)
            try await plain.sendRequest("GET", "/")
            #expect(await plain.waitForClose(within: .seconds(10)))
            let secure = try await RawHTTPClient.connect(port: port, tls: true)
            #expect(try await secure.request("GET", "/x").status == 200)
            secure.close()
            #expect(await eventually { server.counters.openConnections == 0 })
        }
    }

    @Test func stalledHandshakeIsClosedByItsTimeout() async throws {
        let certificate = try ThrowawayCertificate()
        defer { certificate.remove() }
        let configuration = try Self.configuration(certificate) {
            $0.timeouts.tlsHandshake = .milliseconds(200)
            $0.timeouts.requestHead = .seconds(30)
        }
        try await withTestServer(configuration: configuration, responder: echoResponder()) { port in
            let silent = try await RawHTTPClient.connect(port: port)
            let started = ContinuousClock.now
            #expect(await silent.waitForClose(within: .seconds(10)))
            // Well before the 30 s head timeout (loose: sanitized runs on a busy machine are slow).
            #expect(ContinuousClock.now - started < .seconds(20))
        }
    }

    @Test func streamsAndErrorsWorkOverTLS() async throws {
        let certificate = try ThrowawayCertificate()
        defer { certificate.remove() }
        let responder = ClosureResponder { _ in
            HTTPResponse(status: .ok, body: .stream(StreamingBody { writer in
                writer.write(Array("one".utf8))
                writer.finish(final: Array("two".utf8))
            }))
        }
        try await withTestServer(configuration: try Self.configuration(certificate), responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port, tls: true)
            #expect(try await client.request("GET", "/s").chunks == [Array("one".utf8), Array("two".utf8)])
            try await client.send("GET / HTTP/1.1\nHost: x\n\n")
            #expect(try await client.readResponse().status == 400)
            #expect(await client.waitForClose(within: .seconds(10)))
        }
    }
}
