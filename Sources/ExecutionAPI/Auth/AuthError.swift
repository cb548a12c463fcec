/// Why a request is not authenticated. Descriptions are fixed texts: they never echo the
/// credential or anything else the client sent, so they are safe for headers and logs.
public enum AuthError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No `Authorization` header.
    case missingCredentials
    /// Not `Bearer <token>` (another scheme, several headers, characters outside token68).
    case malformedHeader
    /// A JWT whose structure, encoding, JSON or claim types are wrong.
    case malformedToken(reason: String)
    /// An API key that is not configured.
    case unknownAPIKey
    /// `exp` has passed (beyond the leeway).
    case expired
    /// `nbf` is in the future (beyond the leeway).
    case notYetValid
    case badSignature
    case wrongIssuer
    case wrongAudience
    /// The token's `alg` is not in the allow-list (`none` never is).
    case algorithmNotAllowed

    public var description: String {
        switch self {
        case .missingCredentials: "credentials are required: send Authorization: Bearer <token>"
        case .malformedHeader: "the Authorization header must be the Bearer scheme followed by one token"
        case .malformedToken(let reason): "malformed token: \(reason)"
        case .unknownAPIKey: "the API key is not valid"
        case .expired: "the token has expired"
        case .notYetValid: "the token is not valid yet"
        case .badSignature: "the token signature is not valid"
        case .wrongIssuer: "the token issuer is not accepted"
        case .wrongAudience: "the token audience is not accepted"
        case .algorithmNotAllowed: "the token signing algorithm is not allowed"
        }
    }

    /// The RFC 6750 error code: none when credentials are missing, `invalid_request` for a
    /// malformed header, `invalid_token` otherwise.
    public var bearerErrorCode: String? {
        switch self {
        case .missingCredentials: nil
        case .malformedHeader: "invalid_request"
        default: "invalid_token"
        }
    }

    /// The `WWW-Authenticate` value for a 401 answer (RFC 6750 §3):
    /// `Bearer realm="isolationd", error="invalid_token", error_description="the token has expired"`.
    public func wwwAuthenticate(realm: String = "isolationd") -> String {
        var value = "Bearer realm=\"\(AuthError.quotedStringContent(realm))\""
        if let code = bearerErrorCode {
            value += ", error=\"\(code)\", error_description=\"\(AuthError.quotedStringContent(description))\""
        }
        return value
    }

    /// Text safe inside an RFC 9110 quoted-string: `"` and `\` escaped, anything outside
    /// printable ASCII (RFC 6750 restricts error_description to it) replaced by `?`.
    static func quotedStringContent(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x22, 0x5C: out.append("\\"); out.unicodeScalars.append(scalar)
            case 0x20...0x7E: out.unicodeScalars.append(scalar)
            default: out.append("?")
            }
        }
        return out
    }
}
