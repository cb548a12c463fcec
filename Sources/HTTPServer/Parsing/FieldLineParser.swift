/// Splits one field line (RFC 9112 §5: `field-name ":" OWS field-value OWS`), used for header
/// lines and chunked trailers alike. The line comes without its CRLF and already known to hold
/// no control byte but HTAB (the line scanners reject those as the bytes arrive).
enum FieldLineParser {
    /// The name (a non-empty token) and the value trimmed of OWS, as ranges of `buffer`.
    @inline(__always)
    static func split(_ buffer: UnsafeRawBufferPointer, _ line: Range<Int>)
        throws(HTTPParseError) -> (name: Range<Int>, value: Range<Int>) {
        let start = line.lowerBound
        // A line that starts with whitespace continues the previous one (obs-fold, RFC 9112 §5.2);
        // we reject it rather than guess how another hop would join it.
        if ParserBytes.isWhitespace(buffer[start]) { throw .badRequest("obsolete line folding") }
        var index = start
        while index < line.upperBound, ParserBytes.isTokenChar(buffer[index]) { index += 1 }
        guard index < line.upperBound else { throw .badRequest("field line without a colon") }
        let stop = buffer[index]
        if stop != ParserBytes.colon {
            // RFC 9112 §5.1: whitespace between name and colon must be rejected (smuggling vector).
            throw ParserBytes.isWhitespace(stop)
                ? .badRequest("whitespace between field name and colon")
                : .badRequest("invalid character in field name")
        }
        guard index > start else { throw .badRequest("empty field name") }
        return (start..<index, ParserBytes.trimmingWhitespace(buffer, (index + 1)..<line.upperBound))
    }
}
