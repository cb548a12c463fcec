#if canImport(Glibc)
import Glibc
#endif

/// A system call of the platform layer failed: which call, and its errno.
public struct PlatformError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The failing call, e.g. "epoll_ctl(ADD)".
    public let operation: String
    /// The errno value (or the error number a pthread call returned).
    public let code: Int32

    public init(_ operation: String, code: Int32) {
        self.operation = operation
        self.code = code
    }

    /// The error of a call that just failed and left its reason in errno.
    static func lastError(_ operation: String) -> PlatformError {
        PlatformError(operation, code: errno)
    }

    public var description: String {
        guard let text = strerror(code) else { return "\(operation): error \(code)" }
        return "\(operation): \(String(cString: text))"
    }
}
