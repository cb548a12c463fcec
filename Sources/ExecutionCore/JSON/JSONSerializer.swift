/// How a JSON writer orders an object's members.
public enum JSONMemberOrder: Sendable {
    /// Sorted by key, so equal values give equal bytes (answers, documents, size checks).
    case sorted
    /// The dictionary's own order: no sorting and no allocation for it (event envelopes, written
    /// once per publish and needing no canonical form).
    case asStored
}

extension JSONValue {
    /// Compact UTF-8 JSON with object keys sorted, so equal values give equal bytes.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(into: &out)
        return out
    }

    public func serializedString() -> String { String(decoding: serialized(), as: UTF8.self) }

    /// Appends this value's JSON, object keys sorted, to `out` (used to build larger documents
    /// without copies).
    public func write(into out: inout [UInt8]) { write(into: &out, memberOrder: .sorted) }

    /// Appends this value's compact JSON to `out`, object members in `memberOrder`. Strings with
    /// nothing to escape are copied in one go.
    public func write(into out: inout [UInt8], memberOrder: JSONMemberOrder) {
        switch self {
        case .null: out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        case .bool(let b): out.append(contentsOf: b ? [0x74, 0x72, 0x75, 0x65] : [0x66, 0x61, 0x6C, 0x73, 0x65])
        case .integer(let i): JSONValue.writeInteger(i, into: &out)
        case .double(let d):
            // Non-finite numbers have no JSON form; they cannot come from a parse.
            if d.isFinite { out.append(contentsOf: d.description.utf8) } else { out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C]) }
        case .string(let s): EventJSON.writeString(s, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            var first = true
            for item in items {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                item.write(into: &out, memberOrder: memberOrder)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            JSONValue.writeObject(members, into: &out, memberOrder: memberOrder)
        }
    }

    /// Appends an object's JSON to `out` without wrapping it in a `JSONValue` first. Sorting
    /// sorts the members as pairs, so no value is looked up again by its key.
    public static func writeObject(_ members: JSONObject, into out: inout [UInt8],
                                   memberOrder: JSONMemberOrder = .sorted) {
        out.append(UInt8(ascii: "{"))
        if memberOrder == .asStored || members.count < 2 {
            writeMembers(members, into: &out, memberOrder: memberOrder)
        } else {
            writeMembers(members.sorted { $0.key < $1.key }, into: &out, memberOrder: memberOrder)
        }
        out.append(UInt8(ascii: "}"))
    }

    private static func writeMembers<Members: Sequence<(key: String, value: JSONValue)>>(
        _ members: Members, into out: inout [UInt8], memberOrder: JSONMemberOrder
    ) {
        var first = true
        for (key, value) in members {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            EventJSON.writeString(key, into: &out)
            out.append(UInt8(ascii: ":"))
            value.write(into: &out, memberOrder: memberOrder)
        }
    }

    public static func writeInteger(_ value: Int64, into out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        EventJSON.writeUnsigned(value.magnitude, into: &out)
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// A JSON string literal: quotes, backslashes and control characters escaped; other UTF-8 kept.
    public static func writeString(_ string: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { utf8 in
            var runStart = 0
            for i in 0..<utf8.count {
                let byte = utf8[i]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                if i > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i])) }
                runStart = i + 1
                switch byte {
                case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
                case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
                case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
                case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
                case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
                default:
                    out.append(contentsOf: [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                            hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]])
                }
            }
            if utf8.count > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// The size of this value's serialized form in bytes (for the 64 KiB context limits).
    public var serializedByteCount: Int { serialized().count }
}
