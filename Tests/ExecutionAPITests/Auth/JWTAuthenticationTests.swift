@testable import ExecutionAPI
import ExecutionCore
import Testing

@Suite("JWT authentication")
struct JWTAuthenticationTests {
    static let secret = "hs256-test-secret-of-at-least-32-bytes!"
    static let now: Int64 = 1_767_225_600 // 2026-01-01T00:00:00Z
    let clock = FixedClock(time: Timestamp(nanoseconds: JWTAuthenticationTests.now * 1_000_000_000))

    /// Auth settings in `mode` with JWT settings as written in code, `adjust`ed from the defaults
    /// (the configuration's reading of them is tested in IsolationdConfigurationTests).
    func settings(mode: AuthSettings.Mode = .jwt, _ adjust: (inout JWTSettings) -> Void) -> AuthSettings {
        var jwt = JWTSettings()
        adjust(&jwt)
        var auth = AuthSettings()
        auth.mode = mode
        auth.jwt = jwt
        return auth
    }

    func hsAuthenticator(_ adjust: (inout JWTSettings) -> Void = { _ in }) throws -> Authenticator {
        try Authenticator(settings: settings { jwt in
            jwt.algorithms = [.hs256]
            jwt.hs256Secret = Self.secret
            jwt.leewaySeconds = 30
            adjust(&jwt)
        }, clock: clock)
    }

    func claims(_ extra: [String: JSONValue] = [:], exp: Int64? = now + 600) -> JSONValue {
        var claims: [String: JSONValue] = ["sub": .string("jwt-user"), "roles": .array([.string("user")])]
        if let exp { claims["exp"] = .integer(exp) }
        claims.merge(extra) { _, new in new }
        return .object(claims)
    }

    func outcome(_ authenticator: Authenticator, _ token: String) -> Result<Principal, AuthError> {
        Result { () throws(AuthError) -> Principal in try authenticator.authenticate(authorization: "Bearer \(token)") }
    }

    @Test("a valid HS256 token authenticates its subject with its roles")
    func validHS256() throws {
        let auth = try hsAuthenticator()
        let principal = try auth.authenticate(authorization: "Bearer \(TestJWT.hs256(claims(["roles": .array([.string("user"), .string("admin")])]), secret: Self.secret))")
        #expect(principal == Principal(userID: "jwt-user", roles: ["user", "admin"]))
        let spaced = TestJWT.hs256(claims(["roles": .string("user auditor")]), secret: Self.secret)
        #expect(outcome(auth, spaced) == .success(Principal(userID: "jwt-user", roles: ["user", "auditor"])))
        let noRoles = TestJWT.hs256(.object(["sub": .string("u2"), "exp": .integer(Self.now + 60)]), secret: Self.secret)
        #expect(outcome(auth, noRoles) == .success(Principal(userID: "u2", roles: ["user"])))
    }

