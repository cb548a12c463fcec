import ExecutionCore
import IsolationdTesting
import Testing

/// `server.compression` as the real binary applies it, on `GET /openapi.json` (a large JSON answer).
@Suite("Compression settings in the real binary")
struct CompressionBinaryTests {
    static func openAPI(_ server: BinaryServer, acceptEncoding: String?) async throws -> RawHTTPResponse {
        let client = try await RawHTTPClient.connect(port: server.port)
        defer { client.close() }
        var headers = [("Connection", "close")]
        if let acceptEncoding { headers.append(("Accept-Encoding", acceptEncoding)) }
        return try await client.request("GET", "/openapi.json", headers: headers)
    }

    static func isJSON(_ response: RawHTTPResponse) -> Bool {
        (try? JSONValue.parse(response.body)) != nil
    }

    static func server(compression: String) async throws -> BinaryServer {
        let users = APITestConfiguration.users(1)
        return try await BinaryServer.start(configuration: OperationsConfiguration.json(users: users, server: """
            {"host": "127.0.0.1", "port": 0, "event_loops": 1, "compression": \(compression)}
            """))
    }

    @Test("Enabled (the default): gzip when accepted, with Vary; identity otherwise and for identity-only clients")
    func enabled() async throws {
        let server = try await Self.server(compression: #"{"enabled": true}"#)
        let plain = try await Self.openAPI(server, acceptEncoding: nil)
        #expect(plain.status == 200)
        #expect(plain.header("Content-Encoding") == nil)
        #expect(Self.isJSON(plain))

        let gzipped = try await Self.openAPI(server, acceptEncoding: "gzip")
        #expect(gzipped.status == 200)
        #expect(gzipped.header("Content-Encoding") == "gzip")
        #expect(gzipped.headers.listContains("Vary", token: "Accept-Encoding"))
        let bytes = gzipped.body
        #expect(bytes.starts(with: [0x1f, 0x8b]), "not a gzip member")
        #expect(bytes.count < plain.body.count / 2, "gzip body \(bytes.count) bytes of \(plain.body.count)")
        #expect(plain.body.count > 1024)

        let refused = try await Self.openAPI(server, acceptEncoding: "gzip;q=0, identity")
        #expect(refused.header("Content-Encoding") == nil)
        #expect(await server.stop() == 0)
    }

    @Test("compression.enabled false: never gzip; min_bytes above the body: not compressed")
    func disabledAndThreshold() async throws {
        let off = try await Self.server(compression: #"{"enabled": false}"#)
        let answer = try await Self.openAPI(off, acceptEncoding: "gzip")
        #expect(answer.status == 200)
        #expect(answer.header("Content-Encoding") == nil)
        #expect(Self.isJSON(answer))
        #expect(await off.stop() == 0)

        let high = try await Self.server(compression: #"{"enabled": true, "min_bytes": 100000000}"#)
        let small = try await Self.openAPI(high, acceptEncoding: "gzip")
        #expect(small.status == 200)
        #expect(small.header("Content-Encoding") == nil)
        #expect(await high.stop() == 0)
    }
}
