import Glibc

/// Why the server could not start.
public enum HTTPServerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A system call failed (name, errno).
    case system(String, Int32)
    /// A configuration value is unusable (which, why).
    case invalidConfiguration(String)
    /// `start()` was called twice, or after `stop()`.
    case alreadyStarted

    public var description: String {
        switch self {
        case .system(let call, let code): "\(call) failed: \(String(cString: strerror(code)))"
        case .invalidConfiguration(let reason): "invalid server configuration: \(reason)"
        case .alreadyStarted: "the server was already started"
        }
    }
}
