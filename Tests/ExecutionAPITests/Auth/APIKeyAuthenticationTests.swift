@testable import ExecutionAPI
import ExecutionCore
import HTTPServer
import Testing

@Suite("API key authentication")
struct APIKeyAuthenticationTests {
    let authenticator: Authenticator

    init() throws {
        authenticator = try Authenticator(settings: AuthSettings())
    }

    private func authenticate(_ header: String?) -> Result<Principal, AuthError> {
        Result { () throws(AuthError) -> Principal in try authenticator.authenticate(authorization: header) }
    }

    @Test("the demo keys authenticate their users with their roles")
    func demoKeys() throws {
        let alice = try authenticator.authenticate(authorization: "Bearer \(DemoAPIKeys.alice.key)")
        #expect(alice == Principal(userID: "demo-alice", roles: ["user", "admin"]))
        #expect(alice.isAdmin)
        let bob = try authenticator.authenticate(authorization: "Bearer \(DemoAPIKeys.bob.key)")
        #expect(bob == Principal(userID: "demo-bob", roles: ["user"]))
        #expect(!bob.isAdmin)
    }

    @Test("the scheme is case-insensitive and surrounding blanks are allowed")
    func schemeForms() throws {
        #expect(try authenticator.authenticate(authorization: "bearer \(DemoAPIKeys.bob.key)").userID == "demo-bob")
        #expect(try authenticator.authenticate(authorization: "  BEARER   \(DemoAPIKeys.bob.key)  ").userID == "demo-bob")
    }

    @Test("a wrong key is unknown, including one differing in a single character")
    func wrongKeys() {
        var almost = DemoAPIKeys.alice.key
        almost.removeLast()
        almost.append("b")
        for key in ["isod-demo-carol-000000000000", almost, String(DemoAPIKeys.alice.key.dropLast()), DemoAPIKeys.alice.sha256] {
            #expect(authenticate("Bearer \(key)") == .failure(.unknownAPIKey))
        }
    }

    @Test("no header is missing credentials")
    func missing() {
        #expect(authenticate(nil) == .failure(.missingCredentials))
        #expect(throws: AuthError.missingCredentials) { try authenticator.authenticate(headers: HTTPHeaders()) }
    }

    @Test("headers that are not Bearer <token68> are malformed", arguments: [
        "", "Bearer", "Bearer ", "Basic ZGVtbzpkZW1v", "Bearerabc", "Bearer a b", "Bearer ab=c", "Bearer =abc",
        "Bearer käse", "Bearer a,b", "Token abc",
    ])
    func malformed(_ header: String) {
        #expect(authenticate(header) == .failure(.malformedHeader))
    }

    @Test("two Authorization fields are malformed")
    func duplicateHeader() throws {
        let headers: HTTPHeaders = HTTPHeaders([("Authorization", "Bearer \(DemoAPIKeys.alice.key)"),
                                                ("Authorization", "Bearer \(DemoAPIKeys.bob.key)")])
        #expect(throws: AuthError.malformedHeader) { try authenticator.authenticate(headers: headers) }
        let one: HTTPHeaders = ["authorization": "Bearer \(DemoAPIKeys.alice.key)"]
        #expect(try authenticator.authenticate(headers: one).userID == "demo-alice")
    }

    @Test("an oversized token is refused without hashing it")
    func oversized() {
        #expect(authenticate("Bearer " + String(repeating: "a", count: 20_000)) == .failure(.unknownAPIKey))
        #expect(authenticate("Bearer " + String(repeating: "a", count: 70_000)) == .failure(.malformedHeader))
    }

    @Test("configured keys come from the configuration, not from the demo list")
    func configuredKeys() throws {
        let key = "prod-key-for-carol-7f3a9c"
        var settings = AuthSettings()
        settings.demoKeys = false
        settings.apiKeys = [AuthSettings.APIKey(userID: "carol", roles: ["user"], sha256: OpenSSLCrypto.sha256(key).hex)]
        #expect(!settings.demoKeysActive)
        let custom = try Authenticator(settings: settings)
        #expect(try custom.authenticate(authorization: "Bearer \(key)") == Principal(userID: "carol", roles: ["user"]))
        #expect(throws: AuthError.unknownAPIKey) { try custom.authenticate(authorization: "Bearer \(DemoAPIKeys.alice.key)") }
    }
}

