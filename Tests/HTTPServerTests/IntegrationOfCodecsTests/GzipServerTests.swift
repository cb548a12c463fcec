import Glibc
import HTTPServer
import IsolationdTesting
import Testing

@Suite("gzip responses and request bodies")
struct GzipServerTests {
    static let json = Array(("{\"items\":[" + (0..<200).map { "{\"id\":\($0),\"name\":\"item \($0)\"}" }.joined(separator: ",") + "]}").utf8)

    static let responder = ClosureResponder { request in
        switch request.path {
        case "/json": HTTPResponse(status: .ok, contentType: "application/json", body: json)
        case "/small": HTTPResponse(status: .ok, contentType: "application/json", body: Array("{}".utf8))
        case "/png": HTTPResponse(status: .ok, contentType: "image/png", body: [UInt8](repeating: 0, count: 5000))
        case "/vary": HTTPResponse(status: .ok, contentType: "text/plain", body: json, headers: ["Vary": "Origin"])
        default: HTTPResponse(status: .ok, contentType: "application/octet-stream", body: request.body)
        }
    }

    @Test func compressibleBodiesAreGzippedWhenAccepted() async throws {
        try await withTestServer(responder: Self.responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let gzipped = try await client.request("GET", "/json", headers: [("Accept-Encoding", "br, gzip;q=0.8")])
            #expect(gzipped.header("Content-Encoding") == "gzip")
            #expect(gzipped.header("Vary") == "Accept-Encoding")
            #expect(gzipped.body.count < Self.json.count)
            #expect(try Gzip.decompress(gzipped.body, maxOutputBytes: 1 << 20, maxRatio: 1000) == Self.json)
            #expect(gzipped.header("Content-Length") == String(gzipped.body.count))

            let identity = try await client.request("GET", "/json")
            #expect(identity.header("Content-Encoding") == nil)
            #expect(identity.header("Vary") == "Accept-Encoding")
            #expect(identity.body == Self.json)

            let refused = try await client.request("GET", "/json", headers: [("Accept-Encoding", "gzip;q=0")])
            #expect(refused.header("Content-Encoding") == nil)

            let merged = try await client.request("GET", "/vary", headers: [("Accept-Encoding", "gzip")])
            #expect(merged.header("Vary") == "Origin, Accept-Encoding")
        }
    }

    @Test func smallOrDenseBodiesAreLeftAlone() async throws {
        try await withTestServer(responder: Self.responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let small = try await client.request("GET", "/small", headers: [("Accept-Encoding", "gzip")])
            #expect(small.header("Content-Encoding") == nil)
            #expect(small.bodyText == "{}")
            let png = try await client.request("GET", "/png", headers: [("Accept-Encoding", "gzip")])
            #expect(png.header("Content-Encoding") == nil)
            #expect(png.body.count == 5000)
        }
    }

    @Test func gzipRequestBodiesAreInflatedWithinBounds() async throws {
        let configuration = HTTPServerConfiguration.testing { $0.compression.maxRequestRatio = 50 }
        try await withTestServer(configuration: configuration, responder: Self.responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            let original = Array(String(repeating: "abcdefgh", count: 100).utf8)
            let echoed = try await client.request("POST", "/echo", headers: [("Content-Encoding", "gzip")],
                                                  body: Gzip.compress(original))
            #expect(echoed.status == 200)
            #expect(echoed.body == original)

            let bomb = Gzip.compress([UInt8](repeating: 0, count: 900_000))
            let bombClient = try await RawHTTPClient.connect(port: port)
            let refused = try await bombClient.request("POST", "/echo", headers: [("Content-Encoding", "gzip")], body: bomb)
            #expect(refused.status == 413)

            let corruptClient = try await RawHTTPClient.connect(port: port)
            let corrupt = try await corruptClient.request("POST", "/echo", headers: [("Content-Encoding", "gzip")],
                                                          body: Array(Gzip.compress(original).dropLast(6)))
            #expect(corrupt.status == 400)
        }
    }

    @Test func streamsAreCompressedPerWriteWhenEnabled() async throws {
        let configuration = HTTPServerConfiguration.testing { $0.compression.streams = true }
        let responder = ClosureResponder { _ in
            HTTPResponse(status: .ok, headers: ["Content-Type": "text/event-stream"], body: .stream(StreamingBody { writer in
                writer.write(Array("data: first\n\n".utf8))
                writer.onClose { _ in }
                onAnotherThread {
                    usleep(20_000)
                    writer.finish(final: Array("data: last\n\n".utf8))
                }
            }))
        }
        try await withTestServer(configuration: configuration, responder: responder) { port in
            let client = try await RawHTTPClient.connect(port: port)
            try await client.sendRequest("GET", "/events", headers: [("Accept-Encoding", "gzip")])
            let head = try await client.readHead()
            #expect(head.header("Content-Encoding") == "gzip")
            var compressed: [UInt8] = []
            // The first event is readable on its own (flushed), before the stream ends.
            let first = try #require(try await client.readChunk())
            compressed += first
            while let chunk = try await client.readChunk() { compressed += chunk }
            let text = String(decoding: try Gzip.decompress(compressed, maxOutputBytes: 1 << 16, maxRatio: 1000), as: UTF8.self)
            #expect(text == "data: first\n\ndata: last\n\n")
        }
    }
}
