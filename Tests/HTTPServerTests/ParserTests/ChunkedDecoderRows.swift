@testable import HTTPServer

/// Chunked-body rules (RFC 9112 §7.1) as rows.
enum ChunkedRows {
    static let all: [ChunkedRow] = accepted + malformed + limits

    static let accepted: [ChunkedRow] = [
        .accept("one chunk", "5\r\nhello\r\n0\r\n\r\n", body: "hello"),
        .accept("empty body", "0\r\n\r\n", body: ""),
        .accept("several chunks, hex sizes in either case",
                "3\r\nabc\r\nA\r\n0123456789\r\na\r\nABCDEFGHIJ\r\n0\r\n\r\n", body: "abc0123456789ABCDEFGHIJ"),
        .accept("leading zeros in sizes", "0005\r\nhello\r\n000\r\n\r\n", body: "hello"),
        .accept("CRLF bytes inside chunk data are data", "4\r\n\r\n\r\n\r\n0\r\n\r\n", body: "\r\n\r\n"),
        .accept("chunk extensions ignored",
                "5;name=value\r\nhello\r\n3 ; a ; b = \"q \\\" x;\" ;c=tok\r\nabc\r\n1\t;flag\r\n!\r\n0;last=\"\"\r\n\r\n",
                body: "helloabc!"),
        .accept("trailers parsed and kept", "5\r\nhello\r\n0\r\nX-Checksum: abc\r\nX-Other:\t v w \r\n\r\n",
                body: "hello", trailers: ["X-Checksum: abc", "X-Other: v w"]),
        .accept("bytes after the body are left alone", "2\r\nhi\r\n0\r\n\r\n", after: "GET / HTTP/1.1\r\n\r\n",
                body: "hi"),
        .accept("body exactly at its limit", "5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n", maxBodyBytes: 8, body: "helloabc"),
        .accept("trailers exactly at their limits", "0\r\nA: b\r\nC: d\r\n\r\n", limits: .init(maxHeaderBytes: 14,
                maxHeaderCount: 2), body: "", trailers: ["A: b", "C: d"]),
    ]

    static let malformed: [ChunkedRow] = [
        .reject("no size digits", "\r\nhello\r\n0\r\n\r\n", 400),
        .reject("extension without size", ";a\r\n", 400),
        .reject("non-hex size", "x\r\n", 400),
        .reject("negative size", "-1\r\n", 400),
        .reject("signed size", "+1\r\nh\r\n0\r\n\r\n", 400),
        .reject("0x prefix", "0x5\r\nhello\r\n0\r\n\r\n", 400),
        .reject("space after size without extension", "5 \r\nhello\r\n0\r\n\r\n", 400),
        .reject("data longer than its size", "5\r\nhelloX\r\n0\r\n\r\n", 400),
        .reject("data not followed by CR", "5\r\nhello0\r\n\r\n", 400),
        .reject("data followed by another byte and LF", "5\r\nhelloX\n0\r\n\r\n", 400),
        .reject("data followed by CR and another byte", "5\r\nhello\rX0\r\n\r\n", 400),
        .reject("bare LF after size", "5\nhello\r\n0\r\n\r\n", 400),
        .reject("bare CR after size", "5\rhello\r\n0\r\n\r\n", 400),
        .reject("bare LF after data", "5\r\nhello\n0\r\n\r\n", 400),
        .reject("extension without name", "5;=a\r\nhello\r\n0\r\n\r\n", 400),
        .reject("extension without value", "5;a=\r\nhello\r\n0\r\n\r\n", 400),
        .reject("empty extension", "5;\r\nhello\r\n0\r\n\r\n", 400),
        .reject("space inside extension", "5;a b\r\nhello\r\n0\r\n\r\n", 400),
        .reject("whitespace before CRLF after extension", "5;a \r\nhello\r\n0\r\n\r\n", 400),
        .reject("control character in extension", "5;a\u{01}\r\nhello\r\n0\r\n\r\n", 400),
        .reject("unterminated quoted extension value", "5;a=\"x\r\nhello\r\n0\r\n\r\n", 400),
        .reject("bare LF in extension", "5;a\nhello\r\n0\r\n\r\n", 400),
        .reject("trailer obs-fold", "0\r\nA: b\r\n c\r\n\r\n", 400),
        .reject("trailer whitespace before colon", "0\r\nA : b\r\n\r\n", 400),
        .reject("trailer without colon", "0\r\nA b\r\n\r\n", 400),
        .reject("bare LF in trailer", "0\r\nA: b\n\r\n", 400),
        .reject("bare CR in trailer", "0\r\nA: b\rc\r\n\r\n", 400),
        .reject("NUL in trailer", "0\r\nA: b\0\r\n\r\n", 400),
        .reject("bare LF as final line", "0\r\n\n", 400),
    ]

    static let limits: [ChunkedRow] = [
        .reject("body over its limit across chunks", "5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n", 413, maxBodyBytes: 8),
        .reject("one chunk declared over the limit, before its data", "9\r\n", 413, maxBodyBytes: 8),
        // Fuzz finding (fuzz-artifacts/crash-a21d772b..., a harness bug, kept as a rule row): the
        // second chunk's size alone passes the remaining budget, with its extension still to come.
        .reject("later chunk declared over the remaining budget", "5\r\nhello\r\n1a;q=\"\\\"x\"\r\nabc", 413,
                maxBodyBytes: 16),
        .reject("absurd chunk size", "FFFFFFFFFFFFFFFFFFFFFFFF\r\n", 413),
        .reject("chunk size line over its bound", "000000000000000000000001\r\nx\r\n0\r\n\r\n", 400,
                limits: .init(maxRequestLineBytes: 16)),
        .reject("chunk extensions over their total bound",
                "1;aaaaaaaaaa\r\nx\r\n1;bbbbbbbbbb\r\ny\r\n0\r\n\r\n", 413, limits: .init(maxHeaderBytes: 16)),
        .reject("trailer section over its limit", "0\r\nA: b\r\nC: de\r\n\r\n", 431,
                limits: .init(maxHeaderBytes: 14)),
        .reject("trailer section over its limit before it ends", "0\r\nA: " + String(repeating: "b", count: 40), 431,
                limits: .init(maxHeaderBytes: 32)),
        .reject("too many trailer fields", "0\r\nA: b\r\nC: d\r\nE: f\r\n\r\n", 431,
                limits: .init(maxHeaderCount: 2)),
    ]
}
