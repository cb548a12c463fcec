@testable import HTTPServer

/// Rows whose input is a valid head: the expected fields come from the RFC rule each row names.
enum HeadAcceptRows {
    static let host = "Host: h"

    static let all: [HeadRow] = framing + persistence + targets + methods + fields + limitsAtEdge

    static let framing: [HeadRow] = [
        .accept("minimal GET", "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
                HeadSummary(headers: ["Host: example.com"])),
        .accept("Content-Length body is left unread", "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n", body: "hello",
                HeadSummary(method: "POST", target: "/p", headers: [host, "Content-Length: 5"], framing: .contentLength(5))),
        .accept("identical duplicate Content-Length lines are allowed",
                "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
                HeadSummary(method: "POST", headers: [host, "Content-Length: 5", "Content-Length: 5"],
                            framing: .contentLength(5))),
        .accept("identical Content-Length list is allowed", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5,5\r\n\r\n",
                HeadSummary(method: "POST", headers: [host, "Content-Length: 5, 5,5"], framing: .contentLength(5))),
        .accept("Content-Length zero and leading zeros", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 007\r\n\r\n",
                HeadSummary(method: "POST", headers: [host, "Content-Length: 007"], framing: .contentLength(7))),
        .accept("Content-Length value trimmed of OWS", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \t0 \r\n\r\n",
                HeadSummary(method: "POST", headers: [host, "Content-Length: 0"], framing: .contentLength(0))),
        .accept("chunked framing, chunked body left unread",
                "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", body: "5\r\nhello\r\n0\r\n\r\n",
                HeadSummary(method: "POST", headers: [host, "Transfer-Encoding: chunked"], framing: .chunked)),
        .accept("transfer coding names are case-insensitive, empty list elements ignored",
                "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: , CHUNKED\r\n\r\n",
                HeadSummary(method: "POST", headers: [host, "Transfer-Encoding: , CHUNKED"], framing: .chunked)),
        .accept("framing field names are case-insensitive, kept as sent",
                "PUT /x HTTP/1.1\r\nhOsT: h\r\ncOnTeNt-LeNgTh: 3\r\n\r\n",
                HeadSummary(method: "PUT", target: "/x", headers: ["hOsT: h", "cOnTeNt-LeNgTh: 3"], framing: .contentLength(3))),
    ]

    static let persistence: [HeadRow] = [
        .accept("HTTP/1.0 needs no Host and closes by default", "GET / HTTP/1.0\r\n\r\n",
                HeadSummary(version: .http1_0, headers: [], keepAlive: false)),
        .accept("HTTP/1.0 keeps alive with Connection: keep-alive", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
                HeadSummary(version: .http1_0, headers: ["Connection: Keep-Alive"], keepAlive: true)),
        .accept("HTTP/1.0 close wins over keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
                HeadSummary(version: .http1_0, headers: ["Connection: keep-alive, close"], keepAlive: false)),
        .accept("HTTP/1.1 keeps alive by default", "GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n",
                HeadSummary(headers: [host, "Connection: keep-alive"], keepAlive: true)),
        .accept("HTTP/1.1 Connection: close", "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
                HeadSummary(headers: [host, "Connection: close"], keepAlive: false)),
        .accept("HTTP/1.1 close token anywhere in the list, any case",
                "GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nConnection: x, CLOSE\r\n\r\n",
                HeadSummary(headers: [host, "Connection: Upgrade", "Connection: x, CLOSE"], keepAlive: false)),
        .accept("Expect: 100-continue", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nExpect: 100-Continue\r\n\r\n",
                HeadSummary(method: "POST", headers: [host, "Content-Length: 1", "Expect: 100-Continue"],
                            framing: .contentLength(1), expectsContinue: true)),
        .accept("HTTP/1.0 ignores Expect: 100-continue", "POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n",
                HeadSummary(method: "POST", version: .http1_0, headers: ["Expect: 100-continue"], keepAlive: false)),
        .accept("leading empty lines are skipped and consumed", "\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
                HeadSummary(headers: [host])),
    ]

