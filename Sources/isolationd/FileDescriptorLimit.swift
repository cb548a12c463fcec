#if canImport(Glibc)
import Glibc
#endif

/// Raising the soft RLIMIT_NOFILE at start: every connection, agent pipe and listener is a file
/// descriptor, and the common default soft limit (1024) is far below `server.max_connections`.
/// Only the soft limit moves, never above the hard limit (raising that needs privileges).
enum FileDescriptorLimit {
    /// What the limit was and became.
    struct Outcome: Equatable {
        /// The soft limit before and after (the same when no change was needed or allowed).
        var previousSoft: UInt64, soft: UInt64
        /// The ceiling of the soft limit, and `maxConnections + headroom`.
        var hard: UInt64, wanted: UInt64
        /// The soft limit covers what was wanted.
        var sufficient: Bool { soft >= wanted }
    }

    /// Descriptors kept for listeners, agent pipes, the epoll and wake descriptors, logs.
    static let headroom = 1024

    /// Raises the soft limit to `maxConnections + headroom` (or the hard limit, if lower);
    /// never lowers it. Nil when the limit cannot even be read.
    static func raise(forConnections maxConnections: Int) -> Outcome? {
        let wanted = UInt64(clamping: maxConnections).addingReportingOverflow(UInt64(headroom))
        let target = wanted.overflow ? UInt64.max : wanted.partialValue
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return nil }
        let previous = UInt64(limit.rlim_cur)
        let hard = UInt64(limit.rlim_max)
        var outcome = Outcome(previousSoft: previous, soft: previous, hard: hard, wanted: target)
        let goal = min(target, hard)
        guard goal > previous else { return outcome }
        limit.rlim_cur = rlim_t(goal)
        // A refused call leaves the limit as it was, and the outcome says so.
        if setrlimit(resource, &limit) == 0 { outcome.soft = goal }
        return outcome
    }

    private static var resource: __rlimit_resource_t { __rlimit_resource_t(RLIMIT_NOFILE.rawValue) }
}
