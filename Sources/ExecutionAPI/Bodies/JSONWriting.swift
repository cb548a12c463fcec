import ExecutionCore

/// Serializes JSON exactly as `JSONValue.serialized()` does (compact, object keys sorted), but
/// sorts each object's members as pairs instead of sorting the keys and looking every value up
/// again: one hash per member less on the API's answer path.
enum JSONWriting {
    static func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .array(let items):
            out.append(UInt8(ascii: "["))
            var first = true
            for item in items {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                write(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            writeObject(members, into: &out)
        default:
            value.write(into: &out)
        }
    }

    static func writeObject(_ members: JSONObject, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        if members.count == 1, let only = members.first {
            JSONValue.writeString(only.key, into: &out)
            out.append(UInt8(ascii: ":"))
            write(only.value, into: &out)
        } else if !members.isEmpty {
            var first = true
            for member in members.sorted(by: { $0.key < $1.key }) {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                JSONValue.writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(member.value, into: &out)
            }
        }
        out.append(UInt8(ascii: "}"))
    }

    static func serialized(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, into: &out)
        return out
    }
}