    static let targets: [HeadRow] = [
        .accept("origin-form target kept exactly as sent", "GET /a/b?x=1&y=%20#f HTTP/1.1\r\nHost: h\r\n\r\n",
                HeadSummary(target: "/a/b?x=1&y=%20#f", headers: [host])),
        .accept("absolute-form reduced, its authority replaces Host",
                "GET http://example.com:8080/a?x=1 HTTP/1.1\r\nHost: other\r\nX: y\r\n\r\n",
                HeadSummary(target: "/a?x=1", headers: ["Host: example.com:8080", "X: y"])),
        .accept("absolute-form without path is /", "GET http://example.com HTTP/1.1\r\nHost: x\r\n\r\n",
                HeadSummary(target: "/", headers: ["Host: example.com"])),
        .accept("absolute-form with query only, scheme any case", "GET HTTPS://h?q=1 HTTP/1.1\r\nHost: x\r\n\r\n",
                HeadSummary(target: "/?q=1", headers: ["Host: h"])),
        .accept("absolute-form on HTTP/1.0 without Host adds Host", "GET http://[::1]:81/a HTTP/1.0\r\n\r\n",
                HeadSummary(target: "/a", version: .http1_0, headers: ["Host: [::1]:81"], keepAlive: false)),
        .accept("asterisk-form with OPTIONS", "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
                HeadSummary(method: "OPTIONS", target: "*", headers: [host])),
        .accept("Host with IPv6 literal and port", "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
                HeadSummary(headers: ["Host: [::1]:8080"])),
        .accept("empty Host is valid", "GET / HTTP/1.1\r\nHost:\r\n\r\n", HeadSummary(headers: ["Host: "])),
    ]

    static let methods: [HeadRow] = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE",
                                     "PURGE", "M-SEARCH", "get", "GETX", "POSTS"].map { method in
        .accept("method \(method)", "\(method) /m HTTP/1.1\r\nHost: h\r\n\r\n",
                HeadSummary(method: method, target: "/m", headers: [host]))
    }

    static let fields: [HeadRow] = [
        .accept("field values trimmed of OWS, inner whitespace kept",
                "GET / HTTP/1.1\r\nHost: h\r\nX-A: \t v \t a \t\r\n\r\n", HeadSummary(headers: [host, "X-A: v \t a"])),
        .accept("empty field value", "GET / HTTP/1.1\r\nHost: h\r\nX-E:\r\nX-F: \r\n\r\n",
                HeadSummary(headers: [host, "X-E: ", "X-F: "])),
        .accept("obs-text in a field value", "GET / HTTP/1.1\r\nHost: h\r\nX-Name: Zoë\r\n\r\n",
                HeadSummary(headers: [host, "X-Name: Zoë"])),
        .accept("every tchar in a field name", "GET / HTTP/1.1\r\nHost: h\r\n!#$%&'*+-.^_`|~09azAZ: v\r\n\r\n",
                HeadSummary(headers: [host, "!#$%&'*+-.^_`|~09azAZ: v"])),
        .accept("value may contain colons and quotes", "GET / HTTP/1.1\r\nHost: h\r\nX: a:b \"c\"\r\n\r\n",
                HeadSummary(headers: [host, "X: a:b \"c\""])),
    ]

    /// Each limit is inclusive: a head exactly at it is accepted.
    static let limitsAtEdge: [HeadRow] = [
        .accept("request line exactly at its limit", "GET /abc HTTP/1.1\r\nHost: h\r\n\r\n",
                limits: .init(maxRequestLineBytes: 17), HeadSummary(target: "/abc", headers: [host])),
        .accept("header block exactly at its limit", "GET / HTTP/1.1\r\nHost: h\r\nA: b\r\n\r\n",
                limits: .init(maxHeaderBytes: 17), HeadSummary(headers: [host, "A: b"])),
        .accept("header count exactly at its limit", "GET / HTTP/1.1\r\nHost: h\r\nA: b\r\n\r\n",
                limits: .init(maxHeaderCount: 2), HeadSummary(headers: [host, "A: b"])),
        .accept("leading empty lines exactly at their bound", "\r\n\r\n\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
                limits: .init(maxRequestLineBytes: 14), HeadSummary(headers: [host])),
    ]
}
