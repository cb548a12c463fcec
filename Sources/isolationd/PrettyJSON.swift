import ExecutionCore

/// Indented JSON for people (`check-config`): two spaces, keys sorted.
enum PrettyJSON {
    static func render(_ value: JSONValue) -> String {
        var out: [UInt8] = []
        write(value, indent: 0, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private static func write(_ value: JSONValue, indent: Int, into out: inout [UInt8]) {
        let inner = [UInt8](repeating: UInt8(ascii: " "), count: (indent + 1) * 2)
        let outer = [UInt8](repeating: UInt8(ascii: " "), count: indent * 2)
        switch value {
        case .array(let items) where !items.isEmpty:
            out.append(contentsOf: "[\n".utf8)
            for (n, item) in items.enumerated() {
                out.append(contentsOf: inner)
                write(item, indent: indent + 1, into: &out)
                out.append(contentsOf: (n + 1 < items.count ? ",\n" : "\n").utf8)
            }
            out.append(contentsOf: outer)
            out.append(UInt8(ascii: "]"))
        case .object(let members) where !members.isEmpty:
            out.append(contentsOf: "{\n".utf8)
            let keys = members.keys.sorted()
            for (n, key) in keys.enumerated() {
                out.append(contentsOf: inner)
                JSONValue.writeString(key, into: &out)
                out.append(contentsOf: ": ".utf8)
                if let member = members[key] { write(member, indent: indent + 1, into: &out) }
                out.append(contentsOf: (n + 1 < keys.count ? ",\n" : "\n").utf8)
            }
            out.append(contentsOf: outer)
            out.append(UInt8(ascii: "}"))
        default:
            value.write(into: &out)
        }
    }
}
