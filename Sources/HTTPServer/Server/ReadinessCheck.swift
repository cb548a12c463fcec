/// One condition `/readyz` checks besides the server's own phase (a database the application
/// needs, issue 13): `failure` answers nil while it holds, else why not. It is called for every
/// readiness probe, on a loop thread: it must be a quick read (an atomic, a short lock).
public struct ReadinessCheck: Sendable {
    /// The check's name in the verbose answer (`[+]database ok`).
    public let name: String
    public let failure: @Sendable () -> String?

    public init(name: String, failure: @escaping @Sendable () -> String?) {
        self.name = name
        self.failure = failure
    }
}
