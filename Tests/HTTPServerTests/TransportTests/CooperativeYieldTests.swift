@testable import HTTPServer
import Platform
import Testing

@Suite("Cooperative yield after busy batches")
struct CooperativeYieldTests {
    /// Runs `batches` (ready-event counts) one millisecond apart; every yield "takes" `away`.
    static func run(_ policy: inout CooperativeYield, batches: [Int], away: UInt64, start: UInt64 = 1_000_000_000) -> [Bool] {
        var now = start
        return batches.map { ready in
            var yielded = false
            policy.afterBatch(readyEvents: ready, now: now) { yielded = true; return away }
            now += 1_000_000 + (yielded ? away : 0)
            return yielded
        }
    }

    @Test("only a busy batch yields; light wake-ups never do")
    func busyBatchesOnly() {
        var policy = CooperativeYield(enabled: true)
        let yielded = Self.run(&policy, batches: [1, 2, 7, 8, 64, 3, 512], away: 50_000)
        #expect(yielded == [false, false, false, true, true, false, true])
        #expect(policy.yields == 3 && policy.pauses == 0)
    }

    @Test("disabled: never yields")
    func disabled() {
        var policy = CooperativeYield(enabled: false)
        #expect(Self.run(&policy, batches: [64, 64, 64], away: 50_000) == [false, false, false])
    }

    @Test("a yield that kept the loop away for a whole slice pauses yielding, which resumes after the pause")
    func longYieldPauses() {
        var policy = CooperativeYield(enabled: true)
        var now: UInt64 = 5_000_000_000
        var calls = 0
        policy.afterBatch(readyEvents: 32, now: now) { calls += 1; return 4_000_000 }
        #expect(calls == 1 && policy.pauses == 1)
        // Within the pause (counted from when the loop came back): no yield however busy.
        now += 4_000_000 + CooperativeYield.pause - 1
        policy.afterBatch(readyEvents: 512, now: now) { calls += 1; return 10_000 }
        #expect(calls == 1)
        // After it: yielding again, and short yields do not pause it.
        now += 2
        policy.afterBatch(readyEvents: 512, now: now) { calls += 1; return 10_000 }
        policy.afterBatch(readyEvents: 512, now: now + 1_000) { calls += 1; return 10_000 }
        #expect(calls == 3 && policy.pauses == 1)
    }

    @Test("sched_yield is timed: it returns how long the loop was away, within the time the call took")
    func realYieldIsTimed() {
        let before = MonotonicClock.now()
        let away = CooperativeYield.schedYield()
        let after = MonotonicClock.now()
        #expect(away <= after - before)
    }
}
