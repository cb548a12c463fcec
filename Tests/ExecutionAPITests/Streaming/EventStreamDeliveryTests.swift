@testable import ExecutionAPI
import ExecutionCore
import Glibc
import HTTPServer
import IsolationdTesting
import Synchronization
import Testing
import VisibleLocks

/// A `ConnectionLoop` of its own: one POSIX thread running handed-over tasks and due timers, so
/// an `EventStream` can be driven without a server and raced against publishers.
final class TestLoop: ConnectionLoop {
    private struct State {
        var tasks: [@Sendable () -> Void] = []
        var timers: [(due: ContinuousClock.Instant, id: Int, task: @Sendable () -> Void)] = []
        var nextTimer = 0
        var stopping = false
    }

    private let state = VisibleMutex(State())
    private let thread = Atomic<UInt>(0)
    let ranTasks = Atomic<Int>(0)

    init() {
        let started = Atomic<Bool>(false)
        let loop = self
        var handle = pthread_t()
        final class Box: Sendable {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        let box = Unmanaged.passRetained(Box {
            loop.thread.store(UInt(pthread_self()), ordering: .releasing)
            started.store(true, ordering: .releasing)
            loop.run()
        }).toOpaque()
        pthread_create(&handle, nil, { raw in
            Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().body()
            return nil
        }, box)
        pthread_detach(handle)
        while !started.load(ordering: .acquiring) { usleep(100) }
    }

    func stop() { state.withLock { $0.stopping = true } }

    var inLoopThread: Bool { thread.load(ordering: .acquiring) == UInt(pthread_self()) }

    func execute(_ task: @escaping @Sendable () -> Void) {
        state.withLock { $0.tasks.append(task) }
    }

    func schedule(after delay: Duration, _ task: @escaping @Sendable () -> Void) -> ConnectionLoopTimer {
        precondition(inLoopThread)
        let id = state.withLock { state -> Int in
            state.nextTimer += 1
            state.timers.append((.now + delay, state.nextTimer, task))
            return state.nextTimer
        }
        return ConnectionLoopTimer { [self] in state.withLock { $0.timers.removeAll { $0.id == id } } }
    }

    private func run() {
        while true {
            let (tasks, stop) = state.withLock { state -> ([@Sendable () -> Void], Bool) in
                let now = ContinuousClock.now
                var due = state.tasks
                state.tasks.removeAll()
                due += state.timers.filter { $0.due <= now }.map(\.task)
                state.timers.removeAll { $0.due <= now }
                return (due, state.stopping)
            }
            if stop { return }
            for task in tasks { task() }
            ranTasks.add(tasks.count, ordering: .relaxed)
            if tasks.isEmpty { usleep(200) }
        }
    }
}

/// Records what a stream writes (on its loop). With a `bound`, it also plays a socket that takes
/// bytes only when told (`socketTakes`): what is written stays queued until then.
final class RecordingSink: EventStreamSink {
    let loop: any ConnectionLoop
    let ids = VisibleMutex<[UInt64]>([])
    let endings = VisibleMutex<[StreamEnding]>([])
    let heartbeats = Atomic<Int>(0)
    let offLoopCalls = Atomic<Int>(0)
    let outboundBound: Int
    /// Bytes written and not yet taken by the played socket, the most ever queued, and the
    /// `whenDrained` handler waiting.
    let queued = Atomic<Int>(0)
    let peakQueued = Atomic<Int>(0)
    private let drainWaiter = VisibleMutex<(@Sendable () -> Void)?>(nil)

    init(loop: any ConnectionLoop, bound: Int = .max / 4) {
        self.loop = loop
        outboundBound = bound
    }

    var transport: StreamTransport { .sse }
    var wantsHeartbeats: Bool { true }
    var framingBytesPerEvent: Int { 64 }
    var outboundBacklog: Int { queued.load(ordering: .relaxed) }

    func whenDrained(_ handler: @escaping @Sendable () -> Void) {
        onLoop()
        drainWaiter.withLock { $0 = handler }
    }

    /// The played socket takes up to `bytes` (on the loop); once nothing is left, the waiting
    /// `whenDrained` handler runs as a loop task, as the server's connection does.
    func socketTakes(_ bytes: Int) {
        onLoop()
        let left = max(0, queued.load(ordering: .relaxed) - bytes)
        queued.store(left, ordering: .relaxed)
        guard left == 0, let waiter = drainWaiter.withLock({ waiter in defer { waiter = nil }; return waiter }) else { return }
        loop.execute(waiter)
    }

    /// Counts bytes into the played socket's queue, refusing (like the server's bound) what
    /// would pass the bound unless the queue is empty.
    private func admit(_ bytes: Int) -> StreamWriteResult {
        let now = queued.load(ordering: .relaxed)
        guard now == 0 || now + bytes <= outboundBound else { return .overflow }
        queued.store(now + bytes, ordering: .relaxed)
        if now + bytes > peakQueued.load(ordering: .relaxed) { peakQueued.store(now + bytes, ordering: .relaxed) }
        return .queued
    }

