/// An incremental, strict (RFC 9112) parser of request heads.
///
/// It scans the connection's unread bytes line by line, eight bytes at a time, and turns each
/// line into strings only once the line is complete. Between calls it remembers where the
/// current line starts and how far it has been scanned, so a head that arrives a byte at a time
/// costs linear work overall. Every limit is enforced while scanning, before the bytes that
/// break it have all arrived.
public struct HTTPHeadParser: Sendable {
    private enum Phase: Sendable { case leadingEmptyLines, requestLine, headerLines }

    private let limits: HTTPParserLimits
    private var phase = Phase.leadingEmptyLines
    /// Offset of the first byte of the line being read.
    private var lineStart = 0
    /// Bytes from `lineStart` up to here hold no control byte; scanning resumes here.
    private var scanPosition = 0
    /// Offset of the first header line (just after the request line's CRLF).
    private var headerStart = 0
    private var requestLine: ParsedRequestLine?
    private var headers = HTTPHeaders()
    private var semantics = HeadFieldSemantics()
    /// Total bytes handed to the line scanner over this parser's life (tests check linearity).
    private(set) var bytesScanned = 0

    public init(limits: HTTPParserLimits = .init()) {
        // Negative limits make no sense; treat them as zero rather than trapping on arithmetic.
        var limits = limits
        limits.maxRequestLineBytes = max(0, limits.maxRequestLineBytes)
        limits.maxHeaderBytes = max(0, limits.maxHeaderBytes)
        limits.maxHeaderCount = max(0, limits.maxHeaderCount)
        self.limits = limits
    }

    /// Looks for one complete request head at the start of `buffer` (the connection's unread
    /// bytes). nil: more bytes are needed (the parser remembers how far it scanned, so calling
    /// again with the same buffer grown is linear overall, never quadratic). Otherwise the head
    /// and how many bytes of `buffer` it used, leading empty lines included (body bytes after it
    /// are left alone). Throws as soon as a violation is detectable. After a head is returned
    /// (or an error thrown) the parser is ready for the next request without a reset.
    public mutating func parse(_ buffer: UnsafeRawBufferPointer)
        throws(HTTPParseError) -> (head: HTTPRequestHead, consumed: Int)? {
        // A buffer shorter than what was already scanned breaks the calling contract; start over
        // on it rather than read past its end.
        if buffer.count < scanPosition { reset() }
        do {
            let result = try advance(buffer)
            if result != nil { reset() }
            return result
        } catch {
            reset()
            throw error
        }
    }

    /// Forgets any partly read head.
    public mutating func reset() {
        phase = .leadingEmptyLines
        lineStart = 0
        scanPosition = 0
        headerStart = 0
        requestLine = nil
        headers = HTTPHeaders()
        semantics = HeadFieldSemantics()
    }

    private mutating func advance(_ buffer: UnsafeRawBufferPointer)
        throws(HTTPParseError) -> (head: HTTPRequestHead, consumed: Int)? {
        while true {
            switch phase {
            case .leadingEmptyLines:
                // RFC 9112 §2.2: ignore empty lines before a request line (bounded, CRLF only).
                guard scanPosition < buffer.count else { return nil }
                let byte = buffer[scanPosition]
                if byte == ParserBytes.lf { throw .badRequest("bare LF line ending") }
                if byte != ParserBytes.cr {
                    lineStart = scanPosition
                    phase = .requestLine
                    continue
                }
                guard scanPosition + 1 < buffer.count else { return nil }
                guard buffer[scanPosition + 1] == ParserBytes.lf else { throw .badRequest("bare CR") }
                scanPosition += 2
                if scanPosition > limits.maxRequestLineBytes {
                    throw .badRequest("too many empty lines before the request line")
                }

            case .requestLine:
                let lastCR = ParserBytes.saturatingAdd(lineStart, limits.maxRequestLineBytes)
                guard let lineEnd = try findLineEnd(buffer, lastAllowedCR: lastCR,
                                                    overLimit: .uriTooLong("request line too long")) else { return nil }
                requestLine = try RequestLineParser.parse(buffer, lineStart..<lineEnd)
                startLine(at: lineEnd + 2)
                headerStart = lineStart
                phase = .headerLines

            case .headerLines:
                // The whole block, each line's CRLF and the final empty line included, must fit:
                // a field line's CR needs room for its LF and the final CRLF, the empty line's for its LF.
                guard lineStart < buffer.count else { return nil }
                let room = buffer[lineStart] == ParserBytes.cr ? 2 : 4
                let lastCR = ParserBytes.saturatingAdd(headerStart, limits.maxHeaderBytes) - room
                guard let lineEnd = try findLineEnd(buffer, lastAllowedCR: lastCR,
                                                    overLimit: .fieldsTooLarge("header block too large")) else { return nil }
                if lineEnd == lineStart { return (try finishHead(), lineEnd + 2) }
                try addField(buffer, lineStart..<lineEnd)
                startLine(at: lineEnd + 2)
            }
        }
    }

