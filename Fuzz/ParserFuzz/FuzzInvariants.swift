/// The properties the fuzzer checks on every input. A violation calls `fatalError`, which
/// libFuzzer reports as a crash and saves the input to ./fuzz-artifacts/.
enum FuzzInvariants {
    /// What one parse produced, comparable across feeding strategies.
    enum HeadResult: Equatable {
        case head(method: String, target: String, version: HTTPVersion, headers: [String], framing: BodyFraming,
                  keepAlive: Bool, expectsContinue: Bool, consumed: Int)
        case failure(HTTPParseError)
        case needsMore

        init(_ result: (head: HTTPRequestHead, consumed: Int)) {
            let head = result.head
            self = .head(method: head.method.rawValue, target: head.target, version: head.version,
                         headers: head.headers.map { "\($0.name): \($0.value)" }, framing: head.framing,
                         keepAlive: head.keepAlive, expectsContinue: head.expectsContinue, consumed: result.consumed)
        }
    }

    /// Reads the input as a pipelined connection (heads, then bodies by their framing), checking
    /// that each head's result is identical when its bytes arrive one at a time or in two pieces.
    static func checkPipeline(_ input: UnsafeRawBufferPointer, limits: HTTPParserLimits, maxBody: Int) {
        var parser = HTTPHeadParser(limits: limits)
        var offset = 0
        for _ in 0..<16 {
            let rest = UnsafeRawBufferPointer(rebasing: input[offset...])
            let whole = parseOnce(&parser, rest)
            let incremental = parseByteByByte(rest, limits: limits)
            let split = parseInTwo(rest, limits: limits)
            guard whole == incremental, whole == split else {
                fatalError("feeding changed the result: whole \(whole), byte by byte \(incremental), split \(split)")
            }
            guard case .head(_, let target, _, _, let framing, _, _, let consumed) = whole else { return }
            guard consumed > 0, consumed <= rest.count else { fatalError("consumed \(consumed) of \(rest.count)") }
            guard target.hasPrefix("/") || target == "*" else { fatalError("target \(target)") }
            offset += consumed
            switch framing {
            case .none: break
            case .contentLength(let length): offset += min(length, input.count - offset)
            case .chunked:
                var decoder = ChunkedBodyDecoder(maxBodyBytes: maxBody, limits: limits)
                var body: [UInt8] = []
                guard let used = try? decoder.decode(UnsafeRawBufferPointer(rebasing: input[offset...]), into: &body),
                      decoder.isComplete else { return }
                offset += used
            }
            if offset >= input.count { return }
        }
    }

    static func parseOnce(_ parser: inout HTTPHeadParser, _ buffer: UnsafeRawBufferPointer) -> HeadResult {
        do {
            guard let result = try parser.parse(buffer) else { return .needsMore }
            return HeadResult(result)
        } catch {
            return .failure(error)
        }
    }

    static func parseByteByByte(_ buffer: UnsafeRawBufferPointer, limits: HTTPParserLimits) -> HeadResult {
        var parser = HTTPHeadParser(limits: limits)
        for end in 0...buffer.count {
            let result = parseOnce(&parser, UnsafeRawBufferPointer(rebasing: buffer[..<end]))
            if result != .needsMore { return result }
        }
        return .needsMore
    }

    /// Two pieces, cut at a point derived from the bytes themselves (deterministic per input).
    static func parseInTwo(_ buffer: UnsafeRawBufferPointer, limits: HTTPParserLimits) -> HeadResult {
        var parser = HTTPHeadParser(limits: limits)
        let cut = buffer.count == 0 ? 0 : Int(hash(buffer) % UInt64(buffer.count))
        let first = parseOnce(&parser, UnsafeRawBufferPointer(rebasing: buffer[..<cut]))
        if first != .needsMore { return first }
        return parseOnce(&parser, buffer)
    }

    /// Decodes the input as a chunked body whole, byte by byte and in two pieces; all must agree.
    static func checkChunked(_ input: UnsafeRawBufferPointer, limits: HTTPParserLimits, maxBody: Int) {
        let whole = decode(input, cuts: [input.count], limits: limits, maxBody: maxBody)
        let bytewise = decode(input, cuts: Array(0...input.count), limits: limits, maxBody: maxBody)
        let cut = input.count == 0 ? 0 : Int(hash(input) % UInt64(input.count))
        let split = decode(input, cuts: [cut, input.count], limits: limits, maxBody: maxBody)
        guard whole == bytewise, whole == split else {
            fatalError("chunked feeding changed the result: \(whole) / \(bytewise) / \(split)")
        }
    }

    struct ChunkedResult: Equatable {
        var body: [UInt8]
        var trailers: [String]
        var complete: Bool
        var consumed: Int
        var error: HTTPParseError?
    }

    /// Plays a connection: bytes up to each cut arrive; unconsumed bytes are offered again.
    static func decode(_ input: UnsafeRawBufferPointer, cuts: [Int], limits: HTTPParserLimits, maxBody: Int) -> ChunkedResult {
        var decoder = ChunkedBodyDecoder(maxBodyBytes: maxBody, limits: limits)
        var body: [UInt8] = []
        var consumed = 0
        var error: HTTPParseError?
        for cut in cuts where cut >= consumed {
            do {
                let offered = UnsafeRawBufferPointer(rebasing: input[consumed..<cut])
                let used = try decoder.decode(offered, into: &body)
                guard used <= offered.count else { fatalError("decoder used \(used) of \(offered.count)") }
                consumed += used
            } catch let failure {
                error = failure
                break
            }
            if decoder.isComplete { break }
        }
        guard body.count <= maxBody else { fatalError("body \(body.count) over \(maxBody)") }
        // A throwing call reports no count, so after an error only the error and the payload
        // decoded before it are comparable.
        return ChunkedResult(body: body, trailers: decoder.trailers.map { "\($0.name): \($0.value)" },
                             complete: decoder.isComplete, consumed: error == nil ? consumed : -1, error: error)
    }

    static func hash(_ buffer: UnsafeRawBufferPointer) -> UInt64 {
        var value: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in buffer { value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return value
    }
}
