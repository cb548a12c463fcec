/// The two published demo keys shipped in `config/isolationd.json` (and documented in README).
///
/// They exist so the service works out of the box; anyone can read them, so the server logs a
/// warning at start while they are accepted, and a configuration that lists one of their hashes
/// must say so with `auth.demo_keys: true` (a copied file with the flag turned off fails fast).
public enum DemoAPIKeys {
    public struct Key: Sendable, Equatable {
        public var userID: String
        public var roles: [String]
        /// The bearer token a client sends.
        public var key: String
        /// Lowercase hex SHA-256 of `key`, as the configuration stores it.
        public var sha256: String
    }

    /// `demo-alice`, roles user and admin.
    public static let alice = Key(userID: "demo-alice", roles: ["user", "admin"],
                                  key: "isod-demo-alice-2c2fc452d01d7aa25a42090a",
                                  sha256: "aae06fd6449a369961bb10af5ac7b0c95455951a3907b18b999e936fc86147e3")
    /// `demo-bob`, role user.
    public static let bob = Key(userID: "demo-bob", roles: ["user"],
                                key: "isod-demo-bob-5bf60a38c010deed19ba9ad9",
                                sha256: "ef5fa3244b285a4772a19f30bdd7b6cfbcff60df0794ef11970b7cd5073cd1a9")

    public static let all = [alice, bob]

    /// True when `sha256` (lowercase hex) is one of the published demo keys' hashes.
    public static func isDemoHash(_ sha256: String) -> Bool { all.contains { $0.sha256 == sha256 } }
}
