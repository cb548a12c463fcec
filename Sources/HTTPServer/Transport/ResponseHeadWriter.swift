/// Serialises response heads and chunk framing into a connection's outbound bytes.
///
/// The server owns four fields and drops the responder's copies of them: `Content-Length` and
/// `Transfer-Encoding` (framing follows the body), `Date` (cached per loop) and `Connection`
/// (a responder's `Connection: close` is honoured by closing after the response).
enum ResponseHeadWriter {
    /// How the body that follows the head is delimited.
    enum Framing: Equatable {
        /// `Content-Length: n` (n may be 0).
        case contentLength(Int)
        /// `Transfer-Encoding: chunked`.
        case chunked
        /// Neither: 1xx, 204, 101 and 304 answers, or an HTTP/1.0 stream ended by closing.
        case none
    }

    /// The `Connection` header the server adds.
    enum ConnectionField {
        /// HTTP/1.1 persistent connection: no header needed.
        case persistent
        /// HTTP/1.0 persistent connection: `Connection: keep-alive`.
        case keepAlive
        /// `Connection: close`.
        case close
        /// `Connection: upgrade` (WebSocket 101).
        case upgrade

        var line: StaticString {
            switch self {
            case .persistent: ""
            case .keepAlive: "Connection: keep-alive\r\n"
            case .close: "Connection: close\r\n"
            case .upgrade: "Connection: upgrade\r\n"
            }
        }
    }

    /// Why a response cannot be sent as given (the caller answers 500 instead and logs this).
    static func validationFailure(status: HTTPStatus, headers: HTTPHeaders) -> String? {
        guard (100...999).contains(status.code) else { return "status code \(status.code) is not three digits" }
        for byte in status.reason.utf8 where byte == 13 || byte == 10 || byte == 0 {
            return "status reason contains CR, LF or NUL"
        }
        for field in headers {
            guard !field.name.isEmpty, field.name.utf8.allSatisfy(isTokenByte) else {
                return "header name '\(field.name.prefix(40).debugDescription)' is not a token"
            }
            for byte in field.value.utf8 where byte == 13 || byte == 10 || byte == 0 {
                return "value of header '\(field.name)' contains CR, LF or NUL"
            }
        }
        return nil
    }

    /// Appends the status line and header block, ending with the blank line. Headers must have
    /// passed `validationFailure`.
    static func append(status: HTTPStatus, headers: HTTPHeaders, framing: Framing,
                       connection: ConnectionField, date: [UInt8], serverName: String?,
                       into out: inout [UInt8]) {
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        appendDecimal(status.code, to: &out)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: status.reason.utf8)
        out.append(contentsOf: "\r\n".utf8)
        for field in headers where !isServerManaged(field.name) {
            out.append(contentsOf: field.name.utf8)
            out.append(contentsOf: ": ".utf8)
            out.append(contentsOf: field.value.utf8)
            out.append(contentsOf: "\r\n".utf8)
        }
        switch framing {
        case .contentLength(let length):
            out.append(contentsOf: "Content-Length: ".utf8)
            appendDecimal(length, to: &out)
            out.append(contentsOf: "\r\n".utf8)
        case .chunked:
            out.append(contentsOf: "Transfer-Encoding: chunked\r\n".utf8)
        case .none:
            break
        }
        out.append(contentsOf: "Date: ".utf8)
        out.append(contentsOf: date)
        out.append(contentsOf: "\r\n".utf8)
        if let serverName {
            out.append(contentsOf: "Server: ".utf8)
            out.append(contentsOf: serverName.utf8)
            out.append(contentsOf: "\r\n".utf8)
        }
        appendStatic(connection.line, to: &out)
        out.append(contentsOf: "\r\n".utf8)
    }

    /// One chunk of a chunked body: size in hex, CRLF, data, CRLF. Empty data writes nothing
    /// (an empty chunk would end the body).
    static func appendChunk(_ data: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        guard data.count > 0 else { return }
        appendHex(data.count, to: &out)
        out.append(contentsOf: "\r\n".utf8)
        out.append(contentsOf: data)
        out.append(contentsOf: "\r\n".utf8)
    }

    static let lastChunk: StaticString = "0\r\n\r\n"

    static func appendStatic(_ text: StaticString, to out: inout [UInt8]) {
        guard text.utf8CodeUnitCount > 0 else { return }
        out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        guard value > 0 else {
            out.append(UInt8(ascii: "0"))
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var v = value
        withUnsafeMutableBytes(of: &digits) { buffer in
            while v > 0, count < 20 {
                buffer[19 - count] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
                count += 1
            }
            out.append(contentsOf: buffer[(20 - count)...])
        }
    }

    static func appendHex(_ value: Int, to out: inout [UInt8]) {
        let hex: StaticString = "0123456789abcdef"
        var shift = (Int.bitWidth - 4)
        while shift > 0, (value >> shift) & 0xF == 0 { shift -= 4 }
        while shift >= 0 {
            out.append(hex.utf8Start[(value >> shift) & 0xF])
            shift -= 4
        }
    }

    /// Content-Length, Transfer-Encoding, Date and Connection (case-insensitive).
    static func isServerManaged(_ name: String) -> Bool {
        switch name.utf8.count {
        case 4: HTTPHeaders.namesEqual(name, "Date")
        case 10: HTTPHeaders.namesEqual(name, "Connection")
        case 14: HTTPHeaders.namesEqual(name, "Content-Length")
        case 17: HTTPHeaders.namesEqual(name, "Transfer-Encoding")
        default: false
        }
    }

    /// RFC 9110 tchar.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }
}
