import ExecutionCore

/// Reads one JSON object of the configuration with its key path in hand.
///
/// Every accessor checks the value's type and range and throws a `ConfigurationError` naming the
/// key; missing keys take the given default. Each value read is also recorded, normalised, in
/// `effective`, so the effective configuration (file + environment + defaults) is a by-product of
/// reading it, with secrets recorded as `"<redacted>"` by `secret(_:)`. `finish()` refuses every
/// key that no accessor asked for: a typo in the file is an error, not a silently ignored line.
struct ConfigObject {
    /// This object's key path ("" for the root, "server.timeouts", "agents[0]").
    let path: String
    private let fields: [String: JSONValue]
    private let origins: [String: EnvironmentOrigin]
    private var consumed: Set<String> = []
    private var effective: [String: JSONValue] = [:]

    /// `value` nil (the key is absent) reads as an empty object: every field takes its default.
    init(_ value: JSONValue?, path: String, origins: [String: EnvironmentOrigin]) throws(ConfigurationError) {
        self.path = path
        self.origins = origins
        switch value {
        case nil:
            fields = [:]
        case .object(let object)?:
            fields = object
        case let other?:
            throw ConfigObject.makeError(path, "must be an object, not \(other.typeName)", origins: origins)
        }
    }

    // MARK: Key paths and errors

    func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// An error for `key` of this object: "<path> <requirement>" plus the variable that set it.
    func error(_ key: String, _ requirement: String) -> ConfigurationError {
        ConfigObject.makeError(keyPath(key), requirement, origins: origins)
    }

    static func makeError(_ keyPath: String, _ requirement: String,
                          origins: [String: EnvironmentOrigin]) -> ConfigurationError {
        var message = keyPath.isEmpty ? "the configuration \(requirement)" : "\(keyPath) \(requirement)"
        if let origin = origin(of: keyPath, in: origins) { message += " (set by \(origin.variable))" }
        return ConfigurationError(keyPath: keyPath, message: message)
    }

    /// The override that set `keyPath` or one of its parents.
    private static func origin(of keyPath: String, in origins: [String: EnvironmentOrigin]) -> EnvironmentOrigin? {
        if let exact = origins[keyPath] { return exact }
        var best: (length: Int, origin: EnvironmentOrigin)?
        for (prefix, origin) in origins where keyPath.hasPrefix(prefix + ".") || keyPath.hasPrefix(prefix + "[") {
            if prefix.utf8.count > (best?.length ?? -1) { best = (prefix.utf8.count, origin) }
        }
        return best?.origin
    }

    /// Marks `key` as known and returns its value, nil when absent.
    private mutating func take(_ key: String) -> JSONValue? {
        consumed.insert(key)
        return fields[key]
    }

    /// The value of `key` for custom reading; nil (recorded as null) when absent or null.
    mutating func optionalValue(_ key: String) -> JSONValue? {
        guard let value = take(key), !value.isNull else {
            record(key, .null)
            return nil
        }
        return value
    }

    /// Records a value in the effective view (for keys read by custom code).
    mutating func record(_ key: String, _ value: JSONValue) { effective[key] = value }

    // MARK: Scalars

    mutating func int(_ key: String, default defaultValue: Int, min: Int, max: Int = Int.max) throws(ConfigurationError) -> Int {
        let requirement = max == Int.max ? "must be an integer >= \(min)" : "must be an integer between \(min) and \(max)"
        guard let value = take(key) else {
            record(key, .integer(Int64(defaultValue)))
            return defaultValue
        }
        guard case .integer(let raw) = value.integerLike, let int = Int(exactly: raw), int >= min, int <= max else {
            throw error(key, requirement)
        }
        record(key, .integer(raw))
        return int
    }

