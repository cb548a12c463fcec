import ExecutionAPI
import ExecutionCore
@testable import IsolationdConfiguration
import Testing

/// The `auth` section read into the API's settings values, and an authenticator built from them
/// (the authenticator's own behaviour is tested in ExecutionAPITests with settings written in code).
@Suite("Auth section")
struct AuthSectionTests {
    @Test("configured keys come from the configuration, not from the demo list")
    func configuredKeys() throws {
        let key = "prod-key-for-carol-7f3a9c"
        let config = try ServiceConfiguration.parse("""
            {"auth": {"demo_keys": false, "api_keys": [{"user_id": "carol", "roles": ["user"], "sha256": "\(OpenSSLCrypto.sha256(key).hex)"}]}}
            """)
        #expect(!config.auth.demoKeysActive)
        #expect(config.auth.apiKeys == [AuthSettings.APIKey(userID: "carol", roles: ["user"], sha256: OpenSSLCrypto.sha256(key).hex)])
        let custom = try Authenticator(settings: config.auth)
        #expect(try custom.authenticate(authorization: "Bearer \(key)") == Principal(userID: "carol", roles: ["user"]))
        #expect(throws: AuthError.unknownAPIKey) { try custom.authenticate(authorization: "Bearer \(DemoAPIKeys.alice.key)") }
    }

    @Test("every auth.jwt member reaches the JWT settings")
    func jwtMembers() throws {
        let secret = "hs256-test-secret-of-at-least-32-bytes!"
        let config = try ServiceConfiguration.parse("""
            {"auth": {"mode": "api_keys_or_jwt", "jwt": {"algorithms": ["RS256", "HS256"], "hs256_secret": "\(secret)",
             "rs256_public_key_file": "/keys/idp.pem", "issuer": "https://idp.example", "audience": "isolationd",
             "leeway_seconds": 5, "roles_claim": "groups", "default_roles": ["reader"], "require_exp": false,
             "max_token_bytes": 4096}}}
            """)
        #expect(config.auth.mode == .apiKeysOrJWT)
        var expected = JWTSettings()
        expected.algorithms = [.rs256, .hs256]
        expected.hs256Secret = secret
        expected.rs256PublicKeyFile = "/keys/idp.pem"
        expected.issuer = "https://idp.example"
        expected.audience = "isolationd"
        expected.leewaySeconds = 5
        expected.rolesClaim = "groups"
        expected.defaultRoles = ["reader"]
        expected.requireExpiry = false
        expected.maxTokenBytes = 4096
        #expect(config.auth.jwt == expected)
    }

    @Test("the authenticator's refusals become configuration errors with the same key path and message")
    func authenticatorRefusal() {
        var settings = AuthSettings()
        settings.mode = .jwt
        let refusal = AuthSettingsError.jwtSettingsMissing(mode: .jwt)
        #expect(throws: refusal) { try Authenticator(settings: settings) }
        #expect(ConfigurationError(refusal) == ConfigurationError(keyPath: "auth.jwt",
                                                                   message: "auth.jwt must be an object when auth.mode is jwt"))
    }
}
