@testable import HTTPServer

/// Rows whose input breaks one rule of the contract, each with the status that rule demands.
enum HeadRejectRows {
    /// A request line and Host, ready for one more field line and the final CRLF.
    static func with(_ fieldLines: String, method: String = "POST", version: String = "HTTP/1.1") -> String {
        "\(method) / \(version)\r\nHost: h\r\n\(fieldLines)\r\n"
    }

    static let all: [HeadRow] = host + contentLength + transferEncoding + fieldSyntax + requestLine
        + versions + lineEndings + targets + limits + expectations

    static let host: [HeadRow] = [
        .reject("HTTP/1.1 without Host", "GET / HTTP/1.1\r\nX: y\r\n\r\n", 400),
        .reject("two Host fields", with("host: h\r\n"), 400),
        .reject("two Host fields on HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", 400),
        .reject("Host with a space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
        .reject("Host with userinfo", "GET / HTTP/1.1\r\nHost: u@h\r\n\r\n", 400),
        .reject("Host with a bad port", "GET / HTTP/1.1\r\nHost: h:80x\r\n\r\n", 400),
        .reject("Host with a path", "GET / HTTP/1.1\r\nHost: h/p\r\n\r\n", 400),
    ]

    static let contentLength: [HeadRow] = [
        .reject("Content-Length and Transfer-Encoding", with("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"), 400),
        .reject("Transfer-Encoding and Content-Length", with("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"), 400),
        .reject("differing duplicate Content-Length", with("Content-Length: 5\r\nContent-Length: 6\r\n"), 400),
        .reject("differing Content-Length list", with("Content-Length: 5, 6\r\n"), 400),
        .reject("Content-Length with plus sign", with("Content-Length: +5\r\n"), 400),
        .reject("Content-Length negative", with("Content-Length: -5\r\n"), 400),
        .reject("Content-Length with inner space", with("Content-Length: 5 5\r\n"), 400),
        .reject("Content-Length with non-digit", with("Content-Length: 5a\r\n"), 400),
        .reject("Content-Length hexadecimal", with("Content-Length: 0x5\r\n"), 400),
        .reject("Content-Length empty", with("Content-Length: \r\n"), 400),
        .reject("Content-Length empty list element", with("Content-Length: 5,,5\r\n"), 400),
        .reject("Content-Length overflow", with("Content-Length: 99999999999999999999\r\n"), 400),
    ]

    static let transferEncoding: [HeadRow] = [
        .reject("final coding not chunked", with("Transfer-Encoding: gzip\r\n"), 400),
        .reject("chunked not last", with("Transfer-Encoding: chunked, gzip\r\n"), 400),
        .reject("chunked not last across lines", with("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n"), 400),
        .reject("chunked twice", with("Transfer-Encoding: chunked, chunked\r\n"), 400),
        .reject("chunked with a parameter", with("Transfer-Encoding: chunked;x=1\r\n"), 400),
        .reject("empty Transfer-Encoding", with("Transfer-Encoding: \r\n"), 400),
        .reject("malformed coding", with("Transfer-Encoding: chu nked\r\n"), 400),
        .reject("unknown coding before chunked", with("Transfer-Encoding: foo, chunked\r\n"), 501),
        .reject("unsupported gzip transfer coding", with("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n"), 501),
        .reject("HTTP/1.0 with Transfer-Encoding", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
    ]

    static let fieldSyntax: [HeadRow] = [
        .reject("obs-fold with space", with("X-A: a\r\n b\r\n"), 400),
        .reject("obs-fold with tab", with("X-A: a\r\n\tb\r\n"), 400),
        .reject("first field line starts with space", "GET / HTTP/1.1\r\n Host: h\r\n\r\n", 400),
        .reject("space between name and colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400),
        .reject("tab between name and colon", with("X-A\t: a\r\n"), 400),
        .reject("invalid token char in field name", with("X(A): a\r\n"), 400),
        .reject("space inside field name", with("X A: a\r\n"), 400),
        .reject("non-ASCII field name", with("Zoë: a\r\n"), 400),
        .reject("empty field name", with(": a\r\n"), 400),
        .reject("field line without colon", with("X-A a\r\n"), 400),
        .reject("NUL in field value", with("X-A: a\0b\r\n"), 400),
        .reject("CTL in field value", with("X-A: a\u{01}b\r\n"), 400),
        .reject("DEL in field value", with("X-A: a\u{7F}b\r\n"), 400),
        .reject("bare CR in field value", with("X-A: a\rb\r\n"), 400),
        .reject("bare LF in field value", with("X-A: a\nb\r\n"), 400),
    ]

    static let requestLine: [HeadRow] = [
        .reject("invalid token char in method", "GE(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        .reject("non-ASCII method", "GÉT / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        .reject("empty method", " / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        .reject("double space after method", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        .reject("double space before version", "GET /  HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        .reject("trailing space", "GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400),
        .reject("tab separator", "GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        .reject("missing version", "GET /\r\nHost: h\r\n\r\n", 400),
        .reject("missing target", "GET HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        .reject("NUL in request line", "GET /\0 HTTP/1.1\r\nHost: h\r\n\r\n", 400),
    ]

    static let versions: [HeadRow] = [
        .reject("HTTP/2.0", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505),
        .reject("HTTP/1.2", "GET / HTTP/1.2\r\nHost: h\r\n\r\n", 505),
        .reject("HTTP/0.9", "GET / HTTP/0.9\r\n\r\n", 505),
        .reject("HTTP/3.0", "GET / HTTP/3.0\r\nHost: h\r\n\r\n", 505),
        .reject("version with two minor digits", "GET / HTTP/1.10\r\nHost: h\r\n\r\n", 400),
        .reject("version without minor", "GET / HTTP/1\r\nHost: h\r\n\r\n", 400),
        .reject("lowercase HTTP-name", "GET / http/1.1\r\nHost: h\r\n\r\n", 400),
        .reject("non-digit version", "GET / HTTP/1.x\r\nHost: h\r\n\r\n", 400),
        .reject("HTTPS name", "GET / HTTPS/1.1\r\nHost: h\r\n\r\n", 400),
    ]

    static let lineEndings: [HeadRow] = [
        .reject("bare LF everywhere", "GET / HTTP/1.1\nHost: h\n\n", 400),
        .reject("bare LF after a field line", "GET / HTTP/1.1\r\nHost: h\n\r\n", 400),
        .reject("bare LF as the final empty line", "GET / HTTP/1.1\r\nHost: h\r\n\n", 400),
        .reject("bare LF before the request line", "\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        .reject("bare CR before the request line", "\r\rGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        .reject("CR CR LF after request line", "GET / HTTP/1.1\r\r\nHost: h\r\n\r\n", 400),
        .reject("too many empty lines before the request line", "\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400,
                limits: .init(maxRequestLineBytes: 5)),
    ]

    static let targets: [HeadRow] = [
        .reject("CTL in target", "GET /a\u{01}b HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        .reject("DEL in target", "GET /a\u{7F}b HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        .reject("non-ASCII in target", "GET /é HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        .reject("space in target", "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        .reject("asterisk-form with GET", "GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        .reject("authority-form with GET", "GET example.com:443 HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        .reject("CONNECT is not implemented", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n", 501),
        .reject("absolute-form with userinfo", "GET http://u:p@h/ HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        .reject("absolute-form with empty host", "GET http:///a HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        .reject("absolute-form with another scheme", "GET ftp://h/a HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        .reject("absolute-form without slashes", "GET http:/a HTTP/1.1\r\nHost: h\r\n\r\n", 400),
    ]

    static let limits: [HeadRow] = [
        .reject("request line over its limit", "GET /abcd HTTP/1.1\r\nHost: h\r\n\r\n", 414,
                limits: .init(maxRequestLineBytes: 17)),
        .reject("request line over its limit before its CRLF", "GET /" + String(repeating: "a", count: 40), 414,
                limits: .init(maxRequestLineBytes: 32)),
        .reject("header block over its limit", "GET / HTTP/1.1\r\nHost: h\r\nA: bc\r\n\r\n", 431,
                limits: .init(maxHeaderBytes: 17)),
        .reject("header block over its limit before it ends",
                "GET / HTTP/1.1\r\nHost: h\r\nA: " + String(repeating: "b", count: 40), 431,
                limits: .init(maxHeaderBytes: 32)),
        .reject("header block over its limit in many short lines",
                "GET / HTTP/1.1\r\nHost: h\r\n" + String(repeating: "A: b\r\n", count: 8), 431,
                limits: .init(maxHeaderBytes: 40)),
        .reject("header count over its limit", "GET / HTTP/1.1\r\nHost: h\r\nA: b\r\nC: d\r\n\r\n", 431,
                limits: .init(maxHeaderCount: 2)),
    ]

    static let expectations: [HeadRow] = [
        .reject("Expect other than 100-continue", with("Expect: 200-ok\r\n"), 417),
        .reject("Expect list with another expectation", with("Expect: 100-continue, foo\r\n"), 417),
        .reject("empty Expect", with("Expect:\r\n"), 417),
    ]
}
