/// Decodes a chunked request body (RFC 9112 §7.1), chunk extensions ignored (but bounded),
/// trailers parsed (bounded by the same header limits) and kept.
///
/// Chunk data is copied in bulk; only the few framing bytes go through the byte-wise state
/// machine. Everything offered is consumed until the body is complete, so a caller never has
/// to keep partial framing around; bytes after the final CRLF are left alone.
public struct ChunkedBodyDecoder: Sendable {
    private enum State: Sendable {
        case sizeLine
        case sizeLineLF(lastChunk: Bool)
        case data(remaining: Int)
        case dataCR
        case dataLF
        case trailerLine
        case trailerLineLF
        case complete
    }

    private let maxBodyBytes: Int
    private let limits: HTTPParserLimits
    private var state = State.sizeLine
    private var sizeLine = ChunkSizeLineScanner()
    private var payloadBytes = 0
    private var extensionBytes = 0
    private var trailerBytes = 0
    private var trailerLine: [UInt8] = []
    private var failure: HTTPParseError?

    public private(set) var isComplete = false
    public private(set) var trailers = HTTPHeaders()

    public init(maxBodyBytes: Int, limits: HTTPParserLimits = .init()) {
        self.maxBodyBytes = max(0, maxBodyBytes)
        var limits = limits
        limits.maxRequestLineBytes = max(0, limits.maxRequestLineBytes)
        limits.maxHeaderBytes = max(0, limits.maxHeaderBytes)
        limits.maxHeaderCount = max(0, limits.maxHeaderCount)
        self.limits = limits
    }

    /// Consumes what it can of `input`, appending payload bytes to `body`; returns how many
    /// input bytes it used (all of them until the body completes, then none). Body over
    /// `maxBodyBytes`: 413 (as soon as a chunk size says so). Malformed sizes, extensions or
    /// CRLFs: 400. Trailers over the header limits: 431. After an error every call throws it again.
    public mutating func decode(_ input: UnsafeRawBufferPointer, into body: inout [UInt8]) throws(HTTPParseError) -> Int {
        if let failure { throw failure }
        do {
            return try run(input, into: &body)
        } catch {
            failure = error
            throw error
        }
    }

    private mutating func run(_ input: UnsafeRawBufferPointer, into body: inout [UInt8]) throws(HTTPParseError) -> Int {
        var index = 0
        let count = input.count
        while index < count {
            switch state {
            case .sizeLine:
                let byte = input[index]
                index += 1
                let step = try sizeLine.consume(byte, budget: maxBodyBytes - payloadBytes)
                if sizeLine.position != .digits { extensionBytes += 1 }
                guard sizeLine.lineBytes <= limits.maxRequestLineBytes else { throw .badRequest("chunk size line too long") }
                guard extensionBytes <= limits.maxHeaderBytes else { throw .contentTooLarge("chunk extensions too large") }
                if step == .lineEnded { state = .sizeLineLF(lastChunk: sizeLine.size == 0) }

            case .sizeLineLF(let lastChunk):
                guard input[index] == ParserBytes.lf else { throw .badRequest("bare CR after chunk size") }
                index += 1
                state = lastChunk ? .trailerLine : (.data(remaining: sizeLine.size))
                sizeLine = ChunkSizeLineScanner()

            case .data(let remaining):
                let take = min(remaining, count - index)
                body.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[index..<(index + take)]))
                index += take
                payloadBytes += take
                state = take == remaining ? .dataCR : .data(remaining: remaining - take)

            case .dataCR:
                guard input[index] == ParserBytes.cr else { throw .badRequest("chunk data not followed by CRLF") }
                index += 1
                state = .dataLF

            case .dataLF:
                guard input[index] == ParserBytes.lf else { throw .badRequest("chunk data not followed by CRLF") }
                index += 1
                state = .sizeLine

            case .trailerLine:
                let byte = input[index]
                index += 1
                try countTrailerByte()
                if byte == ParserBytes.cr {
                    state = .trailerLineLF
                } else if byte == ParserBytes.lf {
                    throw .badRequest("bare LF in trailer section")
                } else if ParserBytes.isControl(byte) {
                    throw .badRequest("control character in trailer field")
                } else {
                    trailerLine.append(byte)
                }

            case .trailerLineLF:
                guard input[index] == ParserBytes.lf else { throw .badRequest("bare CR in trailer section") }
                index += 1
                try countTrailerByte()
                if trailerLine.isEmpty {
                    state = .complete
                    isComplete = true
                    return index
                }
                try addTrailer()
                state = .trailerLine

            case .complete:
                return index
            }
        }
        return index
    }

    /// The trailer section obeys the head's limits: its bytes (CRLFs included) and line count.
    @inline(__always)
    private mutating func countTrailerByte() throws(HTTPParseError) {
        trailerBytes += 1
        guard trailerBytes <= limits.maxHeaderBytes else { throw .fieldsTooLarge("trailer section too large") }
    }

    private mutating func addTrailer() throws(HTTPParseError) {
        guard trailers.count < limits.maxHeaderCount else { throw .fieldsTooLarge("too many trailer fields") }
        // withUnsafeBytes is not typed-throws; carry the outcome out as a Result.
        let field = trailerLine.withUnsafeBytes { line -> Result<(String, String), HTTPParseError> in
            do throws(HTTPParseError) {
                let (name, value) = try FieldLineParser.split(line, 0..<line.count)
                return .success((ParserBytes.string(line, name), ParserBytes.string(line, value)))
            } catch {
                return .failure(error)
            }
        }
        let (name, value) = try field.get()
        trailers.add(name, value)
        trailerLine.removeAll(keepingCapacity: true)
    }
}
