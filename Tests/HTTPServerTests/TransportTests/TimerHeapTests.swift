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
