#if canImport(Glibc)
import Glibc
#endif
@testable import Platform
import Testing
import VisibleLocks

@Suite("Reactor: descriptors and their handlers")
struct ReactorRegistrationTests {
    @Test("a registered pipe's handler gets its input, on the reactor thread")
    func pipeEvents() throws {
        let running = try RunningReactor()
        defer { running.stop() }
        let pipe = try TestPipe()
        let handler = RecordingHandler(draining: pipe)
        let token = running.onLoop { reactor in try? reactor.register(fd: pipe.read, events: Epoll.input, handler: handler) }
        #expect(token??.fd == pipe.read)
        pipe.send("hello")
        #expect(waitUntil { handler.received == "hello" })
        pipe.send(" again")
        #expect(waitUntil { handler.received == "hello again" })
        #expect(handler.record.withLock { $0.events.allSatisfy { $0 & Epoll.input != 0 } && $0.onReactorThread })
        #expect(running.onLoop { $0.registrationCount } == 1)
    }

    @Test("modify changes the interest: no events without it, output events with it")
    func modifyInterest() throws {
        let running = try RunningReactor()
        defer { running.stop() }
        let pipe = try TestPipe()
        let handler = RecordingHandler()
        // The write end of an empty pipe is writable at once, but nobody asked yet.
        let token = try #require(running.onLoop { reactor in try? reactor.register(fd: pipe.write, events: 0, handler: handler) } ?? nil)
        usleep(30_000)
        #expect(handler.eventCount == 0)
        _ = running.onLoop { $0.modify(token, events: Epoll.output | Epoll.edgeTriggered) }
        #expect(waitUntil { handler.eventCount == 1 })
        #expect(handler.record.withLock { $0.events.first.map { $0 & Epoll.output != 0 } } == true)
        _ = running.onLoop { $0.modify(token, events: 0) }
        let seen = handler.eventCount
        usleep(30_000)
        #expect(handler.eventCount == seen)
    }

    @Test("an event already returned for a token deregistered in the same batch is not delivered")
    func deregisteredInBatch() throws {
        let running = try RunningReactor()
        defer { running.stop() }
        let first = try TestPipe(), second = try TestPipe()
        let scenario = try #require(running.onLoop { reactor in
            LoopBound(DeregisterScenario(reactor: reactor, pipes: [first, second], reuseNumber: false), on: reactor)
        })
        // Both written from the loop thread: both are ready in the next epoll_wait's batch.
        _ = running.onLoop { _ in
            first.send()
            second.send()
        }
        #expect(waitUntil { running.onLoop { _ in scenario.value.calls.reduce(0, +) } == 1 })
        usleep(30_000) // more iterations: the deregistered pipe stays readable, and silent
        let calls = running.onLoop { _ in scenario.value.calls }
        #expect(calls?.sorted() == [0, 1])
        #expect(running.onLoop { $0.registrationCount } == 1)
    }

    @Test("a descriptor number reused within a batch gets a new token and never the old handler's events")
    func reusedNumber() throws {
        let running = try RunningReactor()
        defer { running.stop() }
        let first = try TestPipe(), second = try TestPipe()
        let scenario = try #require(running.onLoop { reactor in
            LoopBound(DeregisterScenario(reactor: reactor, pipes: [first, second], reuseNumber: true), on: reactor)
        })
        _ = running.onLoop { _ in
            first.send()
            second.send()
        }
        #expect(waitUntil { running.onLoop { _ in scenario.value.replacement != nil } == true })
        usleep(30_000)
        let (calls, oldToken, newToken, replacement) = try #require(running.onLoop { _ in
            let s = scenario.value
            return (s.calls, s.tokens[s.losingIndex ?? 0], s.replacementToken, s.replacement)
        })
        let fresh = try #require(replacement)
        #expect(calls.sorted() == [0, 1], "the replaced registration's queued event did not reach anyone")
        #expect(newToken?.fd == oldToken.fd && newToken != oldToken)
        #expect(fresh.handler.eventCount == 0, "the new registration saw no event meant for the old one")
        fresh.pipe.send("new")
        #expect(waitUntil { fresh.handler.received == "new" })
    }
}

/// Two registered pipes; the first handler called deregisters the other one (and, with
/// `reuseNumber`, puts a fresh pipe on its descriptor number and registers that). Loop only.
final class DeregisterScenario {
    final class Handler: ReactorHandler {
        let index: Int
        unowned let scenario: DeregisterScenario
        init(index: Int, scenario: DeregisterScenario) {
            self.index = index
            self.scenario = scenario
        }
        func reactorEvents(_ events: UInt32, _ reactor: Reactor) { scenario.called(index, reactor) }
    }

    struct Replacement: Sendable {
        let pipe: TestPipe
        let handler: RecordingHandler
    }

    let pipes: [TestPipe]
    let reuseNumber: Bool
    var tokens: [ReactorToken] = []
    var calls = [0, 0]
    var losingIndex: Int?
    var replacement: Replacement?
    var replacementToken: ReactorToken?

    init(reactor: Reactor, pipes: [TestPipe], reuseNumber: Bool) {
        self.pipes = pipes
        self.reuseNumber = reuseNumber
        for (index, pipe) in pipes.enumerated() {
            tokens.append(try! reactor.register(fd: pipe.read, events: Epoll.input, handler: Handler(index: index, scenario: self)))
        }
    }

    func called(_ index: Int, _ reactor: Reactor) {
        calls[index] += 1
        pipes[index].drain()
        guard losingIndex == nil else { return }
        let other = 1 - index
        losingIndex = other
        reactor.deregister(tokens[other])
        guard reuseNumber, let fresh = try? TestPipe() else { return }
        // The other pipe's read end becomes the fresh pipe's (dup2 closes the old file on that
        // number atomically); the fresh pipe's own read end then carries the same file.
        let number = pipes[other].read
        _ = dup2(fresh.read, number)
        let handler = RecordingHandler(draining: fresh)
        replacementToken = try? reactor.register(fd: number, events: Epoll.input, handler: handler)
        replacement = Replacement(pipe: fresh, handler: handler)
    }
}
