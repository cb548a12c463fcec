import ExecutionCore
import HTTPServer

/// Turns an `Authorization` header into a `Principal`, or says why not.
///
/// Built once at start from `AuthSettings` (that is when the RS256 key is read and checked);
/// after that it is immutable and safe to call from every event loop at once. Per request it
/// does one SHA-256 (API key) or one signature check (JWT); it keeps no cache, so a removed
/// key stops working at the next restart and nothing about presented credentials lingers.
public struct Authenticator: Sendable {
    public let mode: AuthSettings.Mode
    private let apiKeys: APIKeyTable
    private let jwt: JWTVerifier?
    private let clock: any ExecutionClock
    /// Longest accepted API key.
    private let maxKeyBytes = 4096
    /// Longest token looked at at all.
    static let maxHeaderTokenBytes = 65_536

    /// Throws when the JWT keys cannot be loaded (an unreadable file, a PEM that holds no RSA
    /// public key of at least 2048 bits); the error names the setting.
    public init(settings: AuthSettings, clock: any ExecutionClock = SystemClock()) throws(AuthSettingsError) {
        mode = settings.mode
        if settings.mode != .apiKeys && settings.jwt == nil {
            throw .jwtSettingsMissing(mode: settings.mode)
        }
        apiKeys = APIKeyTable(keys: settings.mode == .jwt ? [] : settings.apiKeys)
        jwt = try settings.jwt.map { (jwt) throws(AuthSettingsError) in try JWTVerifier(settings: jwt) }
        self.clock = clock
    }

    /// The principal for an `Authorization` header value (nil: the header is absent).
    public func authenticate(authorization: String?) throws(AuthError) -> Principal {
        guard var header = authorization else { throw .missingCredentials }
        // withUTF8 rethrows untyped errors, so the typed result travels out as a Result.
        let result = header.withUTF8 { bytes in
            Result { () throws(AuthError) -> Principal in try authenticate(headerBytes: bytes) }
        }
        return try result.get()
    }

    /// The principal for a request's headers; several `Authorization` fields are malformed.
    public func authenticate(headers: HTTPHeaders) throws(AuthError) -> Principal {
        let values = headers.values("Authorization")
        guard values.count <= 1 else { throw .malformedHeader }
        return try authenticate(authorization: values.first)
    }

    private func authenticate(headerBytes: UnsafeBufferPointer<UInt8>) throws(AuthError) -> Principal {
        // The kinds check their own, smaller limits and say which was exceeded.
        let range = try BearerCredentials.tokenRange(in: headerBytes, maxBytes: Authenticator.maxHeaderTokenBytes)
        let token = UnsafeBufferPointer(rebasing: headerBytes[range])
        if let jwt, mode == .jwt || (mode == .apiKeysOrJWT && Authenticator.dotCount(token) == 2) {
            return try jwt.verify(token, now: clock.now())
        }
        guard mode != .jwt else { throw .malformedToken(reason: "a JWT has three dot-separated parts") }
        guard token.count <= maxKeyBytes, let principal = apiKeys.principal(forKey: UnsafeRawBufferPointer(token)) else {
            throw .unknownAPIKey
        }
        return principal
    }

    private static func dotCount(_ token: UnsafeBufferPointer<UInt8>) -> Int {
        var count = 0
        for byte in token where byte == UInt8(ascii: ".") { count += 1 }
        return count
    }
}
