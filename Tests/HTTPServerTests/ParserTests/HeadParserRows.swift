import Testing
@testable import HTTPServer

/// One contract rule as a row: input bytes and what the parser must make of them.
struct HeadRow: Sendable, CustomTestStringConvertible {
    enum Expected: Sendable {
        case head(HeadSummary, consumed: Int?)
        case status(Int)
    }

    let name: String
    let bytes: [UInt8]
    let limits: HTTPParserLimits
    let expected: Expected

    var testDescription: String { name }

    var expectedOutcome: HeadOutcome {
        switch expected {
        case .head(let head, let consumed): .head(head, consumed: consumed ?? bytes.count)
        case .status(let status): .failure(status: status)
        }
    }

    /// `text` is a complete head; `body` (bytes after it) must be left unconsumed.
    static func accept(_ name: String, _ text: String, body: String = "", limits: HTTPParserLimits = .init(),
                       _ head: HeadSummary) -> HeadRow {
        HeadRow(name: name, bytes: utf8Bytes(text + body), limits: limits,
                expected: .head(head, consumed: text.utf8.count))
    }

    static func reject(_ name: String, _ text: String, _ status: Int, limits: HTTPParserLimits = .init()) -> HeadRow {
        HeadRow(name: name, bytes: utf8Bytes(text), limits: limits, expected: .status(status))
    }

    static func reject(_ name: String, bytes: [UInt8], _ status: Int, limits: HTTPParserLimits = .init()) -> HeadRow {
        HeadRow(name: name, bytes: bytes, limits: limits, expected: .status(status))
    }
}


