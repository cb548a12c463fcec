#if canImport(Glibc)
import Glibc
#endif
import Platform
import Synchronization

/// The write end of the self-pipe, written by the signal handler. A global `Atomic` so the
/// handler (which may run on any thread, at any moment) reads it without a lock; lock-free
/// atomic loads are async-signal-safe. Set before the handlers are installed, never changed.
private let signalPipeWriteEnd = Atomic<Int32>(-1)

/// SIGTERM and SIGINT without Foundation: `sigaction` handlers write the signal number to a
/// self-pipe whose read end is registered with a reactor of its own ("signals"), like any other
/// descriptor; no thread blocks on it.
///
/// - The first signal runs `onFirstSignal` on a thread of its own (it may block, for instance
///   while the server drains), so the reactor stays free to see a second signal.
/// - A second signal ends the process at once with 128 + the signal number (130 for SIGINT,
///   143 for SIGTERM), as a shell would report it.
///
/// Why handlers and not a blocked mask with signalfd: the mask must be blocked in every thread,
/// and threads of Swift's cooperative pool exist before `serve` runs; a signal delivered to one
/// of them would take its default action and kill the process. Handlers (unlike a blocked mask)
/// are also reset to the default in exec'd children, so agent processes are unaffected. SIGPIPE
/// is ignored: a client that goes away must never kill the server (children inherit SIG_IGN;
/// the spawner resets it with POSIX_SPAWN_SETSIGDEF).
public enum SignalHandling {
    /// Installs the handlers once; later calls are ignored. Without a pipe, a reactor or its
    /// thread (resource exhaustion at start-up) the default dispositions stay: a signal then
    /// ends the process at once instead of draining, which the log says.
    public static func install(onFirstSignal: @escaping @Sendable (Int32) -> Void) {
        guard installed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        signal(SIGPIPE, SIG_IGN)
        do {
            let pipe = try PlatformCalls.makePipe()
            // Neither end may block: a full pipe must not stall the handler, and the reactor
            // reads until EAGAIN.
            PlatformCalls.setNonBlocking(pipe.read)
            PlatformCalls.setNonBlocking(pipe.write)
            let reactor = try Reactor(name: "signals")
            let watcher = LoopBound(SignalPipeHandler(readEnd: pipe.read, onFirstSignal: onFirstSignal), on: reactor)
            reactor.execute {
                do {
                    _ = try reactor.register(fd: pipe.read, events: Epoll.input, handler: watcher.value)
                } catch {
                    ConfigurationLoading.report("cannot watch signals: \(error)")
                }
            }
            _ = try ReactorThread.start(name: "signals") { reactor.run() }
            signalPipeWriteEnd.store(pipe.write, ordering: .releasing)
        } catch {
            ConfigurationLoading.report("cannot set up signal handling (\(error)); SIGTERM ends the process without draining")
            return
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
}

/// The self-pipe's read end on the signals reactor: counts the signals and acts on them.
/// Lives only on that reactor's thread (its handler table holds it).
private final class SignalPipeHandler: ReactorHandler {
    let readEnd: Int32
    let onFirstSignal: @Sendable (Int32) -> Void
    var seen = 0

    init(readEnd: Int32, onFirstSignal: @escaping @Sendable (Int32) -> Void) {
        self.readEnd = readEnd
        self.onFirstSignal = onFirstSignal
    }

    func reactorEvents(_ events: UInt32, _ reactor: Reactor) {
        var bytes = [UInt8](repeating: 0, count: 16)
        while true {
            let count = bytes.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return }
            for byte in bytes[0..<count] { received(Int32(byte)) }
        }
    }

    private func received(_ signalNumber: Int32) {
        seen += 1
        guard seen == 1 else { _exit(128 + signalNumber) }
        let action = onFirstSignal
        do {
            // The handle is dropped unjoined, which detaches the thread (ReactorThread's rule).
            _ = try ReactorThread.start(name: "drain") { action(signalNumber) }
        } catch {
            // No thread: run it here rather than lose the drain (only under resource exhaustion;
            // a second signal is then seen only after it returns).
            action(signalNumber)
        }
    }
}
