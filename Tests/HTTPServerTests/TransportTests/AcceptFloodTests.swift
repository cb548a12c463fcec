import Glibc
import HTTPServer
import IsolationdTesting
import Synchronization
import Testing

/// A flood of connects cannot keep a loop from serving the connections it has (issue 12, item
/// 3): the listening socket is accepted from in bounded batches per loop turn, and
/// `maxAcceptsPerSecond` caps the rate on top. One loop, so the flood and the established
/// connection meet on the same thread; the limits are generous (the flood also competes for
/// the machine's two cores), the point is that the answers keep coming, not how fast.
@Suite("Accepting under a connection flood", .serialized)
struct AcceptFloodTests {
    /// Set to end the flood.
    final class StopFlag: Sendable {
        let raised = Atomic<Bool>(false)
    }

    /// Connects and closes as fast as it can from `threads` threads until `stop` is set;
    /// returns how many connects succeeded.
    static func flood(port: Int, threads: Int, stop: StopFlag) async throws -> Int {
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<threads {
                group.addTask {
                    try await BlockingIO.run {
                        var connects = 0
                        var address = sockaddr_in()
                        address.sin_family = sa_family_t(AF_INET)
                        address.sin_port = in_port_t(UInt16(port).bigEndian)
                        address.sin_addr.s_addr = inet_addr("127.0.0.1")
                        while !stop.raised.load(ordering: .relaxed) {
                            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                            guard fd >= 0 else { continue }
                            let result = withUnsafePointer(to: &address) {
                                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                                }
                            }
                            if result == 0 { connects += 1 }
                            Glibc.close(fd)
                        }
                        return connects
                    }
                }
            }
            var total = 0
            for try await count in group { total += count }
            return total
        }
    }

    /// Requests on one established keep-alive connection while a flood runs: every answer
    /// arrives, and the slowest within `limit`.
    static func servesEstablishedConnection(_ configuration: HTTPServerConfiguration,
                                            limit: Duration) async throws -> (slowest: Duration, connects: Int, server: HTTPServerCounters) {
        try await withTestServer(configuration: configuration, responder: echoResponder()) { server, port in
            let established = try await RawHTTPClient.connect(port: port)
            #expect(try await established.request("GET", "/warm").status == 200)
            let stop = StopFlag()
            let flooding = Task { try await flood(port: port, threads: 3, stop: stop) }
            try await Task.sleep(for: .milliseconds(200))
            var slowest = Duration.zero
            for index in 0..<100 {
                let start = ContinuousClock.now
                let response = try await established.request("GET", "/during-flood-\(index)")
                slowest = max(slowest, ContinuousClock.now - start)
                #expect(response.status == 200)
                try await Task.sleep(for: .milliseconds(10))
            }
            stop.raised.store(true, ordering: .relaxed)
            let connects = try await flooding.value
            #expect(slowest < limit, "the slowest answer during the flood took \(slowest)")
            return (slowest, connects, server.counters)
        }
    }

    @Test func establishedConnectionsAreServedDuringAFloodOfConnects() async throws {
        let configuration = HTTPServerConfiguration.testing {
            $0.eventLoopCount = 1
            $0.maxConnectionsPerPeer = 0
        }
        let (_, connects, counters) = try await Self.servesEstablishedConnection(configuration, limit: .seconds(4))
        #expect(connects > 500, "the flood did run (\(connects) connects)")
        #expect(counters.acceptsDeferred == 0, "no accept rate configured")
    }

    @Test func theAcceptRateHoldsTheFloodBackAndTheEstablishedConnectionStillAnswers() async throws {
        let configuration = HTTPServerConfiguration.testing {
            $0.eventLoopCount = 1
            $0.maxConnectionsPerPeer = 0
            $0.maxAcceptsPerSecond = 200
        }
        let started = ContinuousClock.now
        let (_, connects, counters) = try await Self.servesEstablishedConnection(configuration, limit: .seconds(2))
        let elapsed = (ContinuousClock.now - started).components
        let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        #expect(connects > 200, "the flood did run (\(connects) connects)")
        #expect(counters.acceptsDeferred > 0, "the rate was reached")
        // 200 a second, a burst of one second's worth, the established connection, slack.
        #expect(counters.acceptedConnections <= Int(200 * (seconds + 1)) + 50,
                "\(counters.acceptedConnections) accepted in \(seconds) s")
    }
}
