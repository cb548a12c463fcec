import ExecutionCore
import HTTPServer

/// Problems of request bodies and parameters, each saying what to fix.
public enum BodyProblem {
    /// 415: the body is not declared as JSON.
    public static func unsupportedMediaType(_ got: String?) -> ProblemDetails {
        ProblemDetails(.unsupportedMediaType, detail: got.map { "the body must be sent as Content-Type: application/json, not \($0)" }
                           ?? "the body must be sent with Content-Type: application/json",
                       headers: ["Accept-Post": "application/json"])
    }

    /// 400: the body is not JSON; the parser's byte offset says where.
    public static func malformed(_ error: JSONParseError) -> ProblemDetails {
        ProblemDetails.badRequest("the body is not valid JSON: \(error.message) at byte \(error.offset)")
            .with("offset", .integer(Int64(error.offset)))
    }

    /// 400: a body is required and there is none.
    public static let missingBody = ProblemDetails.badRequest("this operation needs a JSON object body")

    /// 400: JSON, but not an object.
    public static func notAnObject(_ got: JSONValue) -> ProblemDetails {
        ProblemDetails.badRequest("the body must be a JSON object, not \(got.describedType)")
    }

    /// 422: a member the operation does not know.
    public static func unknownField(_ name: String, allowed: [String]) -> ProblemDetails {
        ProblemDetails.validation(field: name, "unknown field '\(name)' (allowed: \(allowed.joined(separator: ", ")))")
    }

    /// 422: a required member is absent (or null).
    public static func missingField(_ name: String, expected: String) -> ProblemDetails {
        ProblemDetails.validation(field: name, "'\(name)' is required (\(expected))").with("expected", .string(expected))
    }

    /// 422: a member of the wrong JSON type.
    public static func wrongType(_ name: String, expected: String, got: JSONValue) -> ProblemDetails {
        ProblemDetails.validation(field: name, "'\(name)' must be \(expected), not \(got.describedType)")
            .with("expected", .string(expected))
    }

    /// 422: a string member outside its set of words.
    public static func notOneOf(_ name: String, _ choices: [String], got: String) -> ProblemDetails {
        ProblemDetails.validation(field: name, "'\(name)' must be one of \(choices.joined(separator: ", ")), not \"\(got)\"")
            .with("expected", .array(choices.map(JSONValue.string)))
    }

    /// 400: an `Idempotency-Key` that is not 1-255 visible ASCII characters.
    public static let badIdempotencyKey = ProblemDetails.badRequest(
        "Idempotency-Key must be 1 to 255 visible ASCII characters")
}

extension JSONValue {
    /// "an array", "an object", "a number", "a string", "a boolean" or "null", for details.
    var describedType: String {
        switch self {
        case .null: "null"
        case .array, .object: "an \(typeName)"
        default: "a \(typeName)"
        }
    }
}
