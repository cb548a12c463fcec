extension EventSanitizer {
    /// Writes `value`'s compact JSON (members in stored order) to `out` while checking it against
    /// the same rules as `sanitizedIfChanged`, and returns false at the first part that would be
    /// changed; `out` then holds a partial document the caller discards before writing
    /// `sanitize(value)` instead. Clean data, the common case, is walked once, not twice.
    func writeIfClean(_ value: JSONValue, into out: inout [UInt8], depth: Int = 0) -> Bool {
        switch value {
        case .null, .bool, .integer, .double:
            value.write(into: &out, memberOrder: .asStored)
            return true
        case .string(let string):
            guard !stringNeedsChange(string) else { return false }
            EventJSON.writeString(string, into: &out)
            return true
        case .array(let items):
            guard !arrayNeedsChange(count: items.count, depth: depth) else { return false }
            out.append(UInt8(ascii: "["))
            var first = true
            for item in items {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                guard writeIfClean(item, into: &out, depth: depth + 1) else { return false }
            }
            out.append(UInt8(ascii: "]"))
            return true
        case .object(let members):
            guard !objectNeedsChange(count: members.count, depth: depth) else { return false }
            out.append(UInt8(ascii: "{"))
            var first = true
            for (key, member) in members {
                guard !isSecretKey(key) else { return false }
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                EventJSON.writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                guard writeIfClean(member, into: &out, depth: depth + 1) else { return false }
            }
            out.append(UInt8(ascii: "}"))
            return true
        }
    }
}
