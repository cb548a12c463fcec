/// Measures how many bytes a JSON object would serialize to (exactly as `JSONValue.serialized()`
/// writes it) without building the bytes, stopping as soon as a limit is passed. It also bounds
/// nesting, so a hostile, deeply nested value cannot exhaust a task's stack.
struct JSONSizeMeter {
    enum Verdict: Equatable {
        case fits(bytes: Int)
        case tooLarge
        case tooDeep
    }

    private let limit: Int
    private let maxNesting: Int
    private var total = 0
    private var verdict: Verdict?

    private init(limit: Int, maxNesting: Int) {
        self.limit = limit
        self.maxNesting = maxNesting
    }

    static func measure(_ object: JSONObject, limit: Int, maxNesting: Int) -> Verdict {
        var meter = JSONSizeMeter(limit: limit, maxNesting: maxNesting)
        meter.measureObject(object, depth: 1)
        return meter.verdict ?? .fits(bytes: meter.total)
    }

    /// Whether `value` serializes to at most `limit` bytes (nesting bounded only to keep the
    /// walk's stack small: values reaching the core were parsed under a depth limit already).
    static func fits(_ value: JSONValue, limit: Int) -> Bool {
        var meter = JSONSizeMeter(limit: limit, maxNesting: 10_000)
        meter.measure(value, depth: 0)
        return meter.verdict == nil
    }

    /// The bytes `value` serializes to when at most `limit`; nil when larger (the walk stops
    /// there). What `fits` decides, with the size: a budget charge needs no second walk.
    static func size(of value: JSONValue, limit: Int) -> Int? {
        var meter = JSONSizeMeter(limit: limit, maxNesting: 10_000)
        meter.measure(value, depth: 0)
        return meter.verdict == nil ? meter.total : nil
    }

    /// The bytes `value` serializes to (values in the core were bounded when they came in).
    static func size(of value: JSONValue) -> Int {
        size(of: value, limit: .max) ?? 0
    }

    /// Adds `count` bytes; false (and the verdict set) once past the limit.
    private mutating func add(_ count: Int) -> Bool {
        guard verdict == nil else { return false }
        total = total &+ count
        if total > limit {
            verdict = .tooLarge
            return false
        }
        return true
    }

    private mutating func measureObject(_ object: JSONObject, depth: Int) {
        guard enter(depth) else { return }
        guard add(object.isEmpty ? 2 : 1 + object.count) else { return } // braces and commas
        for (key, value) in object {
            guard add(Self.stringBytes(key) + 1) else { return } // the colon
            measure(value, depth: depth)
            if verdict != nil { return }
        }
    }

    private mutating func measure(_ value: JSONValue, depth: Int) {
        switch value {
        case .null: _ = add(4)
        case .bool(let flag): _ = add(flag ? 4 : 5)
        case .integer(let number): _ = add(Self.integerBytes(number))
        case .double(let number): _ = add(number.isFinite ? number.description.utf8.count : 4)
        case .string(let text): _ = add(Self.stringBytes(text))
        case .array(let items):
            guard enter(depth + 1) else { return }
            guard add(items.isEmpty ? 2 : 1 + items.count) else { return }
            for item in items {
                measure(item, depth: depth + 1)
                if verdict != nil { return }
            }
        case .object(let members):
            measureObject(members, depth: depth + 1)
        }
    }

    private mutating func enter(_ depth: Int) -> Bool {
        if depth > maxNesting, verdict == nil { verdict = .tooDeep }
        return verdict == nil
    }

    private static func integerBytes(_ number: Int64) -> Int {
        var magnitude = number.magnitude
        var digits = 1
        while magnitude >= 10 {
            magnitude /= 10
            digits += 1
        }
        return number < 0 ? digits + 1 : digits
    }

    /// A string literal's size: quotes plus each byte, escapes counted as the serializer writes them.
    private static func stringBytes(_ text: String) -> Int {
        var text = text
        return text.withUTF8 { utf8 in
            var bytes = utf8.count &+ 2
            for byte in utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), 0x0A, 0x0D, 0x09: bytes &+= 1
                default: bytes &+= 5
                }
            }
            return bytes
        }
    }
}