@Suite("Authenticator construction")
struct AuthenticatorConstructionTests {
    @Test("settings built in code without a JWT section cannot accept JWTs")
    func jwtModeNeedsSettings() {
        var settings = AuthSettings()
        settings.mode = .jwt
        #expect(throws: AuthSettingsError.jwtSettingsMissing(mode: .jwt)) {
            try Authenticator(settings: settings)
        }
        #expect(AuthSettingsError.jwtSettingsMissing(mode: .jwt).keyPath == "auth.jwt")
        #expect(AuthSettingsError.jwtSettingsMissing(mode: .jwt).message == "auth.jwt must be an object when auth.mode is jwt")
    }
}

@Suite("Authentication primitives")
struct AuthPrimitiveTests {
    @Test("constant-time equality is equality")
    func constantTime() {
        let a: [UInt8] = Array(0..<32)
        #expect(ConstantTime.equals(a, a))
        #expect(ConstantTime.equals([], []))
        for index in [0, 15, 31] {
            var b = a
            b[index] ^= 0x01
            #expect(!ConstantTime.equals(a, b))
            b[index] ^= 0x81 // restores bit 0 and flips bit 7
            #expect(!ConstantTime.equals(a, b))
        }
        #expect(!ConstantTime.equals(a, Array(a.dropLast())))
        #expect(!ConstantTime.equals([0], []))
        let x = OpenSSLCrypto.sha256("x"), y = OpenSSLCrypto.sha256("y")
        #expect(x.constantTimeEquals(OpenSSLCrypto.sha256("x")))
        #expect(!x.constantTimeEquals(y))
    }

    @Test("SHA-256 through OpenSSL matches the FIPS 180-2 vector and the shipped demo hashes")
    func sha256() {
        #expect(OpenSSLCrypto.sha256("abc").hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(OpenSSLCrypto.sha256("").hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        for demo in DemoAPIKeys.all { #expect(OpenSSLCrypto.sha256(demo.key).hex == demo.sha256) }
        #expect(SHA256Digest(hex: DemoAPIKeys.bob.sha256)?.hex == DemoAPIKeys.bob.sha256)
        #expect(SHA256Digest(hex: "xyz") == nil)
    }

    @Test("HMAC-SHA256 matches RFC 4231 test case 2")
    func hmac() {
        let mac = Array("what do ya want for nothing?".utf8).withUnsafeBytes {
            OpenSSLCrypto.hmacSHA256(key: Array("Jefe".utf8), message: $0)
        }
        let hex = mac.map { byte -> String in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
        #expect(hex == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test("base64url round-trips every length and refuses non-canonical text")
    func base64url() {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let encoded = Base64URL.encode(bytes)
            #expect(!encoded.contains("=") && !encoded.contains("+") && !encoded.contains("/"))
            #expect(Base64URL.decode(encoded) == bytes)
        }
        #expect(Base64URL.encode(Array("hello?>".utf8)) == "aGVsbG8_Pg")
        #expect(Base64URL.decode("aGVsbG8_Pg") == Array("hello?>".utf8))
        #expect(Base64URL.decode("aGVsbG8/Pg") == nil)  // standard alphabet
        #expect(Base64URL.decode("aGVsbG8_Pg==") == nil) // padding
        #expect(Base64URL.decode("aGVsbG8_Ph") == nil)   // non-zero leftover bits
        #expect(Base64URL.decode("a") == nil)            // impossible length
    }

    @Test("user ids follow the context id rule")
    func userIDs() {
        #expect(UserIdentifier.isValid("demo-alice"))
        #expect(!UserIdentifier.isValid(""))
        #expect(!UserIdentifier.isValid("a b"))
        #expect(!UserIdentifier.isValid("a/b"))
        #expect(!UserIdentifier.isValid("é"))
        #expect(!UserIdentifier.isValid(String(repeating: "a", count: 129)))
        #expect(UserIdentifier.isValid(String(repeating: "a", count: 128)))
    }
}
