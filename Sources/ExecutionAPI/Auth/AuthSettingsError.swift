/// Auth settings the `Authenticator` cannot be built from. `keyPath` names the setting in the
/// configuration's terms ("auth.jwt.rs256_public_key_file") and `message` is the whole sentence,
/// key path included, so the executable reports it exactly like a configuration error.
public enum AuthSettingsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The mode accepts JWTs but no JWT settings were given.
    case jwtSettingsMissing(mode: AuthSettings.Mode)
    /// RS256 is allowed but neither a PEM nor a key file is set.
    case rs256KeyMissing
    /// The key file could not be opened or read, or is too large (`reason` says which).
    case keyFileUnusable(reason: String)
    /// The PEM (inline or from the file named by `keyPath`) holds no RSA public key.
    case notAnRSAPublicKey(keyPath: String)
    /// An RSA key shorter than 2048 bits.
    case rsaKeyTooShort(keyPath: String, bits: Int)

    public var keyPath: String {
        switch self {
        case .jwtSettingsMissing: "auth.jwt"
        case .rs256KeyMissing: "auth.jwt.rs256_public_key_file"
        case .keyFileUnusable: ""
        case .notAnRSAPublicKey(let keyPath), .rsaKeyTooShort(let keyPath, _): keyPath
        }
    }

    public var message: String {
        switch self {
        case .jwtSettingsMissing(let mode): "auth.jwt must be an object when auth.mode is \(mode.rawValue)"
        case .rs256KeyMissing: "auth.jwt.rs256_public_key_file must be set when RS256 is allowed"
        case .keyFileUnusable(let reason): reason
        case .notAnRSAPublicKey(let keyPath): "\(keyPath) must hold an RSA public key in PEM form"
        case .rsaKeyTooShort(let keyPath, let bits): "\(keyPath) must be an RSA key of at least 2048 bits, not \(bits)"
        }
    }

    public var description: String { message }
}
