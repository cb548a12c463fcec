#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// ThreadSanitizer cannot see `Synchronization.Mutex` on Linux (its futex lock lives in the
/// uninstrumented standard library), so every access made under the lock looks like a race.
/// `withStreamLock` takes the same lock and, when the process runs under ThreadSanitizer (its
/// runtime's `__tsan_acquire`/`__tsan_release` are found at start), reports the happens-before
/// edge. Outside ThreadSanitizer the hooks are nil and cost one branch. (The core has the same
/// helper for its own locks; it is internal there.)
enum StreamLockTracing {
    typealias Hook = @convention(c) (UnsafeRawPointer?) -> Void

    static let acquire: Hook? = lookup("__tsan_acquire")
    static let release: Hook? = lookup("__tsan_release")

    private static func lookup(_ name: String) -> Hook? {
        dlsym(nil, name).map { unsafeBitCast($0, to: Hook.self) }
    }
}

extension Mutex where Value: ~Copyable {
    /// `withLock`, visible to ThreadSanitizer.
    borrowing func withStreamLock<Result, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        // A Mutex never moves (raw layout): its address identifies the lock to the sanitizer.
        let address = withUnsafePointer(to: self) { UnsafeRawPointer($0) }
        return try withLock { (value: inout sending Value) throws(E) -> sending Result in
            StreamLockTracing.acquire?(address)
            defer { StreamLockTracing.release?(address) }
            return try body(&value)
        }
    }
}