    @inline(__always)
    private mutating func startLine(at offset: Int) {
        lineStart = offset
        scanPosition = offset
    }

    /// The offset of the CR that ends the current line, or nil when it has not arrived yet.
    /// Scans only bytes not scanned before, and never past `lastAllowedCR`: a line still open
    /// there is over its limit whatever comes next.
    @inline(__always)
    private mutating func findLineEnd(_ buffer: UnsafeRawBufferPointer, lastAllowedCR: Int,
                                      overLimit: @autoclosure () -> HTTPParseError) throws(HTTPParseError) -> Int? {
        let count = buffer.count
        guard lastAllowedCR >= scanPosition else { throw overLimit() }
        let scanEnd = lastAllowedCR >= count ? count : lastAllowedCR + 1
        let found = ParserBytes.firstControl(in: buffer, from: scanPosition, to: scanEnd)
        bytesScanned &+= found - scanPosition
        scanPosition = found
        guard found < scanEnd else {
            if scanEnd > lastAllowedCR { throw overLimit() }
            return nil
        }
        switch buffer[found] {
        case ParserBytes.cr:
            guard found + 1 < count else { return nil }  // wait for the LF; rescans one byte only
            guard buffer[found + 1] == ParserBytes.lf else { throw .badRequest("bare CR") }
            return found
        case ParserBytes.lf:
            throw .badRequest("bare LF line ending")
        default:
            throw .badRequest("control character in request head")
        }
    }

    private mutating func addField(_ buffer: UnsafeRawBufferPointer, _ line: Range<Int>) throws(HTTPParseError) {
        guard headers.count < limits.maxHeaderCount else { throw .fieldsTooLarge("too many header fields") }
        let (name, value) = try FieldLineParser.split(buffer, line)
        if let field = HeadFieldSemantics.field(named: buffer, name) {
            try semantics.observe(field, value: value, in: buffer, version: requestLine?.version ?? .http1_1)
        }
        if headers.isEmpty { headers.fields.reserveCapacity(16) }
        headers.add(ParserBytes.string(buffer, name), ParserBytes.string(buffer, value))
    }

    private mutating func finishHead() throws(HTTPParseError) -> HTTPRequestHead {
        guard let requestLine else { throw .badRequest("missing request line") }  // unreachable by construction
        let (framing, keepAlive, expectsContinue) = try semantics.finish(version: requestLine.version)
        if let authority = requestLine.absoluteAuthority {
            // RFC 9112 §3.2.2: with an absolute-form target, its authority is the host.
            if let index = headers.fields.firstIndex(where: { HTTPHeaders.namesEqual($0.name, "Host") }) {
                headers.fields[index].value = authority
            } else {
                headers.add("Host", authority)
            }
        }
        return HTTPRequestHead(method: requestLine.method, target: requestLine.target,
                               version: requestLine.version, headers: headers, framing: framing,
                               keepAlive: keepAlive, expectsContinue: expectsContinue)
    }
}
