import Synchronization

/// `Synchronization.Mutex` whose ordering ThreadSanitizer can see. Use it wherever a Mutex would do.
///
/// On Linux, `Mutex` hands a contended lock over inside the kernel (futex), with no instrumented
/// atomic on that path, so TSan misses the happens-before edge and reports every contended
/// critical section as a race (reproduced with four threads incrementing one Mutex-guarded
/// counter: correct total, TSan "Swift access race"). Each critical section here also does an
/// acquire load and a release store of one atomic — plain moves on x86-64 and ARM64, so free in
/// production — which TSan does see: its reports then mean real races.
///
/// Why a module of its own: both `HTTPServer` and `ExecutionCore` need it and must not import
/// each other (ARCHITECTURE.md), so it sits below them, like the C library targets.
public struct VisibleMutex<Value: ~Copyable>: ~Copyable, Sendable {
    @usableFromInline let mutex: Mutex<Value>
    @usableFromInline let handoff = Atomic<UInt8>(0)

    public init(_ value: consuming sending Value) {
        mutex = Mutex(value)
    }

    /// Runs `body` with exclusive access to the value, exactly like `Mutex.withLock`.
    @inlinable
    public borrowing func withLock<Result: ~Copyable, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        try mutex.withLock { (value: inout sending Value) throws(E) -> sending Result in
            _ = handoff.load(ordering: .acquiring)
            defer { handoff.store(0, ordering: .releasing) }
            return try body(&value)
        }
    }
}
