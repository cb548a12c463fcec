/// Whether the pool can run queries now.
public enum PostgresHealth: Sendable, Equatable {
    /// At least one connection is established.
    case up
    /// No connection is established: `reason` is the last failure (or "connecting" before the
    /// first connection); `since` is the monotonic time (ns, `MonotonicClock`) it went down.
    case down(reason: String, since: UInt64)

    public var isUp: Bool {
        if case .up = self { return true }
        return false
    }
}
