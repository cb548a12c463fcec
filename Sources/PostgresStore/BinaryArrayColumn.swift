import PostgresClient

/// One column of a batch as a one-dimensional PostgreSQL array in the binary wire format
/// (`array_recv`): sent as a `.bytes` parameter into a `$n::text[]` or `$n::bigint[]` slot, so
/// neither side quotes, escapes or parses the values (event bodies are JSON full of quotes).
///
/// Layout, integers big-endian: dimensions (1), has-nulls flag (ignored by the server), element
/// type OID, the dimension's length and lower bound (1); then per element its byte length (-1
/// for NULL) and its bytes. The server checks the element OID against the slot's type and
/// validates text as UTF-8.
struct BinaryArrayColumn {
    enum Element: Int32 {
        case int8 = 20
        case text = 25
    }

    private(set) var bytes: [UInt8]

    /// An array of `count` elements (exactly that many must be appended); `capacity` is a guess
    /// at the elements' total bytes.
    init(_ element: Element, count: Int, capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(20 + count * 4 + capacity)
        append32(1)
        append32(0)
        append32(element.rawValue)
        append32(Int32(clamping: count))
        append32(1)
    }

    mutating func appendNull() {
        append32(-1)
    }

    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            append32(Int32(clamping: utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func append(_ text: String?) {
        if let text { append(text) } else { appendNull() }
    }

    /// Text already encoded as UTF-8 (an envelope's body).
    mutating func append(utf8: [UInt8]) {
        append32(Int32(clamping: utf8.count))
        bytes.append(contentsOf: utf8)
    }

    mutating func append(_ value: Int64) {
        append32(8)
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ value: Int64?) {
        if let value { append(value) } else { appendNull() }
    }

    var parameter: PostgresValue { .bytes(bytes) }

    private mutating func append32(_ value: Int32) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
}
