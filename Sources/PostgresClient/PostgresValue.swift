/// A statement parameter. Sent in text format, except `bytes`, which goes as binary (no hex
/// encoding on either side); the server infers each parameter's type from the statement, so
/// write a cast (`$1::bigint`) where the context leaves it open.
public enum PostgresValue: Sendable, Hashable {
    case text(String)
    case int(Int64)
    case bytes([UInt8])
    case bool(Bool)
    case null
}

/// The parameters of one query laid out for libpq: every value's bytes in one buffer
/// (NUL-terminated for the text ones), with the pointer, length and format arrays that
/// `PQsendQueryPrepared` takes. One allocation for the bytes, three small arrays.
struct ParameterBuffer: ~Copyable {
    private let storage: UnsafeMutableRawBufferPointer
    private(set) var values: [UnsafePointer<CChar>?]
    private(set) var lengths: [Int32]
    private(set) var formats: [Int32]

    init(_ parameters: [PostgresValue]) {
        var size = 0
        for parameter in parameters { size += Self.encodedCount(parameter) }
        storage = .allocate(byteCount: Swift.max(size, 1), alignment: 1)
        values = []
        lengths = []
        formats = []
        values.reserveCapacity(parameters.count)
        lengths.reserveCapacity(parameters.count)
        formats.reserveCapacity(parameters.count)
        var offset = 0
        for parameter in parameters {
            switch parameter {
            case .null:
                values.append(nil)
                lengths.append(0)
                formats.append(0)
            case .bytes(let bytes):
                bytes.withUnsafeBytes { append($0, offset: &offset, binary: true) }
            case .text(var text):
                text.withUTF8 { append(UnsafeRawBufferPointer($0), offset: &offset, binary: false) }
            case .int(let value):
                var digits = Self.decimal(value)
                withUnsafeBytes(of: &digits.bytes) { append(UnsafeRawBufferPointer(rebasing: $0[digits.start...]), offset: &offset, binary: false) }
            case .bool(let value):
                withUnsafeBytes(of: value ? UInt8(ascii: "t") : UInt8(ascii: "f")) { append($0, offset: &offset, binary: false) }
            }
        }
    }

    deinit { storage.deallocate() }

    private mutating func append(_ bytes: UnsafeRawBufferPointer, offset: inout Int, binary: Bool) {
        let start = storage.baseAddress! + offset
        if let base = bytes.baseAddress { start.copyMemory(from: base, byteCount: bytes.count) }
        offset += bytes.count
        if !binary {
            storage[offset] = 0
            offset += 1
        }
        values.append(UnsafePointer(start.assumingMemoryBound(to: CChar.self)))
        lengths.append(Int32(clamping: bytes.count))
        formats.append(binary ? 1 : 0)
    }

    /// `value` in decimal, right-aligned in 20 bytes from `start` (no String on the way).
    private static func decimal(_ value: Int64) -> (bytes: (UInt64, UInt64, UInt32), start: Int) {
        var bytes: (UInt64, UInt64, UInt32) = (0, 0, 0)
        var start = 20
        withUnsafeMutableBytes(of: &bytes) { buffer in
            var magnitude = value.magnitude
            repeat {
                start -= 1
                buffer[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if value < 0 {
                start -= 1
                buffer[start] = UInt8(ascii: "-")
            }
        }
        return (bytes, start)
    }

    /// Bytes a parameter takes in the buffer (text ones with their terminating NUL).
    private static func encodedCount(_ parameter: PostgresValue) -> Int {
        switch parameter {
        case .null: 0
        case .bytes(let bytes): bytes.count
        case .text(let text): text.utf8.count + 1
        case .int: 21
        case .bool: 2
        }
    }
}
