/// The fields that decide how a request is framed and handled (Host, Content-Length,
/// Transfer-Encoding, Connection, Expect), gathered line by line as the head arrives, then
/// checked as a whole when it ends. Works on bytes; allocates nothing.
struct HeadFieldSemantics: Sendable {
    private(set) var hostCount = 0
    private var contentLength: Int?
    private var sawTransferEncoding = false
    private var lastCodingIsChunked = false
    private var chunkedCount = 0
    private var sawOtherCoding = false
    private var connectionClose = false
    private var connectionKeepAlive = false
    private var expectsContinue = false

    /// Which field a name is, if it matters for framing; names compare case-insensitively.
    enum Field { case host, contentLength, transferEncoding, connection, expect }

    @inline(__always)
    static func field(named buffer: UnsafeRawBufferPointer, _ name: Range<Int>) -> Field? {
        switch name.count {
        case 4: return ParserBytes.equalsIgnoringCase(buffer, name, "host") ? .host : nil
        case 6: return ParserBytes.equalsIgnoringCase(buffer, name, "expect") ? .expect : nil
        case 10: return ParserBytes.equalsIgnoringCase(buffer, name, "connection") ? .connection : nil
        case 14: return ParserBytes.equalsIgnoringCase(buffer, name, "content-length") ? .contentLength : nil
        case 17: return ParserBytes.equalsIgnoringCase(buffer, name, "transfer-encoding") ? .transferEncoding : nil
        default: return nil
        }
    }

    /// Records one field line. Throws at once for what one line can already tell.
    mutating func observe(_ field: Field, value: Range<Int>, in buffer: UnsafeRawBufferPointer,
                          version: HTTPVersion) throws(HTTPParseError) {
        switch field {
        case .host:
            hostCount += 1
            guard hostCount == 1 else { throw .badRequest("more than one Host field") }
            guard RequestTargetParser.isValidAuthority(buffer, value, allowEmpty: true) else {
                throw .badRequest("invalid Host field")
            }
        case .contentLength:
            try observeContentLength(value, in: buffer)
        case .transferEncoding:
            // RFC 9112 §6.1: HTTP/1.0 has no transfer codings; the framing would be unreliable.
            guard version != .http1_0 else { throw .badRequest("Transfer-Encoding in an HTTP/1.0 request") }
            sawTransferEncoding = true
            try observeCodings(value, in: buffer)
        case .connection:
            ParserBytes.forEachListElement(buffer, value) { element in
                if ParserBytes.equalsIgnoringCase(buffer, element, "close") { connectionClose = true }
                if ParserBytes.equalsIgnoringCase(buffer, element, "keep-alive") { connectionKeepAlive = true }
            }
        case .expect:
            try ParserBytes.forEachListElement(buffer, value) { (element) throws(HTTPParseError) in
                guard ParserBytes.equalsIgnoringCase(buffer, element, "100-continue") else {
                    throw .expectationFailed("unsupported expectation")
                }
            }
            expectsContinue = true
        }
        // RFC 9112 §6.3: both framings at once is a smuggling attempt.
        if contentLength != nil, sawTransferEncoding {
            throw .badRequest("both Content-Length and Transfer-Encoding")
        }
    }

    /// `1*DIGIT`, possibly repeated as an identical list ("5, 5") or over several lines.
    private mutating func observeContentLength(_ value: Range<Int>, in buffer: UnsafeRawBufferPointer)
        throws(HTTPParseError) {
        var seen = contentLength
        try ParserBytes.forEachListElement(buffer, value) { (element) throws(HTTPParseError) in
            guard !element.isEmpty else { throw .badRequest("malformed Content-Length") }
            var length = 0
            for index in element {
                let byte = buffer[index]
                guard ParserBytes.isDigit(byte) else { throw .badRequest("malformed Content-Length") }
                let (times10, overflow1) = length.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times10.addingReportingOverflow(Int(byte &- 0x30))
                guard !overflow1, !overflow2 else { throw .badRequest("Content-Length overflows") }
                length = sum
            }
            if let earlier = seen, earlier != length { throw .badRequest("differing Content-Length values") }
            seen = length
        }
        contentLength = seen
    }

    /// Transfer codings in order, across lines; judged as a whole in `finish`.
    private mutating func observeCodings(_ value: Range<Int>, in buffer: UnsafeRawBufferPointer)
        throws(HTTPParseError) {
        try ParserBytes.forEachListElement(buffer, value) { (element) throws(HTTPParseError) in
            guard !element.isEmpty else { return }  // RFC 9110 §5.6.1: empty list elements are ignored
            var nameEnd = element.lowerBound
            while nameEnd < element.upperBound, ParserBytes.isTokenChar(buffer[nameEnd]) { nameEnd += 1 }
            guard nameEnd > element.lowerBound else { throw .badRequest("malformed Transfer-Encoding") }
            let parameters = ParserBytes.trimmingWhitespace(buffer, nameEnd..<element.upperBound)
            guard parameters.isEmpty || buffer[parameters.lowerBound] == ParserBytes.semicolon else {
                throw .badRequest("malformed Transfer-Encoding")
            }
            if ParserBytes.equalsIgnoringCase(buffer, element.lowerBound..<nameEnd, "chunked") {
                guard parameters.isEmpty else { throw .badRequest("chunked takes no parameters") }
                chunkedCount += 1
                lastCodingIsChunked = true
            } else {
                sawOtherCoding = true
                lastCodingIsChunked = false
            }
        }
    }

    /// Judges the complete head: Host presence, transfer codings, framing and persistence.
    func finish(version: HTTPVersion) throws(HTTPParseError)
        -> (framing: BodyFraming, keepAlive: Bool, expectsContinue: Bool) {
        if version == .http1_1, hostCount == 0 { throw .badRequest("missing Host field") }
        let framing: BodyFraming
        if sawTransferEncoding {
            // RFC 9112 §6.3: without chunked last the body length is unknowable.
            guard lastCodingIsChunked else { throw .badRequest("final transfer coding is not chunked") }
            guard chunkedCount == 1 else { throw .badRequest("chunked applied more than once") }
            guard !sawOtherCoding else { throw .notImplemented("unsupported transfer coding") }
            framing = .chunked
        } else if let contentLength {
            framing = .contentLength(contentLength)
        } else {
            framing = .none
        }
        let keepAlive = version == .http1_1 ? !connectionClose : connectionKeepAlive && !connectionClose
        // RFC 9110 §10.1.1: a 100-continue expectation in an HTTP/1.0 request must be ignored.
        return (framing, keepAlive, expectsContinue && version == .http1_1)
    }
}
