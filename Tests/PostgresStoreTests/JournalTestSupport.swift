@testable import ExecutionCore
import Logging
import PostgresClient
@testable import PostgresStore
import Testing

/// Events and awaited calls for the journal suites. Bodies are made by the service's own
/// encoder (`EventEnvelopeEncoder`), exactly as the hub makes them before numbering.
enum JournalFixture {
    static let sanitizer = EventSanitizer()

    static func identity(user: String, execution: String) -> EventIdentity {
        EventIdentity(userID: user, threadID: "thread \"\(execution)\"", runID: "run-\(execution)",
                      requestID: "request-\(execution)", engineID: "engine-\(execution)")
    }

    static func draft(user: String, execution: String, type: EventType = .agentThinking, data: JSONValue = .null,
                      at nanoseconds: Int64 = 1_800_000_000_123_456_789) -> EventDraft {
        EventDraft(type: type, identity: identity(user: user, execution: execution), executionID: execution,
                   agent: "echo", timestamp: Timestamp(nanoseconds: nanoseconds), data: data)
    }

    /// The entry the journaled publisher would hand over for `draft`.
    static func entry(_ draft: EventDraft, run: RunRecordChange? = nil) -> JournalEntry {
        let (body, data) = EventEnvelopeEncoder.encodeBody(draft, prefix: EventEnvelopeEncoder.prefix(draft), sanitizer: sanitizer,
                                                           maxDataBytes: 64 * 1024)
        var draft = draft
        if let data { draft.data = data }
        return JournalEntry(envelope: EventEnvelope(id: 0, draft: draft, json: body), run: run)
    }

    /// An event marked with where it came from, so its place can be checked after reading.
    static func marked(user: String, journal: Int, batch: Int, index: Int) -> JournalEntry {
        entry(draft(user: user, execution: "x-\(journal)-\(batch)",
                    data: .object(["journal": .integer(Int64(journal)), "batch": .integer(Int64(batch)),
                                   "index": .integer(Int64(index)), "text": .string("quotes \" and \\ and ünïcode")])))
    }

    static func append(_ journal: PostgresEventJournal, _ batch: [JournalEntry]) async -> Result<[UInt64], JournalError> {
        await withCheckedContinuation { continuation in
            journal.append(batch) { continuation.resume(returning: $0) }
        }
    }

    static func read(_ journal: PostgresEventJournal, user: String, after: UInt64 = 0, limit: Int = 1_000) async throws -> JournalPage {
        try await withCheckedContinuation { continuation in
            journal.read(userID: user, after: after, limit: limit, executionID: nil) { continuation.resume(returning: $0) }
        }.get()
    }

    static func findRun(_ journal: PostgresEventJournal, id: String, user: String) async throws -> RunSnapshot? {
        try await withCheckedContinuation { continuation in
            journal.findRun(id: id, userID: user) { continuation.resume(returning: $0) }
        }.get()
    }

    /// A second pool on `database` (another replica's).
    static func pool(on database: StoreDatabase) throws -> PostgresPool {
        var configuration = PostgresConfiguration(url: database.url)
        configuration.poolSize = 2
        return try PostgresPool(configuration: configuration, logger: Logger(label: "test.pool"))
    }

    /// Polls `condition` every 10 ms for up to 5 s.
    static func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<500 {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return try await condition()
    }
}
