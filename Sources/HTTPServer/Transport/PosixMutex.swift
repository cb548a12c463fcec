import Glibc

/// A lock around a value, built on pthread_mutex_t, for the state that threads hand to an event
/// loop (stream writers, WebSocket sessions, the loop's task queue).
///
/// Why not `Synchronization.Mutex`: on Linux its lock is a futex driven from the (uninstrumented)
/// Synchronization library, so ThreadSanitizer cannot see it and reports every contended access
/// as a data race (reproduced with a four-thread counter in Swift 6.3.1). pthread_mutex_lock is
/// intercepted by ThreadSanitizer, so `--sanitize=thread` runs stay meaningful.
///
/// `@unchecked Sendable` is sound: `value` is read and written only inside `withLock`, between
/// pthread_mutex_lock and pthread_mutex_unlock on the mutex this instance owns, and `withLock`
/// does not let a reference to it escape (the body gets it `inout`).
final class PosixMutex<Value: Sendable>: @unchecked Sendable {
    private var value: Value
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    @inline(__always)
    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
