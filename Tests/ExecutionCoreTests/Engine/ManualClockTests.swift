import Testing
@testable import ExecutionCore

@Suite("Manual clock")
struct ManualClockTests {
    @Test("time moves only on advance, and wakes exactly the sleepers whose deadline passed")
    func advanceWakesDueSleepers() async throws {
        let clock = ManualClock()
        let start = clock.now()
        #expect(clock.now() == start)
        let early = Task { try await clock.sleep(until: start + .seconds(10)); return clock.now() }
        let late = Task { try await clock.sleep(until: start + .seconds(30)); return clock.now() }
        #expect(await clock.waitForSleepers(atLeast: 2))
        clock.advance(by: .seconds(10))
        #expect(try await early.value == start + .seconds(10))
        #expect(clock.sleeperCount == 1)
        clock.advance(by: .seconds(19))
        #expect(clock.sleeperCount == 1)
        clock.advance(by: .seconds(1))
        #expect(try await late.value == start + .seconds(30))
        #expect(clock.sleeperCount == 0)
    }

    @Test("a past deadline returns at once")
    func pastDeadline() async throws {
        let clock = ManualClock()
        try await clock.sleep(until: clock.now())
        try await clock.sleep(for: .zero)
        #expect(clock.sleeperCount == 0)
    }

    @Test("cancelling a sleeper resumes it with CancellationError and forgets it")
    func cancellation() async throws {
        let clock = ManualClock()
        let sleeper = Task { try await clock.sleep(for: .seconds(100)) }
        #expect(await clock.waitForSleepers(atLeast: 1))
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        #expect(clock.sleeperCount == 0)
        // Cancelled before it ever slept.
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await clock.sleep(for: .seconds(100))
        }
        await #expect(throws: CancellationError.self) { try await early.value }
        #expect(clock.sleeperCount == 0)
    }

    @Test("many sleepers racing with cancellation and advances all end (bounded)")
    func raceCancellationAndAdvance() async throws {
        let clock = ManualClock()
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<200 {
                group.addTask {
                    let sleeper = Task { try await clock.sleep(for: .seconds(Int64(index % 5 + 1))) }
                    if index % 2 == 0 { sleeper.cancel() }
                    _ = try? await sleeper.value
                }
            }
            group.addTask {
                for _ in 0..<10 {
                    clock.advance(by: .seconds(1))
                    await Task.yield()
                }
            }
            // Whatever the interleaving, one more big advance releases every sleeper still waiting.
            for _ in 0..<50 {
                try? await Task.sleep(for: .milliseconds(2))
                clock.advance(by: .seconds(10))
            }
        }
        #expect(clock.sleeperCount == 0)
    }
}
