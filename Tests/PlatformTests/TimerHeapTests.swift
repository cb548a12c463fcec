@testable import Platform
import Testing

@Suite("Timer heap")
struct TimerHeapTests {
    @Test("pops in deadline order, only what is due")
    func order() {
        var heap = TimerHeap()
        var generator = SystemRandomNumberGenerator()
        let deadlines = (0..<500).map { _ in UInt64.random(in: 0..<10_000, using: &generator) }
        for (index, deadline) in deadlines.enumerated() { heap.push(deadline: deadline, token: UInt64(index)) }
        // Nothing is due just before the earliest deadline (no such time when it is 0: `0 &- 1`
        // would wrap to the far future and pop an entry the checks below then miss).
        if let earliest = deadlines.min(), earliest > 0 { #expect(heap.popDue(now: earliest - 1) == nil) }
        var popped: [UInt64] = []
        while let entry = heap.popDue(now: 5_000) { popped.append(entry.deadline) }
        #expect(popped == deadlines.filter { $0 <= 5_000 }.sorted())
        #expect(heap.earliest.map { $0 > 5_000 } ?? true)
        while let entry = heap.popDue(now: .max) { popped.append(entry.deadline) }
        #expect(popped == deadlines.sorted())
        #expect(heap.isEmpty)
    }

    @Test("removing entries keeps the heap order")
    func removal() {
        var heap = TimerHeap()
        for value in (0..<200).reversed() { heap.push(deadline: UInt64(value), token: UInt64(value)) }
        heap.removeAll { $0.token % 3 == 0 }
        var popped: [UInt64] = []
        while let entry = heap.popDue(now: .max) { popped.append(entry.token) }
        #expect(popped == (0..<200).filter { $0 % 3 != 0 }.map { UInt64($0) })
    }
}
