/// A value that belongs to one reactor's loop: it may be read and changed only on that
/// reactor's thread while `run` is going (tasks, handlers and timers of that reactor), and each
/// access checks it. It lets loop-owned state travel inside `Sendable` values (a task's
/// closure, a handle kept by other threads) without a lock: other threads may hold and pass the
/// box, never open it.
///
/// `@unchecked Sendable` is sound because every access to `storage` is preceded by the
/// precondition that the calling thread is the one running the reactor's loop, and only one
/// thread can run it at a time (`ReactorThreadOwnership.claim`); so `storage` is never touched
/// by two threads at once. Hand-overs between successive loop threads (or from the creating
/// thread) are ordered by the ownership's acquire/release, by thread creation and join, or by
/// the reactor's task queue lock. The initial value is `sending`: its creator keeps no alias.
public final class LoopBound<Value>: @unchecked Sendable {
    private var storage: Value
    private let ownership: ReactorThreadOwnership
    private let reactorName: String

    public init(_ value: sending Value, on reactor: Reactor) {
        storage = value
        ownership = reactor.ownership
        reactorName = reactor.name
    }

    /// For the reactor itself, which binds its own state before it is fully initialised.
    init(_ value: sending Value, ownership: ReactorThreadOwnership, name: String) {
        storage = value
        self.ownership = ownership
        reactorName = name
    }

    /// The value; traps when called off the reactor's running loop thread.
    public var value: Value {
        get {
            check()
            return storage
        }
        _modify {
            check()
            yield &storage
        }
    }

    /// Whether `value` may be used from the calling thread.
    public var isAccessible: Bool { ownership.isCurrent }

    @inline(__always)
    private func check() {
        precondition(ownership.isCurrent, "a value bound to reactor \(reactorName) was used off its loop thread")
    }
}
