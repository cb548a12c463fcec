import ExecutionCore
import HTTPServer

/// A request body read strictly as one JSON object: declared `application/json`, parsed once,
/// an object at the top, and every member checked against what the operation knows.
public struct JSONBody: Sendable {
    public let fields: JSONObject

    public init(fields: JSONObject) { self.fields = fields }

    /// Reads `request`'s body. `required: false` accepts an empty body (and then needs no
    /// Content-Type) as `{}`.
    public static func read(_ request: HTTPRequest, required: Bool = true) throws(ProblemDetails) -> JSONBody {
        if request.body.isEmpty {
            if required { throw BodyProblem.missingBody }
            return JSONBody(fields: [:])
        }
        let contentType = request.headers["Content-Type"]
        guard let contentType, isJSONMediaType(contentType) else { throw BodyProblem.unsupportedMediaType(contentType) }
        let value: JSONValue
        do throws(JSONParseError) {
            value = try JSONValue.parse(request.body)
        } catch {
            throw BodyProblem.malformed(error)
        }
        guard case .object(let fields) = value else { throw BodyProblem.notAnObject(value) }
        return JSONBody(fields: fields)
    }

    /// `application/json`, any case, parameters (`; charset=utf-8`) allowed.
    static func isJSONMediaType(_ value: String) -> Bool {
        if value == "application/json" { return true }  // what nearly every client sends
        var utf8 = value.utf8[...]
        if let semicolon = utf8.firstIndex(of: UInt8(ascii: ";")) { utf8 = utf8[..<semicolon] }
        while let last = utf8.last, last == 0x20 || last == 0x09 { utf8 = utf8.dropLast() }
        while let first = utf8.first, first == 0x20 || first == 0x09 { utf8 = utf8.dropFirst() }
        let expected = "application/json".utf8
        guard utf8.count == expected.count else { return false }
        return zip(utf8, expected).allSatisfy { ($0 | 0x20) == $1 || $0 == $1 }
    }

    /// Refuses the first member (in name order) that is not in `allowed`.
    public func refuseUnknown(allowed: [String]) throws(ProblemDetails) {
        guard fields.count > 0 else { return }
        var unknown: String?
        for key in fields.keys where !allowed.contains(key) {
            if let earlier = unknown, earlier <= key { continue }
            unknown = key
        }
        if let unknown { throw BodyProblem.unknownField(unknown, allowed: allowed) }
    }

    /// A string member that must be present.
    public func requiredString(_ name: String) throws(ProblemDetails) -> String {
        guard let value = fields[name], !value.isNull else { throw BodyProblem.missingField(name, expected: "a string") }
        guard case .string(let string) = value else { throw BodyProblem.wrongType(name, expected: "a string", got: value) }
        return string
    }

    /// A string member that may be absent or null.
    public func optionalString(_ name: String) throws(ProblemDetails) -> String? {
        guard let value = fields[name], !value.isNull else { return nil }
        guard case .string(let string) = value else { throw BodyProblem.wrongType(name, expected: "a string", got: value) }
        return string
    }

    /// An object member that may be absent or null (then empty).
    public func optionalObject(_ name: String) throws(ProblemDetails) -> JSONObject {
        guard let value = fields[name], !value.isNull else { return [:] }
        guard case .object(let object) = value else { throw BodyProblem.wrongType(name, expected: "an object", got: value) }
        return object
    }

    /// A string member restricted to the raw values of `T`; absent or null gives `defaultValue`.
    public func optionalWord<T: RawRepresentable & CaseIterable>(_ name: String, default defaultValue: T) throws(ProblemDetails) -> T
    where T.RawValue == String {
        guard let string = try optionalString(name) else { return defaultValue }
        guard let value = T(rawValue: string) else {
            throw BodyProblem.notOneOf(name, T.allCases.map(\.rawValue), got: string)
        }
        return value
    }

    /// Any JSON member, absent or null giving `defaultValue`.
    public func value(_ name: String, default defaultValue: JSONValue) -> JSONValue {
        guard let value = fields[name], !value.isNull else { return defaultValue }
        return value
    }
}
