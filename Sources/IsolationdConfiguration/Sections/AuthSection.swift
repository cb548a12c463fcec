import ExecutionAPI
import ExecutionCore

/// Reading the `auth` section into the API's `AuthSettings` (keys as SHA-256 hashes, JWT
/// settings checked for consistency); the authenticator itself is built from the result.
extension AuthSettings {
    init(reading o: inout ConfigObject) throws(ConfigurationError) {
        self.init()
        let modeText = try o.string("mode", default: Mode.apiKeys.rawValue, oneOf: Mode.allCases.map(\.rawValue))
        mode = Mode(rawValue: modeText) ?? .apiKeys
        demoKeys = try o.bool("demo_keys", default: true)
        let defaults = DemoAPIKeys.all.map { key -> JSONValue in
            .object(["user_id": .string(key.userID), "roles": .array(key.roles.map(JSONValue.string)),
                     "sha256": .string(key.sha256)])
        }
        let demoAllowed = demoKeys
        var seen: [String: String] = [:]
        apiKeys = try o.objectArray("api_keys", default: defaults) { (k: inout ConfigObject, _) throws(ConfigurationError) in
            let userID = try k.string("user_id", default: "")
            guard UserIdentifier.isValid(userID) else {
                throw k.error("user_id", "must be 1 to 128 printable ASCII characters without spaces or '/'")
            }
            let roles = try k.stringArray("roles", default: ["user"], unique: true)
            guard let hash = try k.secret("sha256"), AuthSettings.isSHA256Hex(hash) else {
                throw k.error("sha256", "must be 64 lowercase hex characters (the SHA-256 of the key)")
            }
            if let first = seen[hash] {
                throw k.error("sha256", "repeats the key of \(first)")
            }
            seen[hash] = k.path
            if DemoAPIKeys.isDemoHash(hash) && !demoAllowed {
                throw k.error("sha256", "is a published demo key; remove it or set auth.demo_keys to true")
            }
            return APIKey(userID: userID, roles: roles, sha256: hash)
        }
        jwt = try o.optionalSection("jwt") { (j: inout ConfigObject) throws(ConfigurationError) in
            try JWTSettings(reading: &j)
        }
        if mode != .apiKeys && jwt == nil {
            throw o.error("jwt", "must be an object when auth.mode is \(mode.rawValue)")
        }
        if mode != .jwt && apiKeys.isEmpty {
            throw o.error("api_keys", "must list at least one key when auth.mode is \(mode.rawValue)")
        }
    }

    static func isSHA256Hex(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }
}

extension JWTSettings {
    init(reading j: inout ConfigObject) throws(ConfigurationError) {
        self.init()
        let names = try j.stringArray("algorithms", default: ["HS256"], unique: true)
        if names.isEmpty { throw j.error("algorithms", "must list at least one of: HS256, RS256") }
        algorithms = []
        for (index, name) in names.enumerated() {
            guard let algorithm = Algorithm(rawValue: name) else {
                if name.lowercased() == "none" {
                    throw j.error("algorithms[\(index)]", "must not be \"none\" (unsigned tokens are never accepted)")
                }
                throw j.error("algorithms[\(index)]", "must be one of: HS256, RS256")
            }
            algorithms.append(algorithm)
        }
        hs256Secret = try j.secret("hs256_secret")
        rs256PublicKeyPEM = try j.optionalString("rs256_public_key_pem")
        rs256PublicKeyFile = try j.optionalString("rs256_public_key_file")
        issuer = try j.optionalString("issuer")
        audience = try j.optionalString("audience")
        leewaySeconds = try j.seconds("leeway_seconds", default: 30, allowZero: true)
        if leewaySeconds > 600 { throw j.error("leeway_seconds", "must be at most 600 seconds") }
        rolesClaim = try j.string("roles_claim", default: "roles")
        defaultRoles = try j.stringArray("default_roles", default: ["user"], unique: true)
        requireExpiry = try j.bool("require_exp", default: true)
        maxTokenBytes = try j.int("max_token_bytes", default: 8192, min: 256, max: 65_536)

        if algorithms.contains(.hs256) {
            guard let secret = hs256Secret, secret.utf8.count >= 32 else {
                throw j.error("hs256_secret", "must be a string of at least 32 bytes when HS256 is allowed")
            }
        } else if hs256Secret != nil {
            throw j.error("hs256_secret", "is set but HS256 is not in auth.jwt.algorithms")
        }
        let keySources = (rs256PublicKeyPEM != nil ? 1 : 0) + (rs256PublicKeyFile != nil ? 1 : 0)
        if algorithms.contains(.rs256) {
            guard keySources == 1 else {
                throw j.error("rs256_public_key_file", "or auth.jwt.rs256_public_key_pem (exactly one) must be set when RS256 is allowed")
            }
        } else if keySources > 0 {
            throw j.error(rs256PublicKeyPEM != nil ? "rs256_public_key_pem" : "rs256_public_key_file",
                          "is set but RS256 is not in auth.jwt.algorithms")
        }
    }
}
