import HTTPServer
import IsolationdTesting
import Testing

@Suite("Built-in probes")
struct ProbeTests {
    /// A responder that would answer the probe paths differently: probes must come first.
    static let shadowing = ClosureResponder { _ in HTTPResponse(status: .notFound) }

    @Test(arguments: ["/healthz", "/livez"])
    func livenessProbesAnswerOk(path: String) async throws {
        try await withTestServer(responder: Self.shadowing) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let response = try await client.request("GET", path)
            #expect(response.status == 200)
            #expect(response.bodyText == #"{"status":"ok"}"#)
            #expect(response.header("Content-Type") == "application/json")
            let head = try await client.request("HEAD", path)
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == "15")
            #expect(head.body.isEmpty)
            let withQuery = try await client.request("GET", path + "?x=1")
            #expect(withQuery.bodyText == #"{"status":"ok"}"#)
        }
    }

    @Test func readinessAndVerboseOutput() async throws {
        try await withTestServer(responder: Self.shadowing) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let ready = try await client.request("GET", "/readyz")
            #expect(ready.bodyText == #"{"status":"ready"}"#)
            let verbose = try await client.request("GET", "/readyz?verbose")
            #expect(verbose.status == 200)
            #expect(verbose.header("Content-Type")?.hasPrefix("text/plain") == true)
            let lines = verbose.bodyText.split(separator: "\n")
            #expect(lines.contains("[+]listening ok"))
            #expect(lines.last == "readyz check passed")
            let live = try await client.request("GET", "/livez?verbose=1")
            #expect(live.bodyText.hasPrefix("[+]ping ok\n"))
        }
    }

    @Test func nearMissesGoToTheResponder() async throws {
        try await withTestServer(responder: Self.shadowing) { port in
            let client = try await RawHTTPClient.connect(port: port)
            for path in ["/healthzz", "/health", "/livez/", "/readyz/x", "/Healthz"] {
                #expect(try await client.request("GET", path).status == 404, "\(path)")
            }
            // The probe paths themselves are the server's: another method there is 405 with
            // Allow (RFC 9110 §15.5.6), not handed to the responder.
            let post = try await client.request("POST", "/healthz", body: [1])
            #expect(post.status == 405)
            #expect(post.header("Allow") == "GET, HEAD, OPTIONS")
        }
    }

    @Test func probesCanBeTurnedOff() async throws {
        try await withTestServer(configuration: .testing { $0.probesEnabled = false }, responder: Self.shadowing) { port in
            let client = try await RawHTTPClient.connect(port: port)
            #expect(try await client.request("GET", "/healthz").status == 404)
        }
    }
}
