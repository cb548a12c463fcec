import ExecutionCore

/// Who may call the API (the configuration's `auth` section, read by the executable). Keys are
/// held only as SHA-256 hashes; the JWT secret never reaches a log or the redacted view.
public struct AuthSettings: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable {
        /// `Authorization: Bearer <api key>` only.
        case apiKeys = "api_keys"
        /// `Authorization: Bearer <JWT>` only.
        case jwt
        /// Either: a bearer token with two dots is read as a JWT, anything else as an API key.
        case apiKeysOrJWT = "api_keys_or_jwt"
    }

    /// One accepted API key: the lowercase hex SHA-256 of the key and whom it stands for.
    public struct APIKey: Sendable, Equatable {
        public var userID: String
        public var roles: [String]
        public var sha256: String
        public init(userID: String, roles: [String], sha256: String) {
            self.userID = userID
            self.roles = roles
            self.sha256 = sha256
        }
    }

    public var mode = Mode.apiKeys
    /// Acknowledges that the published demo keys may be accepted (see `DemoAPIKeys`).
    public var demoKeys = true
    public var apiKeys: [APIKey] = DemoAPIKeys.all.map { APIKey(userID: $0.userID, roles: $0.roles, sha256: $0.sha256) }
    /// nil: no JWT section (required when `mode` accepts JWTs).
    public var jwt: JWTSettings?

    public init() {}

    /// True when a published demo key is accepted: the server warns about it at start.
    public var demoKeysActive: Bool {
        mode != .jwt && apiKeys.contains { DemoAPIKeys.isDemoHash($0.sha256) }
    }
}

/// `auth.jwt`: bearer JWTs signed with HS256 (shared secret) or RS256 (RSA public key).
public struct JWTSettings: Sendable, Equatable {
    public enum Algorithm: String, Sendable, CaseIterable {
        case hs256 = "HS256"
        case rs256 = "RS256"
    }

    /// The allow-list; a token whose header names anything else is refused ("none" can never be
    /// listed).
    public var algorithms: [Algorithm] = [.hs256]
    /// The HS256 key, at least 32 bytes. Redacted everywhere.
    public var hs256Secret: String?
    /// The RS256 public key in PEM, inline...
    public var rs256PublicKeyPEM: String?
    /// ...or in a file, read once at start.
    public var rs256PublicKeyFile: String?
    /// When set, `iss` must equal it.
    public var issuer: String?
    /// When set, `aud` (a string or an array) must contain it.
    public var audience: String?
    /// Clock skew allowed on `exp` and `nbf`.
    public var leewaySeconds: Double = 30
    /// The claim holding the roles: an array of strings, or one space-separated string.
    public var rolesClaim = "roles"
    /// Roles given when the token has no roles claim.
    public var defaultRoles: [String] = ["user"]
    /// Refuse tokens without `exp`.
    public var requireExpiry = true
    /// Longer tokens are refused before any parsing.
    public var maxTokenBytes = 8192

    public init() {}
}
