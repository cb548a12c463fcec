import Glibc
import Platform

/// Runs blocking socket work on a fresh POSIX thread and awaits it, so test clients never block
/// the cooperative thread pool (on a 2-core machine two blocked tests would stall every other task).
public enum BlockingIO {
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let work: @Sendable () -> Void = {
                do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
            }
            // The handle is dropped unjoined, which detaches the thread (ReactorThread's rule).
            do throws(PlatformError) {
                _ = try ReactorThread.start(name: "blocking-io", work)
            } catch {
                continuation.resume(throwing: RawHTTPClientError.system("pthread_create", error.code))
            }
        }
    }
}

extension BlockingIO {
    /// Sleeps the calling (blocking) thread; only for use inside `run`.
    public static func sleep(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0, errno == EINTR { request = remaining }
    }
}

