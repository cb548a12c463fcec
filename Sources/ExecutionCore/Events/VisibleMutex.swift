import Synchronization

/// `Synchronization.Mutex` whose ordering ThreadSanitizer can see.
///
/// On Linux, `Mutex` hands a contended lock over inside the kernel (FUTEX_LOCK_PI /
/// FUTEX_UNLOCK_PI), with no instrumented atomic on that path, so TSan misses the happens-before
/// edge and reports every contended critical section as a race (reproduced with four threads
/// incrementing one `Mutex`-guarded counter: correct total, TSan "Swift access race"). Each
/// critical section here also does an acquire load and a release store of one atomic — plain
/// moves on x86-64 and ARM64, so free in production — which TSan does see; its reports then
/// mean real races.
struct VisibleMutex<Value: ~Copyable>: ~Copyable, Sendable {
    private let mutex: Mutex<Value>
    private let handoff = Atomic<UInt8>(0)

    init(_ value: consuming sending Value) {
        mutex = Mutex(value)
    }

    func withLock<Result>(_ body: (inout sending Value) -> sending Result) -> sending Result {
        mutex.withLock { value in
            _ = handoff.load(ordering: .acquiring)
            let result = body(&value)
            handoff.store(0, ordering: .releasing)
            return result
        }
    }
}
