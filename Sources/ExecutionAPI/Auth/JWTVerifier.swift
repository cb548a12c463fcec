import ExecutionCore

/// Verifies compact JWS tokens (RFC 7515/7519) signed with HS256 or RS256.
///
/// Order matters: the header's `alg` is checked against the allow-list first (never `none`,
/// and an algorithm is only usable with its own kind of key, so an RS256 public key can never
/// serve as an HMAC secret), then the signature, and only then are claims read.
struct JWTVerifier: Sendable {
    let settings: JWTSettings
    private let hmacKey: [UInt8]?
    private let rsaKey: RSAPublicKey?

    /// Loads the keys named by `settings` (the RS256 PEM may come from a file).
    init(settings: JWTSettings) throws(AuthSettingsError) {
        self.settings = settings
        hmacKey = settings.algorithms.contains(.hs256) ? settings.hs256Secret.map { Array($0.utf8) } : nil
        guard settings.algorithms.contains(.rs256) else {
            rsaKey = nil
            return
        }
        let keyPath: String, pem: String
        if let inline = settings.rs256PublicKeyPEM {
            keyPath = "auth.jwt.rs256_public_key_pem"
            pem = inline
        } else if let file = settings.rs256PublicKeyFile {
            keyPath = "auth.jwt.rs256_public_key_file"
            pem = try PublicKeyFile.read(file)
        } else {
            throw .rs256KeyMissing
        }
        guard let key = RSAPublicKey(pem: pem) else {
            throw .notAnRSAPublicKey(keyPath: keyPath)
        }
        guard key.bits >= 2048 else {
            throw .rsaKeyTooShort(keyPath: keyPath, bits: key.bits)
        }
        rsaKey = key
    }

    func verify(_ token: UnsafeBufferPointer<UInt8>, now: Timestamp) throws(AuthError) -> Principal {
        guard token.count <= settings.maxTokenBytes else { throw .malformedToken(reason: "the token is too long") }
        guard let firstDot = token.firstIndex(of: UInt8(ascii: ".")),
              let secondDot = token[(firstDot + 1)...].firstIndex(of: UInt8(ascii: ".")),
              token[(secondDot + 1)...].firstIndex(of: UInt8(ascii: ".")) == nil
        else { throw .malformedToken(reason: "a JWT has three dot-separated parts") }

        let header = try decodeObject(token[..<firstDot], part: "header")
        guard let algorithmName = header["alg"]?.stringValue else { throw .malformedToken(reason: "the header has no alg") }
        guard let algorithm = JWTSettings.Algorithm(rawValue: algorithmName), settings.algorithms.contains(algorithm) else {
            throw .algorithmNotAllowed
        }
        if header["crit"] != nil { throw .malformedToken(reason: "critical header parameters are not supported") }
        guard let signature = Base64URL.decode(token[(secondDot + 1)...]) else {
            throw .malformedToken(reason: "the signature is not base64url")
        }
        let signingInput = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(token)[..<secondDot])
        switch algorithm {
        case .hs256:
            guard let hmacKey else { throw .algorithmNotAllowed }
            let expected = OpenSSLCrypto.hmacSHA256(key: hmacKey, message: signingInput)
            guard !expected.isEmpty, ConstantTime.equals(expected, signature) else { throw .badSignature }
        case .rs256:
            guard let rsaKey else { throw .algorithmNotAllowed }
            guard OpenSSLCrypto.verifyRS256(signature: signature, message: signingInput, key: rsaKey) else { throw .badSignature }
        }

        let claims = try decodeObject(token[(firstDot + 1)..<secondDot], part: "payload")
        try checkTimes(claims, now: now.seconds)
        if let issuer = settings.issuer {
            guard claims["iss"]?.stringValue == issuer else { throw .wrongIssuer }
        }
        if let audience = settings.audience {
            switch claims["aud"] {
            case .string(let single)?: guard single == audience else { throw .wrongAudience }
            case .array(let list)?: guard list.contains(.string(audience)) else { throw .wrongAudience }
            default: throw .wrongAudience
            }
        }
        guard let subject = claims["sub"]?.stringValue, UserIdentifier.isValid(subject) else {
            throw .malformedToken(reason: "sub must be a user id (1 to 128 printable ASCII characters without spaces or '/')")
        }
        return Principal(userID: subject, roles: try roles(from: claims))
    }

    private func decodeObject(_ part: Slice<UnsafeBufferPointer<UInt8>>, part name: String) throws(AuthError) -> [String: JSONValue] {
        guard let bytes = Base64URL.decode(part) else { throw .malformedToken(reason: "the \(name) is not base64url") }
        guard case .object(let object)? = try? JSONValue.parse(bytes) else {
            throw .malformedToken(reason: "the \(name) is not a JSON object")
        }
        return object
    }

    private func checkTimes(_ claims: [String: JSONValue], now: Double) throws(AuthError) {
        let leeway = settings.leewaySeconds
        switch claims["exp"] {
        case nil:
            if settings.requireExpiry { throw .malformedToken(reason: "the exp claim is required") }
        case let value?:
            guard let expiry = value.doubleValue else { throw .malformedToken(reason: "exp must be a number") }
            // RFC 7519 §4.1.4: the token must not be accepted on or after its expiry.
            if now >= expiry + leeway { throw .expired }
        }
        if let value = claims["nbf"] {
            guard let notBefore = value.doubleValue else { throw .malformedToken(reason: "nbf must be a number") }
            if now + leeway < notBefore { throw .notYetValid }
        }
    }

    private func roles(from claims: [String: JSONValue]) throws(AuthError) -> [String] {
        switch claims[settings.rolesClaim] {
        case nil, .null?:
            return settings.defaultRoles
        case .string(let spaceSeparated)?:
            return spaceSeparated.split(separator: " ").map(String.init)
        case .array(let items)?:
            var roles: [String] = []
            for item in items {
                guard let role = item.stringValue else { throw .malformedToken(reason: "\(settings.rolesClaim) must hold strings") }
                roles.append(role)
            }
            return roles
        default:
            throw .malformedToken(reason: "\(settings.rolesClaim) must be an array of strings or a string")
        }
    }
}
