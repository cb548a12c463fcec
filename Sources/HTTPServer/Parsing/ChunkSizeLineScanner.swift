/// Reads a chunk-size line one byte at a time (RFC 9112 §7.1):
/// `chunk-size [ chunk-ext ] CRLF` with
/// `chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ( token / quoted-string ) ] )`.
/// Extensions are validated and dropped. Strict: whitespace is accepted only where the grammar
/// puts BWS, so "5 \r\n" is malformed (a known smuggling vector between lenient parsers).
struct ChunkSizeLineScanner: Sendable {
    enum Position: Sendable {
        case digits, beforeSemicolon, beforeName, name, afterName, beforeValue, tokenValue
        case quotedValue, quotedEscape, afterQuotedValue
    }

    enum Step: Equatable { case more, lineEnded }

    private(set) var position = Position.digits
    private(set) var size = 0
    private(set) var digitCount = 0
    /// Bytes of this line so far (digits and extensions), excluding CRLF.
    private(set) var lineBytes = 0

    /// Takes the next byte of the line (CR ends it). `budget` is the most the chunk may declare.
    @inline(__always)
    mutating func consume(_ byte: UInt8, budget: Int) throws(HTTPParseError) -> Step {
        if position == .digits, let digit = ParserBytes.hexValue(byte) {
            // Checked before shifting, so an absurd size is 413 instead of an overflow trap.
            guard size <= (budget - digit) >> 4 else { throw .contentTooLarge("chunk larger than the body limit") }
            size = size << 4 | digit
            digitCount += 1
            lineBytes += 1
            return .more
        }
        if position == .digits, digitCount == 0 { throw .badRequest("malformed chunk size") }
        if byte == ParserBytes.cr {
            switch position {
            case .digits, .name, .tokenValue, .afterQuotedValue: return .lineEnded
            default: throw .badRequest("malformed chunk extension")
            }
        }
        lineBytes += 1
        position = try next(after: position, byte)
        return .more
    }

    @inline(__always)
    private func next(after position: Position, _ byte: UInt8) throws(HTTPParseError) -> Position {
        let isSpace = ParserBytes.isWhitespace(byte), isToken = ParserBytes.isTokenChar(byte)
        switch position {
        case .digits, .tokenValue, .afterQuotedValue, .beforeSemicolon:
            if byte == ParserBytes.semicolon { return .beforeName }
            if isSpace { return .beforeSemicolon }
            if position == .tokenValue, isToken { return .tokenValue }
        case .beforeName:
            if isSpace { return .beforeName }
            if isToken { return .name }
        case .name, .afterName:
            if position == .name, isToken { return .name }
            if isSpace { return .afterName }
            if byte == ParserBytes.equals { return .beforeValue }
            if byte == ParserBytes.semicolon { return .beforeName }
        case .beforeValue:
            if isSpace { return .beforeValue }
            if byte == ParserBytes.quote { return .quotedValue }
            if isToken { return .tokenValue }
        case .quotedValue:
            if byte == ParserBytes.quote { return .afterQuotedValue }
            if byte == ParserBytes.backslash { return .quotedEscape }
            if !ParserBytes.isControl(byte) { return .quotedValue }  // qdtext: HTAB, SP, VCHAR, obs-text
        case .quotedEscape:
            if !ParserBytes.isControl(byte) { return .quotedValue }
        }
        throw .badRequest("malformed chunk extension")
    }
}
