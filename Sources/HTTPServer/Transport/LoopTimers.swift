/// A loop's timers: one heap of (deadline, token) for connections' deadlines and for tasks
/// (`LoopRuntime.schedule`, `ConnectionLoop.schedule(after:)`), and the tasks by token.
/// Connections keep one deadline each and re-arm lazily (see `LoopRuntime.armTimer`); a
/// cancelled task's heap entry is skipped when it comes due, and once cancelled entries
/// outnumber the live ones they are swept out at once (a timer cancelled and scheduled again
/// on every write, such as a stream's heartbeat, leaves no trail).
struct LoopTimers {
    /// Timer tokens with this bit are tasks, not connections.
    static let taskTokenBit: UInt64 = 1 << 62

    private var heap = TimerHeap()
    /// What a timer runs: the server's own tasks take the runtime, `ConnectionLoop` timers take
    /// nothing (kept as given: no wrapping closure per timer).
    enum Task {
        case runtime((LoopRuntime) -> Void)
        case plain(@Sendable () -> Void)
    }

    private var tasks: [UInt64: Task] = [:]
    /// Heap entries of cancelled tasks not yet popped.
    private var cancelled = 0

    /// The earliest deadline, if any.
    var earliest: UInt64? { heap.earliest }

    /// A connection's deadline (`token` names the connection).
    mutating func arm(deadline: UInt64, token: UInt64) {
        heap.push(deadline: deadline, token: token)
    }

    /// Runs `task` at `deadline` unless `cancel(token:)` comes first. `token` has
    /// `taskTokenBit` set (see `EventLoop.newTimerToken`).
    mutating func schedule(token: UInt64, at deadline: UInt64, _ task: Task) {
        tasks[token] = task
        heap.push(deadline: deadline, token: token)
    }

    mutating func cancel(token: UInt64) {
        guard tasks.removeValue(forKey: token) != nil else { return }
        cancelled += 1
        if cancelled > 64, cancelled > heap.count / 2 {
            let tasks = self.tasks
            heap.removeAll { $0.token & Self.taskTokenBit != 0 && tasks[$0.token] == nil }
            cancelled = 0
        }
    }

    /// Entries in the heap (live and dead), for tests.
    var heapCount: Int { heap.count }

    enum Due {
        /// A connection's deadline may have passed (it checks its current one).
        case connection(token: UInt64, deadline: UInt64)
        /// A task to run (nil: it was cancelled).
        case task(Task?)
    }

    /// The next entry due at `now`, if any.
    mutating func popDue(now: UInt64) -> Due? {
        guard let entry = heap.popDue(now: now) else { return nil }
        if entry.token & Self.taskTokenBit != 0 {
            let task = tasks.removeValue(forKey: entry.token)
            if task == nil { cancelled -= 1 }
            return .task(task)
        }
        return .connection(token: entry.token, deadline: entry.deadline)
    }
}
