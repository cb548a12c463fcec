#if canImport(Glibc)
import Glibc
#endif
import CPlatform
import VisibleLocks

/// The one way the service starts a thread of its own (a reactor's loop, a log writer): a POSIX
/// thread with a name, outside Swift concurrency's pool, joined once. Blocking work belongs on
/// such a thread, never on the cooperative pool.
public final class ReactorThread: Sendable {
    public let name: String
    /// The thread until it is joined (or detached when the handle goes away unjoined).
    private let handle: VisibleMutex<pthread_t?>

    private init(name: String, thread: pthread_t) {
        self.name = name
        handle = VisibleMutex(thread)
    }

    /// Starts a thread named `name` (the kernel keeps 15 bytes of it) running `body`.
    public static func start(name: String, _ body: @escaping @Sendable () -> Void) throws(PlatformError) -> ReactorThread {
        let start = ThreadStart(name: name, body: body)
        let context = Unmanaged.passRetained(start).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            let start = Unmanaged<ThreadStart>.fromOpaque(raw).takeRetainedValue()
            start.name.withCString { cplatform_set_thread_name($0) }
            start.body()
            return nil
        }, context)
        guard result == 0 else {
            Unmanaged<ThreadStart>.fromOpaque(context).release()
            throw PlatformError("pthread_create", code: result)
        }
        return ReactorThread(name: name, thread: thread)
    }

    /// Waits until the thread's body has returned. Idempotent; from the thread itself (which
    /// cannot wait for itself) it returns at once and leaves the thread to end on its own.
    public func join() {
        let thread = handle.withLock { thread -> pthread_t? in
            defer { thread = nil }
            return thread
        }
        guard let thread else { return }
        if pthread_equal(thread, pthread_self()) != 0 {
            pthread_detach(thread)
        } else {
            pthread_join(thread, nil)
        }
    }

    deinit {
        // Never joined: let the thread release its resources when it ends.
        if let thread = handle.withLock({ $0 }) { pthread_detach(thread) }
    }
}

/// Carries the name and body into the new thread (as a retained raw pointer: pthread_create
/// takes a C context, not a Swift closure).
private final class ThreadStart: Sendable {
    let name: String
    let body: @Sendable () -> Void
    init(name: String, body: @escaping @Sendable () -> Void) {
        self.name = name
        self.body = body
    }
}
