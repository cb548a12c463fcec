@testable import HTTPServer

/// A small seedable generator (SplitMix64), so random splits are the same on every run.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A seed derived from a row's name (FNV-1a), stable across runs and platforms.
    init(name: String) {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        self.init(seed: hash)
    }
}

enum Splits {
    /// Every prefix length from 1 to `count`: the input arriving one byte at a time.
    static func byteByByte(_ count: Int) -> [Int] { count == 0 ? [0] : Array(1...count) }

    /// Between one and five random cut points, sorted, always ending with `count`.
    static func random(_ count: Int, using rng: inout SplitMix64) -> [Int] {
        guard count > 1 else { return [count] }
        let cutCount = Int.random(in: 1...5, using: &rng)
        var cuts = Set<Int>()
        for _ in 0..<cutCount { cuts.insert(Int.random(in: 1..<count, using: &rng)) }
        return cuts.sorted() + [count]
    }

    /// The whole input, byte by byte, and eight seeded random splits.
    static func all(_ count: Int, seedName: String) -> [[Int]] {
        var rng = SplitMix64(name: seedName)
        var result = [[count], byteByByte(count)]
        for _ in 0..<8 { result.append(random(count, using: &rng)) }
        return result
    }
}

/// What a head parse yields, in a comparable form.
struct HeadSummary: Equatable, Sendable, CustomStringConvertible {
    var method: String
    var target: String
    var version: HTTPVersion
    var headers: [String]
    var framing: BodyFraming
    var keepAlive: Bool
    var expectsContinue: Bool

    init(method: String = "GET", target: String = "/", version: HTTPVersion = .http1_1,
         headers: [String], framing: BodyFraming = .none, keepAlive: Bool = true,
         expectsContinue: Bool = false) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.framing = framing
        self.keepAlive = keepAlive
        self.expectsContinue = expectsContinue
    }

    init(_ head: HTTPRequestHead) {
        self.init(method: head.method.rawValue, target: head.target, version: head.version,
                  headers: head.headers.map { "\($0.name): \($0.value)" }, framing: head.framing,
                  keepAlive: head.keepAlive, expectsContinue: head.expectsContinue)
    }

    var description: String {
        "\(method) \(target) \(version) \(headers) \(framing) keepAlive=\(keepAlive) continue=\(expectsContinue)"
    }
}

enum HeadOutcome: Equatable, Sendable, CustomStringConvertible {
    case head(HeadSummary, consumed: Int)
    case failure(status: Int)
    case needsMore

    var description: String {
        switch self {
        case .head(let head, let consumed): "head(\(head), consumed: \(consumed))"
        case .failure(let status): "failure(\(status))"
        case .needsMore: "needsMore"
        }
    }
}

enum HeadFeeder {
    /// Feeds growing prefixes of `bytes` (ending at each of `cuts`) to one parser, as a
    /// connection would, until it returns a head or throws.
    static func outcome(_ bytes: [UInt8], cuts: [Int], parser: inout HTTPHeadParser) -> HeadOutcome {
        for cut in cuts {
            do {
                let result = try bytes.withUnsafeBytes { all in
                    try parser.parse(UnsafeRawBufferPointer(rebasing: all[0..<cut]))
                }
                if let result {
                    guard result.consumed <= cut else { return .failure(status: -1) }  // impossible by contract
                    return .head(HeadSummary(result.head), consumed: result.consumed)
                }
            } catch let error as HTTPParseError {
                return .failure(status: error.status.code)
            } catch {
                return .failure(status: -2)
            }
        }
        return .needsMore
    }

    static func outcome(_ bytes: [UInt8], cuts: [Int], limits: HTTPParserLimits = .init()) -> HeadOutcome {
        var parser = HTTPHeadParser(limits: limits)
        return outcome(bytes, cuts: cuts, parser: &parser)
    }
}

/// The UTF-8 bytes of `text` (test inputs are written as Swift strings with \r\n escapes).
func utf8Bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

extension HTTPHeadParser {
    /// `parse` over bytes held in an array (slice), for tests that do not manage raw buffers.
    mutating func parse(bytes: ArraySlice<UInt8>) throws(HTTPParseError) -> (head: HTTPRequestHead, consumed: Int)? {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(HTTPParseError) in try self.parse(buffer) }
        }
        return try result.get()
    }

    mutating func parse(bytes: [UInt8]) throws(HTTPParseError) -> (head: HTTPRequestHead, consumed: Int)? {
        try parse(bytes: bytes[...])
    }
}
