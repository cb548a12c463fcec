#if canImport(Glibc)
import Glibc
#endif
import Platform

/// A child's four descriptors as the supervisor holds them: each with its reactor registration.
struct ChildDescriptors {
    enum Slot: CaseIterable { case stdin, stdout, stderr, pidfd }

    /// One descriptor: -1 once closed (or never opened: a child without a pidfd).
    struct Watched {
        var fd: Int32 = -1
        var token: ReactorToken?
        var isOpen: Bool { fd >= 0 }
    }

    private var stdin: Watched
    private var stdout: Watched
    private var stderr: Watched
    private var pidfd: Watched

    init(_ child: SpawnedChild) {
        stdin = Watched(fd: child.stdinFD)
        stdout = Watched(fd: child.stdoutFD)
        stderr = Watched(fd: child.stderrFD)
        pidfd = Watched(fd: child.pidFD)
    }

    subscript(slot: Slot) -> Watched {
        get {
            switch slot {
            case .stdin: stdin
            case .stdout: stdout
            case .stderr: stderr
            case .pidfd: pidfd
            }
        }
        set {
            switch slot {
            case .stdin: stdin = newValue
            case .stdout: stdout = newValue
            case .stderr: stderr = newValue
            case .pidfd: pidfd = newValue
            }
        }
    }
}

/// The stdin document still to be written to a child.
struct StdinFeed {
    var pending: [UInt8]
    var offset = 0
    var isDone: Bool { offset >= pending.count }
}

/// What a child's stdout has produced so far: bytes counted against the limit, the line being
/// assembled, the number of lines seen.
struct StdoutProgress {
    let limit: Int
    var byteCount = 0
    var lineNumber = 0
    /// Bytes of an incomplete line.
    var partialLine: [UInt8] = []
}

/// The last `keep` bytes of a child's stderr, for failure messages.
struct StderrTail {
    let keep: Int
    private(set) var bytes: [UInt8] = []

    init(keep: Int) { self.keep = keep }

    mutating func append(_ chunk: UnsafeRawBufferPointer) {
        guard keep > 0 else { return }
        bytes.append(contentsOf: chunk)
        if bytes.count > keep { bytes.removeFirst(bytes.count - keep) }
    }

    /// What an exec wrapper of ours (setpriv, prlimit) said when it could not execute the next
    /// program ("setpriv: failed to execute /path: No such file or directory"), or nil. The
    /// agent itself never ran then: the run failed to spawn, whatever the exit status says.
    var wrapperExecFailure: String? {
        let text = String(decoding: bytes, as: UTF8.self)
        for line in text.split(separator: "\n") {
            for wrapper in ["setpriv: failed to execute ", "prlimit: failed to execute "] where line.hasPrefix(wrapper) {
                return "cannot execute " + line.dropFirst(wrapper.count)
            }
        }
        return nil
    }

    /// The last line or so, trimmed; nil when empty.
    var summary: String? {
        var text = String(decoding: bytes.suffix(300), as: UTF8.self)
        while text.last?.isWhitespace == true { text.removeLast() }
        return text.isEmpty ? nil : text
    }
}

/// The reactor timers a child run holds: the kill deadline (cancel grace, or exit grace after
/// the agent's final event) and, for a child without a pidfd, the next exit poll.
struct ChildTimers {
    var killDeadline: UInt64?
    var killTimer: ReactorTimerID?
    /// The exit grace after the final event has been requested (once per run).
    var exitGraceRequested = false
    var exitPoll: ReactorTimerID?
}
