import Synchronization

/// Time from an append's commit to this replica hearing of it (the NOTIFY lag of issue 13), as
/// a Prometheus histogram: fixed bounds, lock-free counters, nothing per user.
public final class DeliveryLagHistogram: Sendable {
    /// Upper bounds in seconds.
    public static let bounds: [Double] = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5]
    /// Atomics cannot be copied into an array; each bucket's counter lives in a box.
    private final class Counter: Sendable { let value = Atomic<Int>(0) }
    private let buckets = (0..<DeliveryLagHistogram.bounds.count).map { _ in Counter() }
    private let total = Atomic<Int>(0)
    private let sumNanoseconds = Atomic<Int>(0)

    public init() {}

    public func record(_ lag: Duration) {
        let nanoseconds = max(0, Int(clamping: lag.nanoseconds))
        let seconds = Double(nanoseconds) / 1e9
        // Not cumulative here (one add per record); `snapshot` makes the `le` counts.
        if let index = Self.bounds.firstIndex(where: { seconds <= $0 }) { buckets[index].value.add(1, ordering: .relaxed) }
        total.add(1, ordering: .relaxed)
        sumNanoseconds.add(nanoseconds, ordering: .relaxed)
    }

    /// Cumulative counts per bound, the total count and the sum in seconds.
    public var snapshot: (cumulative: [Int], count: Int, sumSeconds: Double) {
        var running = 0
        let cumulative = buckets.map { bucket -> Int in
            running += bucket.value.load(ordering: .relaxed)
            return running
        }
        return (cumulative, total.load(ordering: .relaxed), Double(sumNanoseconds.load(ordering: .relaxed)) / 1e9)
    }
}
