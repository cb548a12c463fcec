@testable import ExecutionAPI
import ExecutionCore
import IsolationdTesting
import Testing

/// A replay is written no faster than the connection's socket takes it (issue 12, item 4): a
/// stream resuming from an old cursor never queues more than the outbound bound, and every
/// event still arrives, once, in order, however slowly the client reads. Live events a client
/// does not keep up with still end the stream as a slow consumer.
@Suite("Event streams: batches sized to the outbound bound")
struct EventStreamPacingTests {
    static func draft(user: String, bytes: Int) -> EventDraft {
        EventDraft(type: .agentThinking, identity: EventIdentity(userID: user, threadID: "t-1", runID: "r-1",
                                                                 requestID: "q-1", engineID: "e-1"),
                   executionID: "x-1", agent: "echo", timestamp: Timestamp(nanoseconds: 1),
                   data: .object(["blob": .string(String(repeating: "r", count: bytes))]))
    }

    @Test("a resume from 0 over a 1000-event ring, read slowly: the queue stays under the bound, all events arrive in order")
    func replayFollowsTheSocket() async throws {
        let loop = TestLoop()
        defer { loop.stop() }
        let hub = EventHub(configuration: EventHubConfiguration(replayRingSize: 1000))
        for _ in 0..<1000 { hub.publish(Self.draft(user: "u-1", bytes: 900)) }
        let counters = EventStreamCounters()
        let context = EventStreamContext(hub: hub, userID: "u-1", counters: counters, heartbeatInterval: .seconds(60))
        let stream = try EventStream.open(context, filter: EventFilter(), after: 0)
        // 16 KiB: the ring (about 1 MB) is sixty times the bound, one old 128-event batch eight times.
        let bound = 16 * 1024
        let sink = RecordingSink(loop: loop, bound: bound)
        loop.execute { stream.attach(sink) }
        // The slow reader: 3 KiB per tick.
        var ticks = 0
        while sink.ids.withLock({ $0.count }) < 1000, ticks < 20_000 {
            loop.execute { sink.socketTakes(3 * 1024) }
            try await Task.sleep(for: .microseconds(200))
            ticks += 1
        }
        #expect(sink.ids.withLock { $0 } == (1...1000).map { UInt64($0) }, "every event once, in order")
        #expect(sink.peakQueued.load(ordering: .relaxed) <= bound, "the queue never passed the bound")
        #expect(ticks > 100, "the replay waited for the reader (\(ticks) ticks)")
        #expect(sink.endings.withLock { $0 }.isEmpty, "no slow-consumer cut during a replay")
        // Live from here on: still delivered when read, and cut off when not. The reader first
        // takes what the last replay batch left queued (a live event finding the queue too full
        // for it is a slow consumer, by design), so the live event meets an empty queue.
        loop.execute { sink.socketTakes(.max / 8) }
        #expect(await eventually(within: .seconds(10)) { sink.queued.load(ordering: .relaxed) == 0 })
        hub.publish(Self.draft(user: "u-1", bytes: 900))
        loop.execute { sink.socketTakes(.max / 8) }
        #expect(await eventually(within: .seconds(10)) { sink.ids.withLock { $0.last } == 1001 })
        for _ in 0..<40 { hub.publish(Self.draft(user: "u-1", bytes: 900)) }
        #expect(await eventually(within: .seconds(10)) { sink.endings.withLock { $0 } == [.slowConsumer] })
        #expect(sink.peakQueued.load(ordering: .relaxed) <= bound)
        #expect(counters.statistics.endedSlowConsumer == 1)
    }

    @Test("an event larger than the whole bound goes alone into an empty queue")
    func oversizeEventGoesAlone() async throws {
        let loop = TestLoop()
        defer { loop.stop() }
        let hub = EventHub()
        for _ in 0..<3 { hub.publish(Self.draft(user: "u-2", bytes: 4000)) }
        let counters = EventStreamCounters()
        let context = EventStreamContext(hub: hub, userID: "u-2", counters: counters, heartbeatInterval: .seconds(60))
        let stream = try EventStream.open(context, filter: EventFilter(), after: 0)
        let sink = RecordingSink(loop: loop, bound: 2048)
        loop.execute { stream.attach(sink) }
        for expected in 1...3 {
            #expect(await eventually(within: .seconds(10)) { sink.ids.withLock { $0.count } == expected })
            try await Task.sleep(for: .milliseconds(20))
            #expect(sink.ids.withLock { $0.count } == expected, "one at a time, each into an empty queue")
            loop.execute { sink.socketTakes(.max / 8) }
        }
        #expect(sink.endings.withLock { $0 }.isEmpty)
        loop.execute { stream.clientClosed() }
        #expect(await eventually(within: .seconds(10)) { counters.liveStreamCount == 0 })
    }
}
