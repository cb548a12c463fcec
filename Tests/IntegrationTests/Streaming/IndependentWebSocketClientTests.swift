import ExecutionAPI
import ExecutionCore
import Foundation
import IsolationdTesting
import Testing

/// The endpoint driven by a WebSocket implementation that is not ours: Python's `websockets`
/// (installed by `.ci/run`), through scripts/ws_independent_client.py.
@Suite("WebSocket endpoint with an independent client (Python websockets)")
struct IndependentWebSocketClientTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func websocketsAvailable() async -> Bool {
        (try? await ExternalCommand.runDetached(["python3", "-c", "import websockets"], timeout: .seconds(20)))?.status == 0
    }

    @Test("python websockets: every auth fallback, replay, subscribe ack, filtered replay, error frame, clean close",
          arguments: ["header", "protocol", "query"])
    func pythonClient(auth: String) async throws {
        guard await Self.websocketsAvailable() else {
            print("SKIPPED: python3 cannot import websockets (pip install websockets); the independent-client test did not run")
            return
        }
        let world = try StreamTestWorld(users: ["alice-01", "bob-02"])
        try await world.serve { _, port in
            for n in 0..<6 { world.publish(user: "alice-01", thread: n % 2 == 0 ? "thread-a" : "thread-b") }
            world.publish(user: "bob-02")
            let script = Self.repositoryRoot.appendingPathComponent("scripts/ws_independent_client.py").path
            let arguments = ["python3", script, "--url", "ws://127.0.0.1:\(port)/v1/events/ws",
                             "--token", StreamTestWorld.token("alice-01"), "--auth", auth,
                             "--expect", "6", "--thread", "thread-b", "--expect-filtered", "3"]
            let result = try await ExternalCommand.runDetached(arguments, timeout: .seconds(30))
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            let summary = try JSONValue.parse(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
            #expect(summary["ids"] == .array((1...6).map { .integer($0) }))
            #expect(summary["ack"]?["type"] == .string("subscribed"))
            #expect(summary["filtered_ids"] == .array([.integer(2), .integer(4), .integer(6)]))
            #expect(summary["error"]?["error"] == .string("invalid_message"))
            #expect(summary["close_code"] == .integer(1000))
            #expect(summary["subprotocol"] == (auth == "protocol" ? .string("bearer") : .null))
            #expect(await eventually { world.hub.statistics.liveSubscribers == 0 })
        }
    }
}
