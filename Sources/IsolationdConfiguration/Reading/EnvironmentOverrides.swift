import ExecutionCore

/// `ISOLATIOND_…` environment variables that override single settings of the file.
///
/// Scheme: strip `ISOLATIOND_`, split the rest at double underscores, lowercase each part; each
/// part is one key of the path, a number indexes an existing array:
///
///     ISOLATIOND_SERVER__PORT=9090                      server.port = 9090
///     ISOLATIOND_FACTORY__BREAKER__COOLDOWN_SECONDS=5   factory.breaker.cooldown_seconds = 5
///     ISOLATIOND_AUTH__API_KEYS__0__SHA256=…            auth.api_keys[0].sha256 = "…"
///     ISOLATIOND_SERVER__TLS='{"cert_file": …}'         server.tls = that object
///
/// Short aliases: `ISOLATIOND_HOST`, `ISOLATIOND_PORT`, `ISOLATIOND_LOG_LEVEL`,
/// `ISOLATIOND_LOG_FORMAT`. `ISOLATIOND_CONFIG` names the file and `ISOLATIOND_REVISION` the
/// source revision (`isolationd_build_info`); `ISOLATIOND_ALLOW_DEMO_KEYS` opts in to demo keys
/// off loopback (`DemoKeyExposure`); none of them is an override.
///
/// Values are read as JSON when they look like JSON (`true`, `false`, `null`, a number, or text
/// starting with `[`, `{` or `"`), otherwise as a plain string (`0.0.0.0` stays a string).
/// Overrides are applied in name order; two variables that set the same key are an error.
public enum EnvironmentOverrides {
    public static let prefix = "ISOLATIOND_"
    /// Variables with the prefix that are not overrides: the file's name, and the source
    /// revision `/metrics` exports in `isolationd_build_info` (docs/metrics.md).
    public static let reserved: Set<String> = ["ISOLATIOND_CONFIG", "ISOLATIOND_REVISION", DemoKeyExposure.optInVariable]
    /// Short names for the settings changed most often.
    public static let aliases: [String: [String]] = [
        "ISOLATIOND_HOST": ["server", "host"],
        "ISOLATIOND_PORT": ["server", "port"],
        "ISOLATIOND_LOG_LEVEL": ["logging", "level"],
        "ISOLATIOND_LOG_FORMAT": ["logging", "format"],
    ]

    /// The key path an override variable sets, nil when the name is not an override.
    public static func keySegments(of variable: String) -> [String]? {
        guard variable.hasPrefix(prefix), !reserved.contains(variable) else { return nil }
        if let alias = aliases[variable] { return alias }
        let rest = variable.dropFirst(prefix.count)
        guard !rest.isEmpty else { return nil }
        var segments: [String] = []
        var current = ""
        var index = rest.startIndex
        while index < rest.endIndex {
            let next = rest.index(after: index)
            if rest[index] == "_", next < rest.endIndex, rest[next] == "_" {
                segments.append(current)
                current = ""
                index = rest.index(after: next)
            } else {
                current.append(rest[index])
                index = next
            }
        }
        segments.append(current)
        return segments.map { $0.lowercased() }
    }

    /// Applies every override in `environment` to `document`; returns the result and where each
    /// overridden key path came from.
    static func apply(to document: JSONValue, environment: [String: String])
        throws(ConfigurationError) -> (JSONValue, [String: EnvironmentOrigin]) {
        var document = document
        var origins: [String: EnvironmentOrigin] = [:]
        for variable in environment.keys.sorted() {
            guard let segments = keySegments(of: variable), let raw = environment[variable] else { continue }
            if segments.contains(where: \.isEmpty) {
                throw ConfigurationError(keyPath: "", message: "\(variable) is not a valid override name (empty key between double underscores)")
            }
            let value = try parseValue(raw, variable: variable)
            let keyPath = try set(value, at: segments[...], in: &document, walked: "", variable: variable)
            if let earlier = origins[keyPath] {
                throw ConfigurationError(keyPath: keyPath,
                                         message: "\(keyPath) is set by both \(earlier.variable) and \(variable)")
            }
            origins[keyPath] = EnvironmentOrigin(variable: variable, raw: raw)
        }
        return (document, origins)
    }

    /// Reads an override's text as a JSON value when it looks like one, else as a string.
    static func parseValue(_ raw: String, variable: String) throws(ConfigurationError) -> JSONValue {
        switch raw {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "null": return .null
        default: break
        }
        if looksLikeJSONNumber(raw) {
            if let int = Int64(raw) { return .integer(int) }
            if let double = Double(raw), double.isFinite { return .double(double) }
        }
        if let first = raw.utf8.first, first == UInt8(ascii: "[") || first == UInt8(ascii: "{") || first == UInt8(ascii: "\"") {
            do {
                return try JSONValue.parse(raw)
            } catch {
                throw ConfigurationError(keyPath: "", message: "\(variable) is not valid JSON: \(error)")
            }
        }
        return .string(raw)
    }

    /// RFC 8259 number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    static func looksLikeJSONNumber(_ text: String) -> Bool {
        var bytes = Array(text.utf8)[...]
        func digits(_ bytes: inout ArraySlice<UInt8>) -> Int {
            var count = 0
            while let b = bytes.first, b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") { bytes.removeFirst(); count += 1 }
            return count
        }
        if bytes.first == UInt8(ascii: "-") { bytes.removeFirst() }
        if bytes.first == UInt8(ascii: "0") {
            bytes.removeFirst()
        } else if digits(&bytes) == 0 {
            return false
        }
        if bytes.first == UInt8(ascii: ".") {
            bytes.removeFirst()
            if digits(&bytes) == 0 { return false }
        }
        if let e = bytes.first, e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            bytes.removeFirst()
            if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { bytes.removeFirst() }
            if digits(&bytes) == 0 { return false }
        }
        return bytes.isEmpty
    }

    /// Sets `value` at `segments` below `node`, creating objects where the path is absent or null.
    /// Returns the key path written ("auth.api_keys[0].sha256").
    private static func set(_ value: JSONValue, at segments: ArraySlice<String>, in node: inout JSONValue,
                            walked: String, variable: String) throws(ConfigurationError) -> String {
        guard let key = segments.first else {
            node = value
            return walked
        }
        let rest = segments.dropFirst()
        switch node {
        case .null:
            node = .object([:])
            return try set(value, at: segments, in: &node, walked: walked, variable: variable)
        case .object(var object):
            let path = walked.isEmpty ? key : "\(walked).\(key)"
            var child = object[key] ?? .null
            object[key] = nil // keep the child uniquely referenced while it is changed
            let written = try set(value, at: rest, in: &child, walked: path, variable: variable)
            object[key] = child
            node = .object(object)
            return written
        case .array(var array):
            guard let index = Int(key), index >= 0, index < array.count else {
                throw ConfigurationError(keyPath: walked,
                                         message: "\(variable): \(walked) has no element \(key) (arrays can only be indexed within their length)")
            }
            let path = "\(walked)[\(index)]"
            var child = array[index]
            array[index] = .null
            let written = try set(value, at: rest, in: &child, walked: path, variable: variable)
            array[index] = child
            node = .array(array)
            return written
        default:
            throw ConfigurationError(keyPath: walked,
                                     message: "\(variable): \(walked) is a \(node.typeName), it has no key \(key)")
        }
    }
}
