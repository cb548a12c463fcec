/// Makes an event's `data` safe to fan out: secret-looking keys redacted, long strings cut with
/// a marker, arrays and objects bounded, deep nesting flattened. Lists and bounds are config
/// data. Values that need no change are returned as they are (no copy, no allocation).
public struct EventSanitizer: Sendable {
    public struct Configuration: Sendable {
        /// A key whose lowercased form contains any of these is redacted (value and all).
        public var redactKeys: [String]
        /// Strings longer than this (UTF-8 bytes) are cut at a character boundary plus a marker.
        public var maxStringBytes: Int
        /// Arrays keep this many items plus one marker string saying how many were dropped.
        public var maxArrayItems: Int
        /// Objects keep this many members (smallest keys first) plus a `_truncated` member.
        public var maxObjectMembers: Int
        /// Containers nested deeper than this are replaced by a marker string.
        public var maxDepth: Int
        /// A serialized `data` larger than this is replaced by a short summary object.
        public var maxDataBytes: Int

        public init(redactKeys: [String] = ["password", "secret", "token", "api_key", "authorization", "credential"],
                    maxStringBytes: Int = 16384,
                    maxArrayItems: Int = 1000,
                    maxObjectMembers: Int = 1000,
                    maxDepth: Int = 16,
                    maxDataBytes: Int = 262_144) {
            self.redactKeys = redactKeys
            self.maxStringBytes = max(16, maxStringBytes)
            self.maxArrayItems = max(1, maxArrayItems)
            self.maxObjectMembers = max(1, maxObjectMembers)
            self.maxDepth = max(1, maxDepth)
            self.maxDataBytes = max(256, maxDataBytes)
        }
    }

    public static let redactedMarker = "[REDACTED]"
    public static let depthMarker = "[depth limit]"

    public let configuration: Configuration
    /// Lowercased ASCII needles, compared byte-wise against keys without allocating.
    private let needles: [[UInt8]]
    /// Bit n set when some needle starts with byte n (lowercased ASCII letters fold onto it):
    /// most key positions are rejected with one table test.
    private let firstBytes: (UInt64, UInt64)
    private let shortestNeedle: Int

    public init(_ configuration: Configuration = .init()) {
        self.configuration = configuration
        let needles = configuration.redactKeys.compactMap { key -> [UInt8]? in
            let bytes = Array(key.lowercased().utf8)
            return bytes.isEmpty ? nil : bytes
        }
        var low: UInt64 = 0
        var high: UInt64 = 0
        for needle in needles {
            // A needle starting with a non-ASCII byte can still match: allow every high byte.
            if needle[0] >= 0x80 { high = .max; low = .max; continue }
            for byte in [needle[0], Self.upper(needle[0])] {
                if byte < 64 { low |= 1 << UInt64(byte) } else { high |= 1 << UInt64(byte - 64) }
            }
        }
        self.needles = needles
        self.firstBytes = (low, high)
        self.shortestNeedle = needles.map(\.count).min() ?? 0
    }

    /// The sanitised form of `value` (the same value when nothing needed changing).
    public func sanitize(_ value: JSONValue) -> JSONValue {
        sanitizedIfChanged(value) ?? value
    }

    /// The sanitised form of `value`, or nil when it needs no change.
    public func sanitizedIfChanged(_ value: JSONValue) -> JSONValue? {
        needsChange(value, depth: 0) ? rebuilt(value, depth: 0) : nil
    }

    /// True when `key` looks like it names a secret (case-insensitive substring match).
    public func isSecretKey(_ key: String) -> Bool {
        guard shortestNeedle > 0, key.utf8.count >= shortestNeedle else { return false }
        var key = key
        return key.withUTF8 { bytes in
            let lastStart = bytes.count - shortestNeedle
            var start = 0
            while start <= lastStart {
                let byte = bytes[start]
                let candidate = byte < 64 ? firstBytes.0 & (1 << UInt64(byte)) : (byte < 128 ? firstBytes.1 & (1 << UInt64(byte - 64)) : firstBytes.1)
                if candidate != 0 {
                    for needle in needles where Self.matches(bytes, at: start, needle) { return true }
                }
                start += 1
            }
            return false
        }
    }

