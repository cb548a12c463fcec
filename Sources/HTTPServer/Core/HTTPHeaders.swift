/// An ordered list of header fields. Names compare case-insensitively (RFC 9110 §5.1); order and
/// duplicates are kept, because some fields (Set-Cookie, repeated Content-Length) depend on them.
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    public typealias Element = (name: String, value: String)
    @usableFromInline var fields: [Element]

    public init() { fields = [] }
    public init(_ fields: [(String, String)]) { self.fields = fields.map { (name: $0.0, value: $0.1) } }
    public init(dictionaryLiteral elements: (String, String)...) { self.init(elements) }

    public var count: Int { fields.count }
    public var isEmpty: Bool { fields.isEmpty }
    public func makeIterator() -> IndexingIterator<[Element]> { fields.makeIterator() }

    /// The first value of `name`, if any.
    public subscript(name: String) -> String? {
        for field in fields where HTTPHeaders.namesEqual(field.name, name) { return field.value }
        return nil
    }
    /// Every value of `name`, in order.
    public func values(_ name: String) -> [String] {
        fields.lazy.filter { HTTPHeaders.namesEqual($0.name, name) }.map(\.value)
    }
    public func contains(_ name: String) -> Bool { self[name] != nil }

    public mutating func add(_ name: String, _ value: String) { fields.append((name: name, value: value)) }
    /// Replaces every value of `name` with one value.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        fields.append((name: name, value: value))
    }
    public mutating func remove(_ name: String) {
        fields.removeAll { HTTPHeaders.namesEqual($0.name, name) }
    }

    /// True when a comma-separated header (Connection, Upgrade, ...) lists `token`, case-insensitively.
    public func listContains(_ name: String, token: String) -> Bool {
        for value in values(name) {
            for part in value.split(separator: ",") {
                if HTTPHeaders.namesEqual(String(part.trimmingASCIIWhitespace()), token) { return true }
            }
        }
        return false
    }

    public var description: String { fields.map { "\($0.name): \($0.value)" }.joined(separator: "\n") }

    /// ASCII case-insensitive comparison without allocating.
    @inlinable
    public static func namesEqual(_ a: String, _ b: String) -> Bool {
        var a = a, b = b
        return a.withUTF8 { ab in
            b.withUTF8 { bb in
                guard ab.count == bb.count else { return false }
                for i in 0..<ab.count where ab[i] != bb[i] {
                    // Bytes may differ only as the two cases of one ASCII letter.
                    let x = ab[i] | 0x20
                    guard x >= 0x61, x <= 0x7A, x == bb[i] | 0x20 else { return false }
                }
                return true
            }
        }
    }
}

extension Substring {
    func trimmingASCIIWhitespace() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return s
    }
}