    /// A duration in seconds (fractions allowed), at most ten years so it always fits a `Duration`.
    mutating func seconds(_ key: String, default defaultValue: Double, allowZero: Bool) throws(ConfigurationError) -> Double {
        let requirement = allowZero ? "must be a number of seconds >= 0" : "must be a number of seconds > 0"
        guard let value = take(key) else {
            record(key, ConfigObject.number(defaultValue))
            return defaultValue
        }
        guard let seconds = value.doubleValue, seconds.isFinite, allowZero ? seconds >= 0 : seconds > 0 else {
            throw error(key, requirement)
        }
        guard seconds <= 315_360_000 else { throw error(key, "must be at most 315360000 seconds (ten years)") }
        record(key, ConfigObject.number(seconds))
        return seconds
    }

    mutating func bool(_ key: String, default defaultValue: Bool) throws(ConfigurationError) -> Bool {
        guard let value = take(key) else {
            record(key, .bool(defaultValue))
            return defaultValue
        }
        guard let bool = value.boolValue else { throw error(key, "must be true or false") }
        record(key, .bool(bool))
        return bool
    }

    /// A string; `oneOf` restricts it to a set of words, `nonEmpty` refuses "" and blanks.
    mutating func string(_ key: String, default defaultValue: String, oneOf choices: [String]? = nil,
                         nonEmpty: Bool = true) throws(ConfigurationError) -> String {
        guard let value = take(key) else {
            record(key, .string(defaultValue))
            return defaultValue
        }
        let string = try stringValue(value, key: key, choices: choices, nonEmpty: nonEmpty)
        record(key, .string(string))
        return string
    }

    /// A string that may be absent or null.
    mutating func optionalString(_ key: String, nonEmpty: Bool = true) throws(ConfigurationError) -> String? {
        guard let value = take(key), !value.isNull else {
            record(key, .null)
            return nil
        }
        let string = try stringValue(value, key: key, choices: nil, nonEmpty: nonEmpty)
        record(key, .string(string))
        return string
    }

    /// A string that must never be shown: recorded as "<redacted>" (null when absent).
    mutating func secret(_ key: String) throws(ConfigurationError) -> String? {
        guard let value = take(key), !value.isNull else {
            record(key, .null)
            return nil
        }
        let string = try stringValue(value, key: key, choices: nil, nonEmpty: true)
        record(key, .string(ConfigObject.redacted))
        return string
    }

    static let redacted = "<redacted>"

    private func stringValue(_ value: JSONValue, key: String, choices: [String]?, nonEmpty: Bool) throws(ConfigurationError) -> String {
        var string: String
        if let s = value.stringValue {
            string = s
        } else if case .array = value {
            throw error(key, choices.map { "must be one of: \($0.joined(separator: ", "))" } ?? "must be a string")
        } else if case .object = value {
            throw error(key, choices.map { "must be one of: \($0.joined(separator: ", "))" } ?? "must be a string")
        } else if let origin = origins[keyPath(key)] {
            // An environment value such as "123" parsed as a number, but this setting is text.
            string = origin.raw
        } else {
            throw error(key, choices.map { "must be one of: \($0.joined(separator: ", "))" } ?? "must be a string")
        }
        if let choices {
            guard choices.contains(string) else { throw error(key, "must be one of: \(choices.joined(separator: ", "))") }
        } else if nonEmpty {
            guard string.contains(where: { !$0.isWhitespace }) else { throw error(key, "must be a non-empty string") }
        }
        return string
    }

    // MARK: Collections

    /// An array of strings; `nonEmptyItems` refuses "" entries, `unique` refuses repeats.
    mutating func stringArray(_ key: String, default defaultValue: [String], nonEmptyItems: Bool = true,
                              unique: Bool = false) throws(ConfigurationError) -> [String] {
        guard let value = take(key) else {
            record(key, .array(defaultValue.map(JSONValue.string)))
            return defaultValue
        }
        guard let array = value.arrayValue else { throw error(key, "must be an array of strings") }
        var strings: [String] = []
        strings.reserveCapacity(array.count)
        for (index, item) in array.enumerated() {
            guard let string = item.stringValue else { throw error("\(key)[\(index)]", "must be a string") }
            if nonEmptyItems && string.isEmpty { throw error("\(key)[\(index)]", "must be a non-empty string") }
            if unique && strings.contains(string) { throw error("\(key)[\(index)]", "repeats \"\(string)\"") }
            strings.append(string)
        }
        record(key, .array(strings.map(JSONValue.string)))
        return strings
    }