    @Test("expiry and not-before are enforced with the configured leeway")
    func times() throws {
        let auth = try hsAuthenticator()
        #expect(outcome(auth, TestJWT.hs256(claims(exp: Self.now - 31), secret: Self.secret)) == .failure(.expired))
        #expect(outcome(auth, TestJWT.hs256(claims(exp: Self.now - 30), secret: Self.secret)) == .failure(.expired))
        #expect(outcome(auth, TestJWT.hs256(claims(exp: Self.now - 29), secret: Self.secret)).isSuccess)
        #expect(outcome(auth, TestJWT.hs256(claims(["nbf": .integer(Self.now + 31)]), secret: Self.secret)) == .failure(.notYetValid))
        #expect(outcome(auth, TestJWT.hs256(claims(["nbf": .integer(Self.now + 30)]), secret: Self.secret)).isSuccess)
        #expect(outcome(auth, TestJWT.hs256(claims(exp: nil), secret: Self.secret))
                == .failure(.malformedToken(reason: "the exp claim is required")))
        #expect(outcome(auth, TestJWT.hs256(claims(["exp": .string("soon")]), secret: Self.secret))
                == .failure(.malformedToken(reason: "exp must be a number")))
    }

    @Test("issuer and audience are checked when configured")
    func issuerAndAudience() throws {
        let auth = try hsAuthenticator { jwt in
            jwt.issuer = "https://idp.example"
            jwt.audience = "isolationd"
        }
        let good = claims(["iss": .string("https://idp.example"), "aud": .string("isolationd")])
        #expect(outcome(auth, TestJWT.hs256(good, secret: Self.secret)).isSuccess)
        let inList = claims(["iss": .string("https://idp.example"), "aud": .array([.string("other"), .string("isolationd")])])
        #expect(outcome(auth, TestJWT.hs256(inList, secret: Self.secret)).isSuccess)
        let wrongIssuer = claims(["iss": .string("https://evil.example"), "aud": .string("isolationd")])
        #expect(outcome(auth, TestJWT.hs256(wrongIssuer, secret: Self.secret)) == .failure(.wrongIssuer))
        let wrongAudience = claims(["iss": .string("https://idp.example"), "aud": .string("other")])
        #expect(outcome(auth, TestJWT.hs256(wrongAudience, secret: Self.secret)) == .failure(.wrongAudience))
        let noAudience = claims(["iss": .string("https://idp.example")])
        #expect(outcome(auth, TestJWT.hs256(noAudience, secret: Self.secret)) == .failure(.wrongAudience))
    }

    @Test("alg none is refused, signed or not")
    func algNone() throws {
        let auth = try hsAuthenticator()
        let header = Base64URL.encode(JSONValue.object(["alg": .string("none")]).serialized())
        let payload = Base64URL.encode(claims().serialized())
        #expect(outcome(auth, "\(header).\(payload).") == .failure(.algorithmNotAllowed))
        #expect(outcome(auth, TestJWT.hs256(claims(), secret: Self.secret, alg: "none")) == .failure(.algorithmNotAllowed))
        #expect(outcome(auth, TestJWT.hs256(claims(), secret: Self.secret, alg: "HS512")) == .failure(.algorithmNotAllowed))
    }

    @Test("a tampered payload or a foreign secret fails the signature")
    func tampering() throws {
        let auth = try hsAuthenticator()
        let token = TestJWT.hs256(claims(), secret: Self.secret)
        let parts = token.split(separator: ".").map(String.init)
        let forged = Base64URL.encode(claims(["sub": .string("demo-alice"), "roles": .array([.string("admin")])]).serialized())
        #expect(outcome(auth, "\(parts[0]).\(forged).\(parts[2])") == .failure(.badSignature))
        #expect(outcome(auth, TestJWT.hs256(claims(), secret: Self.secret + "x")) == .failure(.badSignature))
        #expect(outcome(auth, "\(parts[0]).\(parts[1]).\(Base64URL.encode([UInt8](repeating: 0, count: 32)))") == .failure(.badSignature))
    }

    @Test("structural faults are malformed tokens")
    func malformed() throws {
        let auth = try hsAuthenticator()
        #expect(outcome(auth, "only.two") == .failure(.malformedToken(reason: "a JWT has three dot-separated parts")))
        #expect(outcome(auth, "a.b.c.d") == .failure(.malformedToken(reason: "a JWT has three dot-separated parts")))
        #expect(outcome(auth, "%%%.b.c") == .failure(.malformedHeader))
        let notJSON = Base64URL.encode(Array("not json".utf8))
        #expect(outcome(auth, "\(notJSON).\(notJSON).AA") == .failure(.malformedToken(reason: "the header is not a JSON object")))
        let badSub = TestJWT.hs256(claims(["sub": .string("has space")]), secret: Self.secret)
        #expect(outcome(auth, badSub) == .failure(.malformedToken(reason: "sub must be a user id (1 to 128 printable ASCII characters without spaces or '/')")))
        let crit = TestJWT.token(header: .object(["alg": .string("HS256"), "crit": .array([.string("exp")])]), claims: claims()) {
            input in input.withUnsafeBytes { OpenSSLCrypto.hmacSHA256(key: Array(Self.secret.utf8), message: $0) }
        }
        #expect(outcome(auth, crit) == .failure(.malformedToken(reason: "critical header parameters are not supported")))
        let long = TestJWT.hs256(claims(["pad": .string(String(repeating: "p", count: 9000))]), secret: Self.secret)
        #expect(outcome(auth, long) == .failure(.malformedToken(reason: "the token is too long")))
    }

    @Test("in api_keys_or_jwt mode both kinds work; in jwt mode an API key does not")
    func modes() throws {
        let either = try Authenticator(settings: settings(mode: .apiKeysOrJWT) { $0.hs256Secret = Self.secret }, clock: clock)
        #expect(outcome(either, DemoAPIKeys.bob.key) == .success(Principal(userID: "demo-bob", roles: ["user"])))
        #expect(outcome(either, TestJWT.hs256(claims(), secret: Self.secret)).isSuccess)
        let jwtOnly = try hsAuthenticator()
        #expect(outcome(jwtOnly, DemoAPIKeys.bob.key) == .failure(.malformedToken(reason: "a JWT has three dot-separated parts")))
        let keysOnly = try Authenticator(settings: settings(mode: .apiKeys) { $0.hs256Secret = Self.secret }, clock: clock)
        #expect(outcome(keysOnly, TestJWT.hs256(claims(), secret: Self.secret)) == .failure(.unknownAPIKey))
    }

    // MARK: RS256

    /// RS256 with `key`'s public PEM; `alsoHS256` allows HS256 (with its own secret) as well.
    func rsAuthenticator(_ key: GeneratedKey, alsoHS256: Bool = false) throws -> Authenticator {
        try Authenticator(settings: settings { jwt in
            jwt.algorithms = alsoHS256 ? [.rs256, .hs256] : [.rs256]
            jwt.rs256PublicKeyPEM = key.publicPEM
            jwt.hs256Secret = alsoHS256 ? Self.secret : nil
        }, clock: clock)
    }

    @Test("a valid RS256 token authenticates; a token signed by another key does not")
    func validRS256() throws {
        let key = try GeneratedKey.rsa.get()
        let auth = try rsAuthenticator(key)
        #expect(outcome(auth, TestJWT.rs256(claims(), privateKeyPEM: key.privatePEM)) == .success(Principal(userID: "jwt-user", roles: ["user"])))
        let other = try GeneratedKey.otherRSA.get()
        #expect(outcome(auth, TestJWT.rs256(claims(), privateKeyPEM: other.privatePEM)) == .failure(.badSignature))
        let parts = TestJWT.rs256(claims(), privateKeyPEM: key.privatePEM).split(separator: ".").map(String.init)
        let forged = Base64URL.encode(claims(["sub": .string("demo-alice")]).serialized())
        #expect(outcome(auth, "\(parts[0]).\(forged).\(parts[2])") == .failure(.badSignature))
    }

    @Test("HS256 signed with the RS256 public key is refused (algorithm confusion)")
    func algorithmConfusion() throws {
        let key = try GeneratedKey.rsa.get()
        let confused = TestJWT.hs256(claims(), secret: key.publicPEM)
        #expect(outcome(try rsAuthenticator(key), confused) == .failure(.algorithmNotAllowed))
        // With both algorithms allowed, HS256 uses only its own secret: the public key is no secret.
        #expect(outcome(try rsAuthenticator(key, alsoHS256: true), confused) == .failure(.badSignature))
    }

    @Test("the RS256 key can come from a file")
    func keyFile() throws {
        let key = try GeneratedKey.rsa.get()
        let auth = try key.withPublicKeyFile { path in
            try Authenticator(settings: settings { $0.algorithms = [.rs256]; $0.rs256PublicKeyFile = path }, clock: clock)
        }
        #expect(outcome(auth, TestJWT.rs256(claims(), privateKeyPEM: key.privatePEM)).isSuccess)
    }

    @Test("unusable RS256 keys are configuration errors naming the setting")
    func badKeys() throws {
        func error(pem: String? = nil, file: String? = nil) -> AuthSettingsError? {
            do throws(AuthSettingsError) {
                _ = try Authenticator(settings: settings { jwt in
                    jwt.algorithms = [.rs256]
                    jwt.rs256PublicKeyPEM = pem
                    jwt.rs256PublicKeyFile = file
                })
                return nil
            } catch {
                return error
            }
        }
        let notPEM = try #require(error(pem: "not a key"))
        #expect(notPEM.message == "auth.jwt.rs256_public_key_pem must hold an RSA public key in PEM form")
        let missingFile = try #require(error(file: "/nonexistent/key.pem"))
        #expect(missingFile.message.contains("/nonexistent/key.pem"))
        let ec = try GeneratedKey.generate(["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"])
        let ecError = try #require(try ec.withPublicKeyFile { path in error(file: path) })
        #expect(ecError.message == "auth.jwt.rs256_public_key_file must hold an RSA public key in PEM form")
        let small = try GeneratedKey.generate(["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"])
        let smallError = try #require(try small.withPublicKeyFile { path in error(file: path) })
        #expect(smallError.message == "auth.jwt.rs256_public_key_file must be an RSA key of at least 2048 bits, not 1024")
    }
}

extension Result {
    var isSuccess: Bool { if case .success = self { true } else { false } }
}
