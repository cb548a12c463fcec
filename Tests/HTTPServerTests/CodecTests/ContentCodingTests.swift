import Testing
@testable import HTTPServer

@Suite("Content-Encoding negotiation")
struct ContentCodingTests {
    @Test("Accept-Encoding table", arguments: [
        (nil, false), ("", false), ("gzip", true), ("GZip", true), ("x-gzip", true),
        ("deflate, gzip;q=1.0, *;q=0.5", true), ("br;q=1.0, gzip;q=0.8", true),
        ("gzip;q=0", false), ("gzip;q=0.0", false), ("gzip;q=0.000", false), ("gzip;q=0.001", true),
        ("gzip ; q = 0.5", true), ("  gzip  ;  Q=0 ", false), ("*", true), ("*;q=0", false),
        ("*, gzip;q=0", false), ("gzip;q=0, *", false), ("identity;q=0", false), ("identity;q=0, *", true),
        ("identity;q=0, gzip", true), ("br, deflate", false), ("identity", false),
        ("gzip;q=2", false), ("gzip;q=1.5", false), ("gzip;q=0.5000", false), ("gzip;q=abc", false),
        ("gzip;q=", false), ("gzip;q", false), ("gzip;level=1", true), (",,gzip,,", true),
        ("gzip;q=1.000", true), ("gzip;q=1.001", false), ("compress, gzipx", false),
    ] as [(String?, Bool)])
    func acceptsGzip(header: String?, expected: Bool) {
        #expect(ContentCoding.acceptsGzip(header) == expected)
    }

    @Test("compressible media types", arguments: [
        ("text/html; charset=utf-8", true), ("text/plain", true), ("TEXT/CSS", true), ("application/json", true),
        ("application/problem+json", true), ("application/vnd.api+json", true), ("application/xml", true),
        ("application/atom+xml", true), ("image/svg+xml", true), ("application/javascript", true),
        ("application/x-ndjson", true), ("text/event-stream", false), ("image/png", false),
        ("application/octet-stream", false), ("application/gzip", false), ("video/mp4", false),
        ("text/", false), ("", false), ("application/json ; charset=utf-8", true),
    ] as [(String, Bool)])
    func compressible(type: String, expected: Bool) {
        #expect(ContentCoding.isCompressible(contentType: type) == expected)
    }

    @Test("event streams only when asked; nil is not compressible")
    func eventStream() {
        #expect(ContentCoding.isCompressible(contentType: "text/event-stream", includeEventStream: true))
        #expect(!ContentCoding.isCompressible(contentType: nil))
    }
}
