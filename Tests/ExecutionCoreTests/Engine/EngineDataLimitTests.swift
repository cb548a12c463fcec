import Testing
@testable import ExecutionCore

/// Per-item caps (issue 12, item 1): a run's input, an agent's result and each of its events'
/// data are bounded, so one run cannot make the service keep or send without limit.
@Suite("Engine: input, result and event data limits")
struct EngineDataLimitTests {
    func fixture() throws -> EngineFixture {
        try EngineFixture(configuration: FactoryConfiguration(engine: EngineConfiguration(maxRunInputBytes: 1_000, maxAgentDataBytes: 500)))
    }

    /// A JSON string value serializing to exactly `bytes` bytes (quotes included).
    func text(serializingTo bytes: Int) -> JSONValue { .string(String(repeating: "x", count: bytes - 2)) }

    @Test("an input over the limit is refused before anything is admitted; one at the limit runs")
    func inputLimit() throws {
        let fixture = try fixture()
        let engine = try fixture.engine()
        #expect(throws: RunRequestError.inputTooLarge(limit: 1_000)) {
            try engine.startRun(agent: "controlled", input: text(serializingTo: 1_001))
        }
        #expect(engine.stats.totalRuns == 0)
        #expect(try engine.startRun(agent: "controlled", input: text(serializingTo: 1_000)).state == .running)
    }

    @Test("a result over the limit fails the run with kind result_limit and is not kept")
    func resultLimit() throws {
        let fixture = try fixture()
        let engine = try fixture.engine()
        let big = try engine.startRun(agent: "controlled")
        let small = try engine.startRun(agent: "controlled")
        fixture.controlled.run(big.id)?.output.finish(.completed(result: text(serializingTo: 501)))
        fixture.controlled.run(small.id)?.output.finish(.completed(result: text(serializingTo: 500)))
        let failed = engine.run(id: big.id)
        #expect(failed?.state == .failed)
        #expect(failed?.reason == "result_limit")
        #expect(failed?.result == nil)
        #expect(failed?.errorMessage?.contains("engines.max_agent_data_bytes") == true)
        #expect(engine.run(id: small.id)?.result == text(serializingTo: 500))
    }

    @Test("an event's data over the limit is published as a note; within the limit as sent")
    func eventDataLimit() throws {
        let fixture = try fixture()
        let engine = try fixture.engine()
        let run = try engine.startRun(agent: "controlled")
        let output = try #require(fixture.controlled.run(run.id)?.output)
        output.progress(.agentThinking, data: .object(["thought": text(serializingTo: 600)]))
        output.progress(.agentThinking, data: .object(["thought": .string("short")]))
        let thinking = fixture.sink.events(executionID: run.id).filter { $0.type == .agentThinking }
        #expect(thinking.count == 2)
        #expect(thinking.first?.data["data_omitted"] != nil)
        #expect(thinking.first?.data["thought"] == nil)
        #expect(thinking.last?.data["thought"] == .string("short"))
        #expect(engine.run(id: run.id)?.state == .running, "an oversized event does not end the run")
    }
}