    private static func matches(_ haystack: UnsafeBufferPointer<UInt8>, at start: Int, _ needle: [UInt8]) -> Bool {
        guard haystack.count - start >= needle.count else { return false }
        for i in 0..<needle.count where lower(haystack[start + i]) != needle[i] { return false }
        return true
    }

    @inline(__always)
    private static func upper(_ byte: UInt8) -> UInt8 {
        byte >= 0x61 && byte <= 0x7A ? byte & ~0x20 : byte
    }

    @inline(__always)
    private static func lower(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }

    // The rules, each in one place: `needsChange` and `writeIfClean` (one walk that also writes)
    // both ask these.

    func stringNeedsChange(_ string: String) -> Bool { string.utf8.count > configuration.maxStringBytes }

    func arrayNeedsChange(count: Int, depth: Int) -> Bool {
        depth >= configuration.maxDepth || count > configuration.maxArrayItems
    }

    func objectNeedsChange(count: Int, depth: Int) -> Bool {
        depth >= configuration.maxDepth || count > configuration.maxObjectMembers
    }

    private func needsChange(_ value: JSONValue, depth: Int) -> Bool {
        switch value {
        case .null, .bool, .integer, .double: return false
        case .string(let s): return stringNeedsChange(s)
        case .array(let items):
            if arrayNeedsChange(count: items.count, depth: depth) { return true }
            for item in items where needsChange(item, depth: depth + 1) { return true }
            return false
        case .object(let members):
            if objectNeedsChange(count: members.count, depth: depth) { return true }
            for (key, member) in members {
                if isSecretKey(key) || needsChange(member, depth: depth + 1) { return true }
            }
            return false
        }
    }

    private func rebuilt(_ value: JSONValue, depth: Int) -> JSONValue {
        switch value {
        case .null, .bool, .integer, .double: return value
        case .string(let s): return .string(truncated(s))
        case .array(let items):
            if depth >= configuration.maxDepth { return .string(Self.depthMarker) }
            let kept = min(items.count, configuration.maxArrayItems)
            var out: [JSONValue] = []
            out.reserveCapacity(kept + 1)
            for item in items.prefix(kept) { out.append(rebuilt(item, depth: depth + 1)) }
            if items.count > kept { out.append(.string("[\(items.count - kept) more items truncated]")) }
            return .array(out)
        case .object(let members):
            if depth >= configuration.maxDepth { return .string(Self.depthMarker) }
            var keys = Array(members.keys)
            var dropped = 0
            if keys.count > configuration.maxObjectMembers {
                keys.sort()
                dropped = keys.count - configuration.maxObjectMembers
                keys.removeLast(dropped)
            }
            var out: [String: JSONValue] = [:]
            out.reserveCapacity(keys.count + 1)
            for key in keys {
                guard let member = members[key] else { continue }
                out[key] = isSecretKey(key) ? .string(Self.redactedMarker) : rebuilt(member, depth: depth + 1)
            }
            if dropped > 0 { out["_truncated"] = .string("\(dropped) more members truncated") }
            return .object(out)
        }
    }

    /// `s` cut to at most `maxStringBytes` UTF-8 bytes on a character boundary, plus a marker.
    private func truncated(_ s: String) -> String {
        let total = s.utf8.count
        guard total > configuration.maxStringBytes else { return s }
        var end = s.utf8.index(s.utf8.startIndex, offsetBy: configuration.maxStringBytes)
        // Step back to a Unicode scalar boundary so the result is still valid UTF-8.
        while end > s.utf8.startIndex, UTF8.isContinuation(s.utf8[end]) { end = s.utf8.index(before: end) }
        let kept = s.utf8.distance(from: s.utf8.startIndex, to: end)
        return String(s.utf8[..<end]).map { $0 + "…[truncated \(total - kept) bytes]" }
            ?? "[truncated \(total) bytes]"
    }
}
