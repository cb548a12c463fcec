import IsolationdTesting
import Testing

/// The run input's cap, through the real binary on its default limit (256 KiB): a larger input
/// is refused with 413 naming the limit, by the route's body bound or by the engine's measure.
@Suite("Run input limit (real binary)")
struct RunInputLimitTests {
    @Test("an input over 256 KiB is 413 with a problem naming the limit; one under it is accepted")
    func inputOverTheLimit() async throws {
        let world = try await OneUserWithEngine.start(thread: "thread-input-limit")
        let (alice, engine) = (world.client, world.engineID)

        // 262,145 bytes of JSON input (a string of 262,143 characters and its quotes): within
        // the route's body bound, refused by the engine's own measure.
        let justOver = String(repeating: "a", count: 262_143)
        let refused = try await alice.call("POST", "/v1/engines/\(engine)/runs",
                                           json: #"{"agent": "echo", "input": {"t": "\#(justOver)"}}"#)
        #expect(refused.status == 413)
        #expect(refused.contentType?.hasPrefix("application/problem+json") == true)
        #expect(refused.json?["limit"]?.int64Value == 262_144)
        #expect(refused.text.contains("engines.max_run_input_bytes"))

        // Far over: refused by the route's body bound before the body is parsed.
        let farOver = String(repeating: "b", count: 600_000)
        let tooLong = try await alice.call("POST", "/v1/engines/\(engine)/runs",
                                           json: #"{"agent": "echo", "input": {"t": "\#(farOver)"}}"#)
        #expect(tooLong.status == 413)

        // Under the limit: accepted and run.
        let fits = String(repeating: "c", count: 200_000)
        let accepted = try await alice.call("POST", "/v1/engines/\(engine)/runs",
                                            json: #"{"agent": "echo", "input": {"t": "\#(fits)"}}"#)
        #expect(accepted.status == 202)
    }
}
