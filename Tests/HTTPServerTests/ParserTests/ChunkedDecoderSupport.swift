import Testing
@testable import HTTPServer

enum ChunkedOutcome: Equatable, Sendable, CustomStringConvertible {
    case complete(body: String, trailers: [String], consumed: Int)
    case failure(status: Int)
    case needsMore

    var description: String {
        switch self {
        case .complete(let body, let trailers, let consumed): "complete(\(body.debugDescription), \(trailers), consumed: \(consumed))"
        case .failure(let status): "failure(\(status))"
        case .needsMore: "needsMore"
        }
    }
}

/// One chunked-body rule as a row.
struct ChunkedRow: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: [UInt8]
    let maxBodyBytes: Int
    let limits: HTTPParserLimits
    let expected: ChunkedOutcome
    var testDescription: String { name }

    /// `text` is a whole chunked body; `after` (the next request) must be left unconsumed.
    static func accept(_ name: String, _ text: String, after: String = "", maxBodyBytes: Int = 1 << 20,
                       limits: HTTPParserLimits = .init(), body: String, trailers: [String] = []) -> ChunkedRow {
        ChunkedRow(name: name, bytes: utf8Bytes(text + after), maxBodyBytes: maxBodyBytes, limits: limits,
                   expected: .complete(body: body, trailers: trailers, consumed: text.utf8.count))
    }

    static func reject(_ name: String, _ text: String, _ status: Int, maxBodyBytes: Int = 1 << 20,
                       limits: HTTPParserLimits = .init()) -> ChunkedRow {
        ChunkedRow(name: name, bytes: utf8Bytes(text), maxBodyBytes: maxBodyBytes, limits: limits,
                   expected: .failure(status: status))
    }
}

enum ChunkedFeeder {
    /// Plays a connection: the bytes up to each cut arrive, the decoder gets everything not yet
    /// consumed, and consumed bytes are dropped, until the body completes or fails.
    static func outcome(_ bytes: [UInt8], cuts: [Int], maxBodyBytes: Int, limits: HTTPParserLimits) -> ChunkedOutcome {
        var decoder = ChunkedBodyDecoder(maxBodyBytes: maxBodyBytes, limits: limits)
        var body: [UInt8] = []
        var pending: [UInt8] = []
        var delivered = 0
        var consumedTotal = 0
        for cut in cuts {
            pending += bytes[delivered..<cut]
            delivered = cut
            let result = pending.withUnsafeBytes { buffer in
                Result { () throws(HTTPParseError) in try decoder.decode(buffer, into: &body) }
            }
            switch result {
            case .failure(let error):
                return .failure(status: error.status.code)
            case .success(let used):
                guard used <= pending.count else { return .failure(status: -1) }  // impossible by contract
                pending.removeFirst(used)
                consumedTotal += used
            }
            if decoder.isComplete {
                return .complete(body: String(decoding: body, as: UTF8.self),
                                 trailers: decoder.trailers.map { "\($0.name): \($0.value)" }, consumed: consumedTotal)
            }
        }
        return .needsMore
    }

    /// Whole, one byte at a time, split in two at every offset, and seeded random splits.
    static func allSplits(_ count: Int, seedName: String) -> [[Int]] {
        var splits = Splits.all(count, seedName: seedName)
        if count > 1 { for cut in 1..<count { splits.append([cut, count]) } }
        return splits
    }
}
