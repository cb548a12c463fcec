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
                append(bytes, offset: &offset, binary: true)
            case .text(let text):
                append(Array(text.utf8), offset: &offset, binary: false)
            case .int(let value):
                append(Array(String(value).utf8), offset: &offset, binary: false)
            case .bool(let value):
                append(value ? [0x74] : [0x66], offset: &offset, binary: false)
            }
        }
    }

    deinit { storage.deallocate() }

    private mutating func append(_ bytes: [UInt8], offset: inout Int, binary: Bool) {
        let start = storage.baseAddress! + offset
        bytes.withUnsafeBytes { source in
            if let base = source.baseAddress { start.copyMemory(from: base, byteCount: source.count) }
        }
        offset += bytes.count
        if !binary {
            storage[offset] = 0
            offset += 1
        }
        values.append(UnsafePointer(start.assumingMemoryBound(to: CChar.self)))
        lengths.append(Int32(clamping: bytes.count))
        formats.append(binary ? 1 : 0)
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
