import Glibc

/// Runs blocking socket work on a fresh POSIX thread and awaits it, so test clients never block
/// the cooperative thread pool (on a 2-core machine two blocked tests would stall every other task).
public enum BlockingIO {
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let job = BlockingJob {
                do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
            }
            let context = Unmanaged.passRetained(job).toOpaque()
            var thread = pthread_t()
            var attributes = pthread_attr_t()
            pthread_attr_init(&attributes)
            pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
            let created = pthread_create(&thread, &attributes, { raw in
                guard let raw else { return nil }
                Unmanaged<BlockingJob>.fromOpaque(raw).takeRetainedValue().work()
                return nil
            }, context)
            pthread_attr_destroy(&attributes)
            if created != 0 {
                Unmanaged<BlockingJob>.fromOpaque(context).release()
                continuation.resume(throwing: RawHTTPClientError.system("pthread_create", created))
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

private final class BlockingJob: Sendable {
    let work: @Sendable () -> Void
    init(_ work: @escaping @Sendable () -> Void) { self.work = work }
}