    /// An object whose keys are free (user ids, variable names) and whose values are integers.
    mutating func integerMap(_ key: String, min: Int) throws(ConfigurationError) -> [String: Int] {
        guard let value = take(key), !value.isNull else {
            record(key, .object([:]))
            return [:]
        }
        guard let object = value.objectValue else { throw error(key, "must be an object") }
        var map: [String: Int] = [:]
        for (name, item) in object {
            guard case .integer(let raw) = item.integerLike, let int = Int(exactly: raw), int >= min else {
                throw error("\(key).\(name)", "must be an integer >= \(min)")
            }
            map[name] = int
        }
        record(key, .object(map.mapValues { .integer(Int64($0)) }))
        return map
    }

    /// A nested object, read by `body`; absent means every field takes its default.
    mutating func section<T>(_ key: String,
                             _ body: (inout ConfigObject) throws(ConfigurationError) -> T) throws(ConfigurationError) -> T {
        let value = take(key)
        if value?.isNull == true { throw error(key, "must be an object, not null") }
        var child = try ConfigObject(value, path: keyPath(key), origins: origins)
        let result = try body(&child)
        record(key, try child.finish())
        return result
    }

    /// A nested object that may be absent or null (TLS, JWT): nil then.
    mutating func optionalSection<T>(_ key: String,
                                     _ body: (inout ConfigObject) throws(ConfigurationError) -> T) throws(ConfigurationError) -> T? {
        guard let value = take(key), !value.isNull else {
            record(key, .null)
            return nil
        }
        var child = try ConfigObject(value, path: keyPath(key), origins: origins)
        let result = try body(&child)
        record(key, try child.finish())
        return result
    }

    /// An array of objects, each read by `body` with its own path ("agents[2]"). Absent: `defaultValue`
    /// is read instead, through the same checks.
    mutating func objectArray<T>(_ key: String, default defaultValue: [JSONValue],
                                 _ body: (inout ConfigObject, Int) throws(ConfigurationError) -> T) throws(ConfigurationError) -> [T] {
        let value = take(key) ?? .array(defaultValue)
        guard let array = value.arrayValue else { throw error(key, "must be an array of objects") }
        var results: [T] = []
        var recorded: [JSONValue] = []
        for (index, item) in array.enumerated() {
            var child = try ConfigObject(item, path: keyPath("\(key)[\(index)]"), origins: origins)
            results.append(try body(&child, index))
            recorded.append(try child.finish())
        }
        record(key, .array(recorded))
        return results
    }

    /// Refuses keys nobody read and returns the effective view of this object.
    func finish() throws(ConfigurationError) -> JSONValue {
        if let unknown = fields.keys.filter({ !consumed.contains($0) }).min() {
            throw error(unknown, "is not a known setting")
        }
        return .object(effective)
    }

    /// A number as JSON: integral values stay integers, so `10` reads back as `10`, not `10.0`.
    static func number(_ value: Double) -> JSONValue {
        if value.rounded() == value, abs(value) < 9e15 { return .integer(Int64(value)) }
        return .double(value)
    }
}

extension JSONValue {
    /// `.integer` for integers and integral doubles (`8080.0`), nil otherwise.
    var integerLike: JSONValue? {
        switch self {
        case .integer: self
        case .double(let d) where d.isFinite && d.rounded() == d && abs(d) < 9.2e18: .integer(Int64(d))
        default: nil
        }
    }
}
