@testable import HTTPServer
import Testing

@Suite("Timer heap")
struct TimerHeapTests {
    @Test func popsDueEntriesInDeadlineOrder() {
        var heap = TimerHeap()
        var generator = SystemRandomNumberGenerator()
        var deadlines: [UInt64] = []
        for token in 0..<500 {
            let deadline = UInt64.random(in: 1...10_000, using: &generator)
            deadlines.append(deadline)
            heap.push(deadline: deadline, token: UInt64(token))
        }
        #expect(heap.popDue(now: 0) == nil)
        var popped: [UInt64] = []
        while let entry = heap.popDue(now: 5_000) { popped.append(entry.deadline) }
        #expect(popped == deadlines.filter { $0 <= 5_000 }.sorted())
        #expect(heap.count == deadlines.filter { $0 > 5_000 }.count)
        #expect((heap.earliest ?? 0) > 5_000)
    }
}

@Suite("Loop timers")
struct LoopTimersTests {
    @Test func removingEntriesKeepsTheHeapOrdered() {
        var heap = TimerHeap()
        for token in 0..<300 { heap.push(deadline: UInt64((token * 7919) % 1000), token: UInt64(token)) }
        heap.removeAll { $0.token % 3 == 0 }
        #expect(heap.count == 200)
        var popped: [UInt64] = []
        while let entry = heap.popDue(now: .max) {
            #expect(entry.token % 3 != 0)
            popped.append(entry.deadline)
        }
        #expect(popped == popped.sorted())
    }

    @Test func aTimerCancelledAndScheduledAgainOnEveryWriteLeavesNoTrail() {
        var timers = LoopTimers()
        // A heartbeat re-armed 100,000 times (once per event written): the heap stays small.
        for id in 1...100_000 {
            timers.schedule(token: LoopTimers.taskTokenBit | UInt64(id), at: UInt64(1_000_000 + id), .runtime { _ in })
            if id > 1 { timers.cancel(token: LoopTimers.taskTokenBit | UInt64(id - 1)) }
        }
        #expect(timers.heapCount < 200)
        // Connections' deadlines are never swept: only the loop knows whether they are current.
        timers.arm(deadline: 5, token: 42)
        for id in 100_001...100_300 {
            timers.schedule(token: LoopTimers.taskTokenBit | UInt64(id), at: 10, .runtime { _ in })
            timers.cancel(token: LoopTimers.taskTokenBit | UInt64(id))
        }
        var due: [String] = []
        while let entry = timers.popDue(now: .max) {
            switch entry {
            case .connection(let token, let deadline): due.append("connection \(token) at \(deadline)")
            case .task(let task): due.append(task == nil ? "cancelled" : "task")
            }
        }
        #expect(due.first == "connection 42 at 5")
        #expect(due.filter { $0 == "task" }.count == 1)
    }
}
