/// Auth settings the `Authenticator` cannot be built from: a JWT mode without JWT settings, an
/// RS256 key that cannot be read or is no RSA public key of at least 2048 bits. `keyPath` names
/// the setting in the configuration's terms ("auth.jwt.rs256_public_key_file"), so the caller
/// can report it as a configuration error; `message` is the whole sentence, key path included.
public struct AuthSettingsError: Error, Sendable, Equatable, CustomStringConvertible {
    public var keyPath: String
    public var message: String

    public init(keyPath: String, message: String) {
        self.keyPath = keyPath
        self.message = message
    }

    public var description: String { message }
}