    private func onLoop() { if !loop.inLoopThread { offLoopCalls.add(1, ordering: .relaxed) } }

    func open() -> StreamWriteResult { onLoop(); return .queued }

    func deliver(gap: EventGap?, events: [PublishedEvent]) -> (result: StreamWriteResult, written: Int) {
        onLoop()
        // The SSE sink's chunk: each event with its framing, the gap notice.
        let bytes = events.reduce(gap == nil ? 0 : 160) { $0 + $1.json.count + 40 }
        let result = admit(bytes)
        guard result == .queued else { return (result, 0) }
        ids.withLock { $0 += events.map(\.id) }
        return (.queued, events.count)
    }

    func heartbeat() -> StreamWriteResult {
        onLoop()
        heartbeats.add(1, ordering: .relaxed)
        return .queued
    }

    func acknowledge(filter: EventFilter, after: UInt64?) -> StreamWriteResult { .queued }
    func reject(code: String, detail: String) -> StreamWriteResult { .queued }
    func end(_ ending: StreamEnding, lastEventID: UInt64?) {
        onLoop()
        endings.withLock { $0.append(ending) }
    }
}

@Suite("Event streams on their loop: no wake lost around attach, writes on the loop only")
struct EventStreamDeliveryTests {
    static func draft(user: String) -> EventDraft {
        EventDraft(type: .agentThinking, identity: EventIdentity(userID: user, threadID: "t-1", runID: "r-1",
                                                                 requestID: "q-1", engineID: "e-1"),
                   executionID: "x-1", agent: "echo", timestamp: Timestamp(nanoseconds: 1), data: .object([:]))
    }

    @Test("events published while streams subscribe and attach all arrive, once each, in order, written on the loop")
    func publishersRaceAttach() async throws {
        let loop = TestLoop()
        defer { loop.stop() }
        let hub = EventHub(configuration: EventHubConfiguration(maxSubscribersPerUser: 1000))
        let counters = EventStreamCounters()
        let rounds = 200
        let perRound = 20
        for round in 0..<rounds {
            let user = "user-\(round)"
            let context = EventStreamContext(hub: hub, userID: user, counters: counters, heartbeatInterval: .seconds(60))
            let stream = try EventStream.open(context, filter: EventFilter(), after: nil)
            let sink = RecordingSink(loop: loop)
            let published = Atomic<Int>(0)
            // A publisher races the attach (each wake may find the stream attached or not).
            let publisher = Task.detached {
                for _ in 0..<perRound {
                    hub.publish(Self.draft(user: user))
                    published.add(1, ordering: .relaxed)
                }
            }
            if round % 2 == 0 { usleep(UInt32(round % 7) * 20) }
            loop.execute { stream.attach(sink) }
            await publisher.value
            #expect(await eventually(within: .seconds(10)) { sink.ids.withLock { $0.count } == perRound },
                    "round \(round): \(sink.ids.withLock { $0.count }) of \(perRound) events arrived")
            #expect(sink.ids.withLock { $0 } == (1...UInt64(perRound)).map { $0 }, "round \(round)")
            loop.execute { stream.clientClosed() }
            #expect(await eventually(within: .seconds(10)) { sink.endings.withLock { $0 } == [.clientGone] })
            #expect(sink.offLoopCalls.load(ordering: .relaxed) == 0)
        }
        #expect(counters.liveStreamCount == 0)
        #expect(counters.statistics.endedClientGone == rounds)
        #expect(counters.statistics.eventsWritten[.sse] == rounds * perRound)
        #expect(hub.statistics.liveSubscribers == 0)
    }

    @Test("a quiet stream gets heartbeats from its loop's timer; an ended stream's timer is cancelled")
    func heartbeatsOnTheLoopTimer() async throws {
        let loop = TestLoop()
        defer { loop.stop() }
        let hub = EventHub()
        let counters = EventStreamCounters()
        let context = EventStreamContext(hub: hub, userID: "u-1", counters: counters, heartbeatInterval: .milliseconds(50))
        let quiet = try EventStream.open(context, filter: EventFilter(), after: nil)
        let sink = RecordingSink(loop: loop)
        loop.execute { quiet.attach(sink) }
        #expect(await eventually(within: .seconds(10)) { sink.heartbeats.load(ordering: .relaxed) >= 3 })
        loop.execute { quiet.clientClosed() }
        #expect(await eventually(within: .seconds(10)) { counters.liveStreamCount == 0 })
        let afterEnd = sink.heartbeats.load(ordering: .relaxed)
        try await Task.sleep(for: .milliseconds(200))
        #expect(sink.heartbeats.load(ordering: .relaxed) == afterEnd, "an ended stream's timer is cancelled")
        #expect(sink.offLoopCalls.load(ordering: .relaxed) == 0)
        #expect(counters.statistics.heartbeats == afterEnd)
    }
}
