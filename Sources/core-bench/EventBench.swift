#if canImport(Glibc)
import Glibc
#endif
import ExecutionCore
import Platform
import Synchronization

/// Event hub throughput: publish → subscriber queue (one subscriber), and one user's events
/// fanned out to 100 subscribers. Consumers drain on the publishing thread between bursts, so
/// the figures include taking events out of the queue, not only putting them in.
enum EventBench {
    /// `part`: "publish", "fanout" or nil for both.
    static func run(seconds: Double, part: String? = nil) {
        print("== events")
        if part == nil || part == "publish" { publishToOneSubscriber(seconds: seconds) }
        if part == nil || part == "fanout" { fanOut(subscribers: 100, seconds: seconds) }
    }

    static func draft(_ n: Int) -> EventDraft {
        EventDraft(type: .agentThinking,
                   identity: EventIdentity(userID: "bench-user", threadID: "thread-1", runID: "run-1",
                                           requestID: "0b1e4c1e-7d65-4e3e-9f5b-0a8e3c4d5f60",
                                           engineID: "5c2f8a9e-1b3d-4f6a-8c7e-2d4b6a8c0e1f"),
                   executionID: "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b", agent: "echo",
                   timestamp: SystemClock().now(),
                   data: .object(["reasoning": .string("looking at step \(n)"), "step": .integer(Int64(n))]))
    }

    static func publishToOneSubscriber(seconds: Double) {
        let hub = EventHub(configuration: .init(subscriberQueueCapacity: 4096))
        let wakes = Atomic<Int>(0)
        guard let subscription = try? hub.subscribe(userID: "bench-user", wake: { wakes.add(1, ordering: .relaxed) }) else { return }
        let drafts = (0..<1024).map(draft)
        var received = 0
        let (count, elapsed) = timed(seconds: seconds) { round in
            for i in 0..<1024 { hub.publish(drafts[(round &+ i) & 1023]) }
            received += subscription.next().events.count
            return 1024
        }
        report("publish -> 1 subscriber queue", count: count, elapsed: elapsed, unit: "events/s")
        print("   received \(received), wakes \(wakes.load(ordering: .relaxed)), stats \(hub.statistics)")
    }

    static func fanOut(subscribers: Int, seconds: Double) {
        let hub = EventHub(configuration: .init(subscriberQueueCapacity: 4096, maxSubscribersPerUser: subscribers))
        var subs: [EventSubscription] = []
        for _ in 0..<subscribers {
            if let s = try? hub.subscribe(userID: "bench-user", wake: {}) { subs.append(s) }
        }
        let drafts = (0..<256).map(draft)
        var received = 0
        let (count, elapsed) = timed(seconds: seconds) { _ in
            for d in drafts { hub.publish(d) }
            for s in subs { received += s.next().events.count }
            return drafts.count * subs.count
        }
        report("fan-out to \(subs.count) subscribers", count: count, elapsed: elapsed, unit: "deliveries/s")
        print("   received \(received), cut off \(hub.statistics.slowConsumerCutoffs)")
    }

    /// `CoreBenchTiming.measure`, shaped as the reports below take it: on a shared machine CPU
    /// time is the stable denominator (wall time is reported beside it).
    static func timed(seconds: Double, _ body: (Int) -> Int) -> (Int, (cpu: Double, wall: Double)) {
        let measured = CoreBenchTiming.measure(seconds: seconds, body)
        return (measured.count, (measured.cpu, measured.wall))
    }

    static func report(_ label: String, count: Int, elapsed: (cpu: Double, wall: Double), unit: String) {
        let perCPU = Double(count) / elapsed.cpu
        let perWall = Double(count) / elapsed.wall
        print("  \(label): \(Int(perCPU)) \(unit) per CPU-second, \(Int(perWall)) per wall-second "
              + "(\(count) in \(format2(elapsed.wall)) s wall, \(format2(elapsed.cpu)) s CPU)")
    }

    static func format2(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
    }
}

func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Wall time for the benches, in seconds.
func monotonicSeconds() -> Double {
    Double(MonotonicClock.now()) / 1e9
}
