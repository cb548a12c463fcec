#if canImport(Glibc)
import Glibc
#endif
import Platform
import Synchronization
import VisibleLocks

/// The write end of the self-pipe, read by the signal handler. A global `Atomic` so the handler
/// (which may run on any thread, at any moment) reads it without a lock; lock-free atomic loads
/// are async-signal-safe. Set before the handlers are installed, never changed afterwards.
private let signalPipeWriteEnd = Atomic<Int32>(-1)

/// SIGTERM and SIGINT without Foundation: `sigaction` handlers write the signal number to a
/// self-pipe; a small dedicated thread reads it.
///
/// - The first signal runs `onFirstSignal` on a thread of its own (it may block, for instance
///   while the server drains), so the watcher stays free to see a second signal.
/// - A second signal ends the process at once with 128 + the signal number (130 for SIGINT,
///   143 for SIGTERM), as a shell would report it.
///
/// Handlers (unlike a blocked signal mask) are reset to the default in exec'd children, so agent
/// processes spawned later are unaffected. SIGPIPE is ignored: a client that goes away must
/// never kill the server (children inherit SIG_IGN; the spawner resets it with POSIX_SPAWN_SETSIGDEF).
public enum SignalHandling {
    /// Installs the handlers once; later calls are ignored.
    public static func install(onFirstSignal: @escaping @Sendable (Int32) -> Void) {
        guard installed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        signal(SIGPIPE, SIG_IGN)
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        // A full pipe (signals arriving faster than the watcher reads) must not block the handler.
        _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)
        signalPipeWriteEnd.store(fds[1], ordering: .releasing)

        let readEnd = fds[0]
        startThread {
            var seen = 0
            while true {
                var byte: UInt8 = 0
                let count = read(readEnd, &byte, 1)
                if count < 0 && errno == EINTR { continue }
                guard count == 1 else { return }
                seen += 1
                let signalNumber = Int32(byte)
                if seen == 1 {
                    startThread { onFirstSignal(signalNumber) }
                } else {
                    _exit(128 + signalNumber)
                }
            }
        }

        for signalNumber in [SIGTERM, SIGINT] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { received in
                let savedErrno = errno
                var byte = UInt8(truncatingIfNeeded: received)
                _ = write(signalPipeWriteEnd.load(ordering: .relaxed), &byte, 1)
                errno = savedErrno
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(signalNumber, &action, nil)
        }
    }


    private static let installed = Atomic<Bool>(false)

    /// Runs `body` on a new detached POSIX thread (no Foundation `Thread`).
    static func startThread(_ body: @escaping @Sendable () -> Void) {
        // The handle is dropped unjoined, which detaches the thread (ReactorThread's rule).
        do {
            _ = try ReactorThread.start(name: "isolationd-signals", body)
        } catch {
            // No thread: run inline rather than lose the work (only under resource exhaustion).
            body()
        }
    }
}

/// Remembers the first termination signal so it can be awaited, even when it arrived before
/// anyone waited (handlers are installed before the server starts, so none is lost).
public final class TerminationLatch: Sendable {
    private enum State {
        case waiting([CheckedContinuation<Int32, Never>])
        case signalled(Int32)
    }
    private let state = VisibleMutex(State.waiting([]))

    public init() {}

    /// Records `signalNumber` (the first call wins) and wakes every waiter.
    public func signal(_ signalNumber: Int32) {
        let waiters: [CheckedContinuation<Int32, Never>] = state.withLock { state in
            guard case .waiting(let waiters) = state else { return [] }
            state = .signalled(signalNumber)
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: signalNumber) }
    }

    /// The first signal's number, as soon as there is one.
    public func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            let already: Int32? = state.withLock { state in
                switch state {
                case .signalled(let number): return number
                case .waiting(var waiters):
                    waiters.append(continuation)
                    state = .waiting(waiters)
                    return nil
                }
            }
            if let already { continuation.resume(returning: already) }
        }
    }
}
