/// A reactor's timers: one heap for handler timers (`Reactor.armTimer`, token = the handler's
/// `ReactorToken`) and scheduled tasks (`Reactor.schedule`, token = `taskBit` | the task's slot
/// and generation). Tasks sit in a slot table reused through a free list, so scheduling and
/// cancelling need no dictionary; a cancelled task's heap entry stays until it comes due (then
/// its generation no longer matches) or until stale entries outnumber live ones (then the heap
/// is compacted). Loop thread only.
struct ReactorTimers {
    /// Marks a heap token as a scheduled task (handler tokens keep their serial below 2^31).
    static let taskBit: UInt64 = 1 << 63
    /// Compaction starts only past this many stale entries (small heaps are left alone).
    static let compactionThreshold = 64

    private struct TaskSlot {
        var task: (() -> Void)?
        /// Bumped whenever the slot is emptied: an old ID or heap entry then matches no more.
        var generation: UInt32 = 0
    }

    private(set) var heap = TimerHeap()
    private var slots: [TaskSlot] = []
    private var freeSlots: [Int] = []
    /// Heap entries of cancelled tasks not yet popped.
    private(set) var staleTaskEntries = 0

    var earliest: UInt64? { heap.earliest }
    var count: Int { heap.count }

    mutating func arm(_ token: ReactorToken, at deadline: UInt64) {
        heap.push(deadline: deadline, token: token.raw)
    }

    mutating func schedule(at deadline: UInt64, _ task: @escaping () -> Void) -> ReactorTimerID {
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
        } else {
            slot = slots.count
            slots.append(TaskSlot())
        }
        slots[slot].task = task
        let id = ReactorTimerID(raw: UInt64(slots[slot].generation) << 32 | UInt64(slot))
        heap.push(deadline: deadline, token: Self.taskBit | id.raw)
        return id
    }

    /// Forgets a scheduled task that has not run yet; anything else is ignored.
    mutating func cancel(_ id: ReactorTimerID) {
        guard takeTask(id.raw) != nil else { return }
        staleTaskEntries += 1
        if staleTaskEntries > Self.compactionThreshold, staleTaskEntries * 2 > heap.count { compact() }
    }

    /// The next due entry: `.task` with the closure to run (its slot already freed), `.handler`
    /// with the token to check, or `.stale` for a cancelled task's entry.
    enum Due {
        case task(() -> Void)
        case handler(ReactorToken)
        case stale
    }

    mutating func popDue(now: UInt64) -> Due? {
        guard let entry = heap.popDue(now: now) else { return nil }
        guard entry.token & Self.taskBit != 0 else { return .handler(ReactorToken(raw: entry.token)) }
        if let task = takeTask(entry.token & ~Self.taskBit) { return .task(task) }
        staleTaskEntries -= 1
        return .stale
    }

    /// Empties the slot `raw` (slot | generation << 32) names if it is still that task's.
    private mutating func takeTask(_ raw: UInt64) -> (() -> Void)? {
        let slot = Int(truncatingIfNeeded: UInt32(truncatingIfNeeded: raw))
        let generation = UInt32(truncatingIfNeeded: raw >> 32)
        guard slot < slots.count, slots[slot].generation == generation, let task = slots[slot].task else { return nil }
        slots[slot].task = nil
        slots[slot].generation = (generation &+ 1) & 0x7FFF_FFFF
        freeSlots.append(slot)
        return task
    }

    /// Drops the heap entries of cancelled tasks.
    private mutating func compact() {
        let slots = self.slots
        heap.removeAll { entry in
            guard entry.token & Self.taskBit != 0 else { return false }
            let slot = Int(truncatingIfNeeded: UInt32(truncatingIfNeeded: entry.token))
            let generation = UInt32(truncatingIfNeeded: (entry.token & ~Self.taskBit) >> 32)
            return slots[slot].generation != generation || slots[slot].task == nil
        }
        staleTaskEntries = 0
    }
}
