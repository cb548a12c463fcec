/// Typed, error-naming access to one JSON object of the agents config. Every refusal says which
/// entry and which field; unknown fields are refused too (a typo must not silently drop a limit).
struct AgentConfigReader {
    let object: [String: JSONValue]
    let entry: String
    /// Prefix for nested objects ("limits.").
    let path: String

    init(_ value: JSONValue, entry: String, path: String = "") throws(AgentConfigError) {
        guard let object = value.objectValue else {
            throw AgentConfigError(entry: entry, field: String(path.dropLast()), message: "must be an object, got \(value.typeName)")
        }
        self.object = object
        self.entry = entry
        self.path = path
    }

    func fail(_ field: String, _ message: String) -> AgentConfigError {
        AgentConfigError(entry: entry, field: path + field, message: message)
    }

    func refuseUnknown(allowed: Set<String>) throws(AgentConfigError) {
        for key in object.keys.sorted() where !allowed.contains(key) {
            throw fail(key, "unknown field (allowed: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    func string(_ field: String) throws(AgentConfigError) -> String? {
        guard let value = object[field], !value.isNull else { return nil }
        guard let string = value.stringValue else { throw fail(field, "must be a string, got \(value.typeName)") }
        return string
    }

    func requiredString(_ field: String) throws(AgentConfigError) -> String {
        guard let string = try string(field) else { throw fail(field, "is required") }
        return string
    }

    func stringArray(_ field: String) throws(AgentConfigError) -> [String]? {
        guard let value = object[field], !value.isNull else { return nil }
        guard let items = value.arrayValue else { throw fail(field, "must be an array of strings, got \(value.typeName)") }
        var out: [String] = []
        for (index, item) in items.enumerated() {
            guard let string = item.stringValue else { throw fail("\(field)[\(index)]", "must be a string, got \(item.typeName)") }
            out.append(string)
        }
        return out
    }

    /// A whole number in `range`.
    func integer(_ field: String, in range: ClosedRange<Int64>) throws(AgentConfigError) -> Int? {
        guard let value = object[field], !value.isNull else { return nil }
        guard let number = value.int64Value else { throw fail(field, "must be a whole number, got \(value.typeName == "number" ? "a fraction" : value.typeName)") }
        guard range.contains(number) else { throw fail(field, "must be between \(range.lowerBound) and \(range.upperBound), got \(number)") }
        return Int(number)
    }

    /// A positive number of seconds, at most `maximum`.
    func seconds(_ field: String, maximum: Double) throws(AgentConfigError) -> Duration? {
        guard let value = object[field], !value.isNull else { return nil }
        guard let seconds = value.doubleValue else { throw fail(field, "must be a number of seconds, got \(value.typeName)") }
        guard seconds > 0, seconds <= maximum else { throw fail(field, "must be more than 0 and at most \(Int(maximum)), got \(seconds)") }
        return .nanoseconds(Int64(seconds * 1e9))
    }

    func nested(_ field: String) throws(AgentConfigError) -> AgentConfigReader? {
        guard let value = object[field], !value.isNull else { return nil }
        return try AgentConfigReader(value, entry: entry, path: path + field + ".")
    }
}
